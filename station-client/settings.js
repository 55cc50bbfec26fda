// @ts-check
// Kiosk settings: set once in the kiosk's start URL by whoever installs it,
// e.g. /station/?document_camera=高拍仪, and remembered on that kiosk.
//
//   document_camera  part of the document camera's device label, or "none"
//                    (default: a camera labelled as one, else the second camera)
//   camera           part of the face camera's device label (default: the
//                    browser's default camera, unless that is the document camera)
//   idle_timeout     seconds without a touch before a half-done choice goes
//                    back to the idle screen (5–600, default 90)
//   relay_only       "1": media goes only through the TURN relays the node
//                    names, for a site whose firewall lets nothing else out
//                    (default "0": direct first, TURN when direct fails)

const storageKey = 'cloudwindow.station.settings';
const known = ['document_camera', 'camera', 'idle_timeout', 'relay_only'];
const defaultIdleSeconds = 90;

export function kioskSettings(search = location.search) {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(storageKey) || '{}') ?? {};
  } catch {
    // Unreadable settings are replaced by what the URL gives, if anything.
  }
  const params = new URLSearchParams(search);
  let changed = false;
  for (const key of known) {
    if (params.has(key)) {
      saved[key] = params.get(key).slice(0, 100);
      changed = true;
    }
  }
  if (changed) localStorage.setItem(storageKey, JSON.stringify(saved));
  return {
    documentCamera: saved.document_camera ?? '',
    camera: saved.camera ?? '',
    idleTimeoutMs: idleSeconds(saved.idle_timeout) * 1000,
    relayOnly: saved.relay_only === '1',
  };
}

function idleSeconds(v) {
  const n = Number(v);
  return Number.isFinite(n) && n >= 5 && n <= 600 ? n : defaultIdleSeconds;
}
