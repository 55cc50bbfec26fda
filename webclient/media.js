// Local media: the camera and microphone, and the station's document camera
// (高拍仪), with failures sorted into the few cases a screen can explain.

// MediaFailure.kind is one of:
//   "denied"     the user or policy refused the camera or microphone
//   "no_camera"  there is no camera (or none that works)
//   "no_microphone"
//   "busy"       another program holds the device
//   "unsupported" no getUserMedia here (e.g. not a secure context)
export class MediaFailure extends Error {
  constructor(kind, cause) {
    super(`${kind}: ${cause?.message ?? ''}`);
    this.kind = kind;
    this.cause = cause;
  }
}

const cameraConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } };

// openCamera opens camera and microphone together. With video false it opens
// the microphone only (the "audio only" choice after a camera failure).
export async function openCamera({ video = true } = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaFailure('unsupported');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: video ? cameraConstraints : false,
    });
  } catch (err) {
    throw new MediaFailure(await classify(err, video), err);
  }
}

// classify names a getUserMedia failure. NotFoundError does not say which
// device is missing, so the devices are counted.
async function classify(err, wantedVideo) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    case 'NotFoundError':
    case 'OverconstrainedError': {
      const kinds = await deviceKinds();
      if (!kinds.has('audioinput')) return 'no_microphone';
      return wantedVideo ? 'no_camera' : 'no_microphone';
    }
    default:
      return 'busy';
  }
}

async function deviceKinds() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return new Set(devices.map((d) => d.kind));
  } catch {
    return new Set();
  }
}

// openDocumentCamera opens a second video device, if the station has one.
// preferred (part of a device label, set per kiosk) names it; "none" turns
// it off. Without it the camera whose label says document camera is taken,
// else any camera other than the one in use. It resolves to null when there
// is none; a document camera that fails to open is not worth failing the
// call for.
export async function openDocumentCamera(mainStream, preferred = '') {
  const mainId = mainStream?.getVideoTracks()[0]?.getSettings().deviceId;
  if (!mainId || preferred === 'none') return null;
  let cams;
  try {
    cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput' && d.deviceId !== mainId);
  } catch {
    return null;
  }
  const pick = preferred
    ? cams.find((d) => d.label.toLowerCase().includes(preferred.toLowerCase()))
    : cams.find((d) => /高拍|document|doc|scan/i.test(d.label)) ?? cams[0];
  if (!pick) return null;
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { deviceId: { exact: pick.deviceId }, width: { ideal: 1920 }, height: { ideal: 1080 } },
    });
  } catch (err) {
    console.warn('media: document camera', err);
    return null;
  }
}

// stopStream releases the devices of a stream.
export function stopStream(stream) {
  stream?.getTracks().forEach((t) => t.stop());
}

// localTracks labels a stream's tracks for CallConnection.
export function localTracks(main, documentStream) {
  const out = [];
  for (const track of main?.getTracks() ?? []) {
    out.push({ track, stream: main, source: track.kind === 'audio' ? 'audio' : 'camera' });
  }
  for (const track of documentStream?.getVideoTracks() ?? []) {
    track.contentHint = 'detail'; // keep text on papers sharp rather than smooth
    out.push({ track, stream: documentStream, source: 'document' });
  }
  return out;
}

// playInto attaches a stream to a media element and starts it. Browsers
// refuse sound before the user has touched the page; then the element plays
// muted and onBlocked lets the screen offer a "turn sound on" button.
export function playInto(el, stream, onBlocked) {
  if (el.srcObject !== stream) el.srcObject = stream;
  el.play().catch(() => {
    if (el.muted) return;
    el.muted = true;
    el.play().catch(() => {});
    onBlocked?.();
  });
}
