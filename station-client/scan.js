// @ts-check
// Scans during a call: the resident puts a paper under the document camera
// (高拍仪) and taps 拍照上传; the kiosk takes a full-resolution still from
// that camera — not a frame of the call's video — and sends it in checked,
// resumable chunks. A file can be picked instead. The screen says how the
// sending goes and what the agent did with it: asked for a re-scan, or
// kept it as one of the item's materials.

import { $ } from '/lib/dom.js';
import { UploadAborted, sendFile } from './upload.js';

// How long a finished message stays before the panel hides.
const settledMs = 8000;
const photoQuality = 0.92;

export class ScanSender {
  #session;
  #i18n;
  #callId = '';
  #track = null;
  #abort = null;
  #queue = Promise.resolve();
  #thumbURL = '';
  #hideTimer = 0;
  #status = null; // {key, vars, tone, progress}

  constructor({ signaling, session, i18n }) {
    this.#session = session;
    this.#i18n = i18n;
    $('#scan-capture').addEventListener('click', () => this.capture());
    $('#scan-pick').addEventListener('click', () => $('#scan-file').click());
    $('#scan-file').addEventListener('change', (e) => {
      const file = e.target.files?.[0];
      e.target.value = '';
      if (file) this.send(file, file.name);
    });
    signaling.on('document.updated', (d) => d.call_id === this.#callId && this.#reviewed(d.document ?? {}));
    i18n.addEventListener('change', () => this.#render());
  }

  // start enables scanning for a call; documentStream is the document
  // camera's stream, or null when the kiosk has none (files only then).
  start(callId, documentStream) {
    this.stop();
    this.#callId = callId;
    this.#abort = new AbortController();
    this.#track = documentStream?.getVideoTracks()[0] ?? null;
    $('#scan-capture').hidden = !this.#track;
    $('#scan-capture').classList.remove('is-wanted');
  }

  // stop abandons unfinished uploads: they belong to a call that ended.
  stop() {
    this.#abort?.abort();
    this.#abort = null;
    this.#callId = '';
    this.#track = null;
    this.#queue = Promise.resolve();
    this.#setStatus(null);
  }

  async capture() {
    const track = this.#track;
    if (!track || !this.#callId) return;
    const button = $('#scan-capture');
    button.disabled = true;
    button.classList.remove('is-wanted');
    try {
      const blob = await takeStill(track);
      this.send(blob, scanName(blob.type));
    } catch (err) {
      console.warn('station: document camera still', err);
      this.#setStatus({ key: 'scan.capture_failed', tone: 'error' });
    } finally {
      button.disabled = false;
    }
  }

  // send queues a file: one upload at a time suits a thin link best.
  send(blob, filename) {
    const callId = this.#callId;
    const signal = this.#abort?.signal;
    if (!callId || !signal) return;
    this.#queue = this.#queue.then(() => this.#upload(callId, signal, blob, filename));
  }

  async #upload(callId, signal, blob, filename) {
    if (signal.aborted) return;
    this.#showThumb(blob);
    this.#setStatus({ key: 'scan.sending', progress: 0 });
    try {
      await sendFile(this.#session, {
        callId,
        blob,
        filename,
        signal,
        onProgress: (f) => this.#setStatus({ key: 'scan.sending', progress: f }),
        onRetry: (err) => {
          console.warn('station: upload interrupted, resuming', err);
          this.#setStatus({ key: 'scan.retrying', tone: 'warning', progress: this.#status?.progress ?? 0 });
        },
      });
      this.#setStatus({ key: 'scan.sent', tone: 'ok' }, settledMs);
    } catch (err) {
      if (err instanceof UploadAborted) return;
      console.warn('station: upload', err);
      this.#setStatus({ key: failureKey(err), tone: 'error' }, settledMs);
    }
  }

  // reviewed shows what the agent did with a scan.
  #reviewed(doc) {
    if (doc.status === 'rescan_requested') {
      $('#scan-capture').classList.add('is-wanted');
      this.#setStatus({ key: this.#track ? 'scan.rescan' : 'scan.rescan_file', tone: 'warning' });
    } else if (doc.status === 'accepted') {
      this.#setStatus({ key: 'scan.accepted', vars: { material: doc.material ?? '' }, tone: 'ok' }, settledMs);
    }
  }

  #showThumb(blob) {
    if (this.#thumbURL) URL.revokeObjectURL(this.#thumbURL);
    this.#thumbURL = blob.type.startsWith('image/') ? URL.createObjectURL(blob) : '';
    $('#scan-thumb').hidden = !this.#thumbURL;
    $('#scan-thumb').src = this.#thumbURL;
  }

  // setStatus shows a message; with hideAfter it goes away by itself.
  #setStatus(status, hideAfter = 0) {
    clearTimeout(this.#hideTimer);
    this.#status = status;
    if (status && hideAfter) this.#hideTimer = setTimeout(() => this.#setStatus(null), hideAfter);
    if (!status && this.#thumbURL) {
      URL.revokeObjectURL(this.#thumbURL);
      this.#thumbURL = '';
      $('#scan-thumb').src = '';
    }
    this.#render();
  }

  #render() {
    const s = this.#status;
    const panel = $('#scan-status');
    panel.hidden = !s;
    if (!s) return;
    panel.dataset.tone = s.tone ?? '';
    $('#scan-text').textContent = this.#i18n.t(s.key, s.vars);
    const showProgress = s.progress !== undefined;
    $('#scan-progress').parentElement.hidden = !showProgress;
    if (showProgress) $('#scan-progress').style.width = `${Math.round(s.progress * 100)}%`;
  }
}

function failureKey(err) {
  switch (err.code) {
    case 'unsupported_type':
      return 'scan.unsupported';
    case 'too_large':
      return 'scan.too_large';
    case 'quota_exceeded':
      return 'scan.quota';
    case 'insufficient_storage':
      return 'scan.server_full';
    case 'call_ended':
      return 'scan.call_ended';
    default:
      return 'scan.failed';
  }
}

// takeStill asks the camera for a photo at its full resolution; where the
// browser cannot, it takes the current frame at the camera's own size.
async function takeStill(track) {
  if ('ImageCapture' in window) {
    try {
      const capture = new ImageCapture(track);
      const caps = await capture.getPhotoCapabilities().catch(() => null);
      const size = caps?.imageWidth?.max ? { imageWidth: caps.imageWidth.max, imageHeight: caps.imageHeight.max } : {};
      return await capture.takePhoto(size);
    } catch (err) {
      console.warn('station: takePhoto, using a video frame', err);
    }
  }
  return frameOf(track);
}

async function frameOf(track) {
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = new MediaStream([track]);
  try {
    await video.play();
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', photoQuality));
    if (!blob) throw new Error('the frame could not be encoded');
    return blob;
  } finally {
    video.srcObject = null;
  }
}

// scanName names a still by when it was taken, e.g. scan-20261122-090512.jpg.
function scanName(type) {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  const ext = type === 'image/png' ? 'png' : 'jpg';
  return `scan-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.${ext}`;
}
