// @ts-check
// Stepping into a watched call (call.supervise): the 耳语 / 强插 / 接管
// buttons with the current mode, and the connection that lets the supervisor
// be heard. A watcher's connection only receives, so the first step opens
// the microphone and camera and offers them afresh (rtc.offer with fresh),
// replacing it; the server decides whom they reach (the agent alone for a
// whisper), and the camera is sent only when seen (barge, take-over).

import { $, h } from '/lib/dom.js';
import { CallConnection } from '/lib/call.js';
import { localTracks, openCamera, stopStream } from '/lib/media.js';

export const modes = Object.freeze(['whisper', 'barge', 'takeover', 'watch']);

// SuperviseBar shows the mode buttons in the watch panel's head and says
// which mode the supervisor is in; a click is a 'mode' event.
export class SuperviseBar extends EventTarget {
  #i18n;
  #mode = 'watch';
  #bar;
  #label;
  /** @type {Map<string, HTMLElement>} */
  #buttons = new Map();

  /** @param {{i18n: any}} deps */
  constructor({ i18n }) {
    super();
    this.#i18n = i18n;
    this.#label = h('span', { class: 'sv-mode', id: 'supervise-mode', role: 'status' });
    for (const m of modes) {
      const key = m === 'watch' ? 'sv.back_to_watch' : `sv.${m}`;
      const cls = m === 'takeover' ? 'btn-danger btn-small' : 'btn-plain btn-small';
      this.#buttons.set(m, h('button', { type: 'button', class: cls, id: `supervise-${m}`, dataset: { i18n: key },
        onclick: () => this.dispatchEvent(new CustomEvent('mode', { detail: m })) }, i18n.t(key)));
    }
    this.#bar = h('div', { class: 'supervise-bar', id: 'supervise-bar', hidden: true }, this.#label, ...this.#buttons.values());
    $('#watch-stop').before(this.#bar);
    i18n.addEventListener('change', () => this.render(!this.#bar.hidden));
  }

  get mode() {
    return this.#mode;
  }

  /** @param {string} mode */
  set mode(mode) {
    this.#mode = mode;
  }

  /** @param {boolean} live the watch is live */
  render(live) {
    this.#bar.hidden = !live;
    this.#label.textContent = this.#i18n.t('sv.mode', { mode: this.#i18n.t(`sv.mode.${this.#mode}`) });
    for (const [m, b] of this.#buttons) b.hidden = m === this.#mode || this.#mode === 'takeover';
  }
}

/**
 * openSpeaking replaces the watcher's connection with one that sends the
 * supervisor's microphone and camera. Remote tracks are reported by view
 * ("station-main", "agent-main", "station-document"), as the watch shows them.
 * @param {{signaling: any, callId: string, onStream: (view: string, stream: MediaStream) => void}} opts
 * @returns {Promise<{conn: CallConnection, media: MediaStream | null}>}
 */
export async function openSpeaking({ signaling, callId, onStream }) {
  const media = await openCamera().catch(() => openCamera({ video: false })).catch(() => null);
  const conn = new CallConnection({
    signaling,
    callId,
    iceServers: signaling.welcome?.ice_servers ?? [],
    local: localTracks(media, null),
    extraAudio: false, // the watch tiles play every view
  });
  /** @type {Map<string, MediaStream>} */
  const streams = new Map();
  conn.pc.addEventListener('track', (e) => {
    const view = e.streams[0]?.id ?? '';
    if (!view || view.startsWith('supervisor')) return;
    const stream = streams.get(view) ?? new MediaStream();
    streams.set(view, stream);
    for (const old of stream.getTracks()) if (old.kind === e.track.kind) stream.removeTrack(old);
    stream.addTrack(e.track);
    onStream(view, stream);
  });
  return { conn, media };
}

/**
 * sendFor mutes what the mode does not send: nothing while watching, the
 * voice alone in a whisper.
 * @param {CallConnection} conn
 * @param {string} mode
 */
export function sendFor(conn, mode) {
  conn.setMuted('audio', mode === 'watch');
  conn.setMuted('video', mode === 'watch' || mode === 'whisper');
}

export { stopStream };
