// @ts-check
// The helper's self-check (设备自检): behind a PIN that the server checks
// (--helper-pin), the station's helper (帮办员) sees whether the camera,
// the document camera, the microphone and the speaker work, how far the
// server is (round trip), whether the center is reachable, prints a test
// page and reads the app version.

import { $, h } from '/lib/dom.js';
import { openCamera, openDocumentCamera, playInto, stopStream } from '/lib/media.js';
import { deviceStates } from './devices.js';
import { appVersion } from './version.js';

const maxPIN = 12;
const holdMs = 2000; // how long the helper holds the station's name
const rttSamples = 3;

export class SelfCheck {
  #session;
  #signaling;
  #i18n;
  #screens;
  #documentCamera;
  #camera;
  #media = null;
  #document = null;
  #audio = null; // AudioContext for the level meter and the test tone
  #meter = 0;
  results = {}; // what the helper sees, also read by the browser tests

  constructor({ session, signaling, i18n, screens, documentCamera = '', camera = '' }) {
    this.#session = session;
    this.#signaling = signaling;
    this.#i18n = i18n;
    this.#screens = screens;
    this.#documentCamera = documentCamera;
    this.#camera = camera;
    this.#wireEntry();
    $('#helper-keypad').addEventListener('click', (e) => this.#key(e.target.closest('[data-key]')?.dataset.key));
    $('#helper-pin-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#submit();
    });
    $('#selfcheck-tone').addEventListener('click', () => this.#tone());
    $('#selfcheck-print').addEventListener('click', () => this.#printTestPage());
    $('#selfcheck-again').addEventListener('click', () => this.#run());
    screens.addEventListener('change', (/** @type {CustomEvent} */ e) => e.detail !== 'selfcheck' && this.#stop());
    i18n.addEventListener('change', () => this.#render());
  }

  // wireEntry: holding the station's name in the header for two seconds
  // on the first screen asks for the PIN; a resident's tap does nothing,
  // and a call or a half-done choice is never left this way.
  #wireEntry() {
    const entry = $('#helper-entry');
    let timer = 0;
    entry.addEventListener('pointerdown', () => {
      clearTimeout(timer);
      if (this.#screens.current === 'idle') timer = setTimeout(() => this.start(), holdMs);
    });
    for (const type of ['pointerup', 'pointerleave', 'pointercancel']) {
      entry.addEventListener(type, () => clearTimeout(timer));
    }
    entry.addEventListener('contextmenu', (e) => e.preventDefault()); // a long touch opens no menu
  }

  // start asks for the PIN.
  start() {
    $('#helper-pin').value = '';
    this.#error('');
    this.#screens.show('helper-pin');
  }

  #key(k) {
    if (!k) return;
    const input = $('#helper-pin');
    if (k === 'back') input.value = input.value.slice(0, -1);
    else if (k === 'clear') input.value = '';
    else if (input.value.length < maxPIN) input.value += k;
  }

  async #submit() {
    const pin = $('#helper-pin').value;
    if (!pin) return;
    $('#helper-pin-submit').disabled = true;
    try {
      await this.#session.api('/api/v1/station/helper-pin', { method: 'POST', body: { pin } });
      this.#screens.show('selfcheck');
      this.#run();
    } catch (err) {
      $('#helper-pin').value = '';
      this.#error(pinErrorKey(err.code));
    } finally {
      $('#helper-pin-submit').disabled = false;
    }
  }

  #error(key) {
    $('#helper-pin-error').textContent = key ? this.#i18n.t(key) : '';
  }

  async #run() {
    this.#stop();
    this.results = { version: appVersion };
    this.#render();
    await Promise.all([this.#checkMedia(), this.#checkNetwork()]);
    this.#render();
  }

  async #checkMedia() {
    try {
      this.#media = await openCamera({ camera: this.#camera, avoid: this.#documentCamera });
      this.results.camera = this.#media.getVideoTracks().length ? 'ok' : 'missing';
      this.results.microphone = this.#media.getAudioTracks().length ? 'ok' : 'missing';
      playInto($('#selfcheck-camera'), this.#media);
      this.#listen();
    } catch {
      const states = await deviceStates(this.#documentCamera);
      this.results.camera = states.camera === 'ok' ? 'failed' : 'missing';
      this.results.microphone = states.microphone === 'ok' ? 'failed' : 'missing';
    }
    this.#document = await openDocumentCamera(this.#media, this.#documentCamera);
    this.results.document_camera = this.#document ? 'ok' : this.#documentCamera === 'none' ? 'none' : 'missing';
    if (this.#document) playInto($('#selfcheck-document'), this.#document);
    if (this.#screens.current !== 'selfcheck') this.#stop(); // left while the devices opened
    this.#render();
  }

  // listen shows the microphone's level, so the helper sees it hear them.
  #listen() {
    if (!this.#media.getAudioTracks().length || !window.AudioContext) return;
    this.#audio = new AudioContext();
    const analyser = this.#audio.createAnalyser();
    this.#audio.createMediaStreamSource(this.#media).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    this.#meter = setInterval(() => {
      analyser.getByteTimeDomainData(data);
      const peak = data.reduce((m, v) => Math.max(m, Math.abs(v - 128)), 0) / 128;
      $('#selfcheck-level').value = Math.min(1, peak * 2);
    }, 100);
  }

  // tone plays one second of a 660 Hz tone through the speaker.
  #tone() {
    this.#audio ??= new AudioContext();
    this.#audio.resume();
    const osc = this.#audio.createOscillator();
    const gain = this.#audio.createGain();
    gain.gain.value = 0.3;
    osc.frequency.value = 660;
    osc.connect(gain).connect(this.#audio.destination);
    osc.start();
    osc.stop(this.#audio.currentTime + 1);
    this.results.speaker = 'played';
    this.#render();
  }

  // checkNetwork measures the round trip to the node (the median of a few
  // small requests) and whether the center's signaling is connected.
  async #checkNetwork() {
    const times = [];
    for (let i = 0; i < rttSamples; i++) {
      const t0 = performance.now();
      try {
        const res = await fetch('/healthz', { cache: 'no-store' });
        if (res.ok) times.push(performance.now() - t0);
      } catch {
        // unreachable: counted below
      }
    }
    times.sort((a, b) => a - b);
    this.results.rtt_ms = times.length ? Math.round(times[Math.floor(times.length / 2)]) : null;
    this.results.server = times.length && this.#signaling.isOpen ? 'ok' : 'unreachable';
  }

  // printTestPage prints a small page through the kiosk's printer, as the
  // receipts are printed.
  #printTestPage() {
    const frame = $('#selfcheck-print-frame');
    const now = new Date().toLocaleString('zh-CN');
    const station = $('#station-name').textContent;
    frame.srcdoc = `<h1>${this.#i18n.t('selfcheck.print_title')}</h1><p>${escapeHTML(station)}</p><p>${now}</p><p>${appVersion}</p>`;
    frame.onload = () => {
      frame.onload = null;
      frame.contentWindow.print();
    };
    this.results.printer = 'printed';
    this.#render();
  }

  #render() {
    const r = this.results;
    const state = (key, v) => {
      const el = $(`#selfcheck-${key}-state`);
      el.textContent = v === undefined ? this.#i18n.t('selfcheck.checking') : this.#i18n.t(`selfcheck.state.${v}`);
      el.dataset.state = v ?? 'checking';
    };
    for (const key of ['camera', 'document_camera', 'microphone', 'server']) state(key, r[key]);
    $('#selfcheck-rtt').textContent = r.rtt_ms === undefined
      ? this.#i18n.t('selfcheck.checking')
      : r.rtt_ms === null ? this.#i18n.t('selfcheck.state.unreachable') : this.#i18n.t('selfcheck.rtt_value', { n: r.rtt_ms });
    $('#selfcheck-speaker-state').textContent = r.speaker ? this.#i18n.t('selfcheck.speaker_played') : '';
    $('#selfcheck-printer-state').textContent = r.printer ? this.#i18n.t('selfcheck.printer_sent') : '';
    $('#selfcheck-version').textContent = appVersion;
  }

  #stop() {
    clearInterval(this.#meter);
    this.#audio?.close().catch(() => {});
    this.#audio = null;
    stopStream(this.#media);
    stopStream(this.#document);
    this.#media = this.#document = null;
  }
}

function pinErrorKey(code) {
  switch (code) {
    case 'wrong_pin':
      return 'helper.wrong_pin';
    case 'too_many_tries':
      return 'helper.too_many';
    case 'not_configured':
      return 'helper.not_configured';
    default:
      return 'helper.network';
  }
}

function escapeHTML(s) {
  return h('p', {}, s).innerHTML;
}
