// @ts-check
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

// A document camera that fails to open is tried once more after this pause.
const documentRetryMs = 1000;

const cameraConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } };

// openCamera opens camera and microphone together. With video false it opens
// the microphone only (the "audio only" choice after a camera failure).
// A station with two cameras names them by label: camera (part of the
// face camera's label) is taken when given, and the document camera (avoid)
// never serves as the face camera. Labels can only be read once the first
// camera is open (permission granted), so the choice is made then.
export async function openCamera({ video = true, camera = '', avoid = '' } = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaFailure('unsupported');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: video ? cameraConstraints : false,
    });
  } catch (err) {
    throw new MediaFailure(await classify(err, video), err);
  }
  if (video && (camera || (avoid && avoid !== 'none'))) await chooseFaceCamera(stream, camera, avoid);
  return stream;
}

// chooseFaceCamera swaps the stream's video for the camera the kiosk's
// settings name, if the browser's default is another one. It keeps the
// default when the named camera is missing or fails to open.
async function chooseFaceCamera(stream, camera, avoid) {
  const current = stream.getVideoTracks()[0];
  if (!current) return;
  const has = (label, part) => Boolean(part) && label.toLowerCase().includes(part.toLowerCase());
  const wrong = camera ? !has(current.label, camera) : has(current.label, avoid);
  if (!wrong) return;
  let cams;
  try {
    cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
  } catch {
    return;
  }
  const pick = camera
    ? cams.find((d) => has(d.label, camera))
    : cams.find((d) => d.label !== current.label && !has(d.label, avoid));
  if (!pick) return;
  try {
    const other = await navigator.mediaDevices.getUserMedia({ video: { ...cameraConstraints, deviceId: { exact: pick.deviceId } } });
    stream.removeTrack(current);
    current.stop();
    stream.addTrack(other.getVideoTracks()[0]);
  } catch (err) {
    console.warn('media: camera', pick.label, err);
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
  const constraints = { video: { deviceId: { exact: pick.deviceId }, width: { ideal: 1920 }, height: { ideal: 1080 } } };
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (err) {
    // A USB document camera that is still starting up refuses once; try again.
    console.warn('media: document camera', err);
  }
  await new Promise((resolve) => setTimeout(resolve, documentRetryMs));
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (err) {
    console.warn('media: document camera, second try', err);
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
