// @ts-check
// The kiosk's service worker keeps a copy of the kiosk app, so a kiosk that
// restarts while the server is unreachable (a power cut in the village, the
// island link down) still opens its own page, says that it is connecting
// and keeps trying, instead of a browser error page nobody can clear.
//
// The network always comes first: a reachable server serves the current
// app, and each answer refreshes the copy. Only the app's own files pass
// through here; the API and the signaling never do.

const cacheName = 'cloudwindow-station';
// The worker's own scope, as the checker knows it.
const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

// appFiles is every file the kiosk page loads; offline_test.go checks it
// against the embedded files.
const appFiles = [
  '/station/',
  '/station/aftercall.js',
  '/station/booking-strings.js',
  '/station/booking.css',
  '/station/booking.js',
  '/station/app.js',
  '/station/calling.js',
  '/station/callscreen.js',
  '/station/catalog.js',
  '/station/devices.js',
  '/station/guests.css',
  '/station/guests.js',
  '/station/heartbeat.js',
  '/station/inactivity.js',
  '/station/linkcheck.js',
  '/station/lookup.js',
  '/station/offline.js',
  '/station/parties.js',
  '/station/scan.js',
  '/station/selfcheck.js',
  '/station/settings.js',
  '/station/signing.js',
  '/station/signpad.js',
  '/station/speech.js',
  '/station/strings.js',
  '/station/style.css',
  '/station/tickets.js',
  '/station/upload.js',
  '/station/version.js',
  '/lib/base.css',
  '/lib/call.js',
  '/lib/dom.js',
  '/lib/i18n.js',
  '/lib/linknotice.js',
  '/lib/linkprofile.js',
  '/lib/media.js',
  '/lib/othertiles.js',
  '/lib/session.js',
  '/lib/shell.js',
  '/lib/signaling.js',
];
const known = new Set(appFiles);

// A server that does not answer within this time (a link that drops
// packets rather than refusing) counts as unreachable when a copy exists.
const networkWait = 5000;

worker.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(cacheName)
      .then((c) => c.addAll(appFiles.map((f) => new Request(f, { cache: 'no-store' }))))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (e) => e.waitUntil(worker.clients.claim()));

worker.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !known.has(url.pathname)) return;
  e.respondWith(networkFirst(e.request, url.pathname));
});

/**
 * @param {Request} request
 * @param {string} path
 * @returns {Promise<Response>}
 */
async function networkFirst(request, path) {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetchWithin(request, networkWait);
    if (res.ok) await cache.put(path, res.clone());
    return res;
  } catch (err) {
    const kept = await cache.match(path);
    if (kept) return kept;
    throw err;
  }
}

/**
 * @param {Request} request
 * @param {number} ms
 * @returns {Promise<Response>}
 */
async function fetchWithin(request, ms) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    // By URL: a navigation's Request cannot be sent again with options.
    return await fetch(request.url, { signal: abort.signal, cache: 'no-store' });
  } finally {
    clearTimeout(timer);
  }
}
