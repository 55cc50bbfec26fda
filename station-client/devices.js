// @ts-check
// What devices this kiosk has, as the center and the helper see them:
// each of camera, document_camera, microphone is "ok", "missing" or "none"
// (not set up here); printers cannot be seen from a web page, so "unknown".

export async function deviceStates(documentCamera = '') {
  let devices = [];
  try {
    devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
  } catch {
    // No list: every device counts as missing.
  }
  const cams = devices.filter((d) => d.kind === 'videoinput');
  return {
    camera: cams.length > 0 ? 'ok' : 'missing',
    document_camera: documentState(cams, documentCamera),
    microphone: devices.some((d) => d.kind === 'audioinput') ? 'ok' : 'missing',
    printer: 'unknown',
  };
}

// documentState: the one named by label when the kiosk names it (labels are
// readable once the camera was allowed), else any second camera.
function documentState(cams, preferred) {
  if (preferred === 'none') return 'none';
  const labelled = cams.some((d) => d.label);
  if (preferred && labelled) {
    return cams.some((d) => d.label.toLowerCase().includes(preferred.toLowerCase())) ? 'ok' : 'missing';
  }
  return cams.length > 1 ? 'ok' : 'missing';
}
