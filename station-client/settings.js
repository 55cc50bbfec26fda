// Kiosk settings: set once in the kiosk's start URL by whoever installs it,
// e.g. /station/?document_camera=高拍仪, and remembered on that kiosk.
//
//   document_camera  part of the document camera's device label, or "none"
//                    (default: a camera labelled as one, else the second camera)

const storageKey = 'cloudwindow.station.settings';
const known = ['document_camera'];

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
  return { documentCamera: saved.document_camera ?? '' };
}
