// @ts-check
// Offline start: the service worker (sw.js) keeps the kiosk app on the
// device, so the kiosk opens even when it restarts while the server is
// unreachable. Browsers give service workers to secure pages only (https,
// or localhost); elsewhere the kiosk simply needs the server to start.

// keepAppOffline registers the worker and resolves true once the app is
// kept, false where it cannot be.
export async function keepAppOffline() {
  if (!('serviceWorker' in navigator)) return false;
  try {
    await navigator.serviceWorker.register('sw.js');
    await navigator.serviceWorker.ready;
    return true;
  } catch (err) {
    console.warn('kiosk: the app cannot be kept for offline starts', err);
    return false;
  }
}
