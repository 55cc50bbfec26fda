// @ts-check
// The remote guest's page. The invitation's secret comes in the link's
// fragment (never sent to the server in a URL); it signs the guest in,
// and they wait until the resident agrees at the kiosk. Then camera and
// microphone go into the call, the first other party shows full screen and
// everyone else is heard, until 离开 or the call ends. The guest can do
// nothing else; the server refuses it anyway.

import { CallConnection } from '/lib/call.js';
import { $ } from '/lib/dom.js';
import { localTracks, openCamera, playInto, stopStream } from '/lib/media.js';
import { Signaling, State } from '/lib/signaling.js';

const text = {
  connecting: '正在连接，请稍候…',
  badLink: '这个邀请链接不完整，请联系工作人员重新发一个链接。',
  reconnecting: '网络不稳定，正在重新连接…',
  noMedia: '无法打开摄像头或麦克风。请在浏览器里允许使用摄像头和麦克风，然后刷新本页。',
  audioOnly: '摄像头无法打开，只用声音通话。',
  joining: '正在接通…',
  ended: '通话已结束，您可以关闭本页。',
  removed: '工作人员已请您离开通话，您可以关闭本页。',
  left: '您已离开通话，您可以关闭本页。',
};

class GuestPage {
  #secret = decodeURIComponent(location.hash.slice(1));
  /** @type {Signaling | null} */
  #sig = null;
  /** @type {CallConnection | null} */
  #conn = null;
  /** @type {MediaStream | null} */
  #media = null;
  #callId = '';
  #over = false;

  // connection exposes the call's PeerConnection for diagnostics.
  get connection() {
    return this.#conn;
  }

  start() {
    $('#guest-leave').addEventListener('click', () => this.#leave());
    $('#guest-sound').addEventListener('click', () => this.#unmute());
    if (!/^[0-9a-f]{32}\.[0-9A-Za-z-]{1,64}$/.test(this.#secret)) {
      this.#end(text.badLink);
      return;
    }
    const sig = new Signaling({ invitation: this.#secret, resumeKey: 'cloudwindow.guest.resume' });
    this.#sig = sig;
    sig.addEventListener('unauthenticated', (/** @type {CustomEvent} */ e) => this.#end(e.detail?.message || text.ended));
    sig.addEventListener('state', (/** @type {CustomEvent} */ e) => this.#connState(e.detail));
    sig.addEventListener('welcome', (/** @type {CustomEvent} */ e) => e.detail.call && this.#join(e.detail.call));
    sig.on('guest.status', (/** @type {any} */ d) => this.#status(d));
    sig.on('call.started', (/** @type {any} */ d) => this.#join(d));
    sig.on('call.ended', (/** @type {any} */ d) => this.#end(d.reason === 'removed' ? text.removed : d.reason === 'left' ? text.left : text.ended));
    sig.start();
  }

  /** @param {string} state */
  #connState(state) {
    if (this.#over) return;
    if (state === State.reconnecting) this.#note(text.reconnecting);
    else if (state === State.open) this.#note('');
  }

  /** @param {any} d guest.status */
  #status(d) {
    if (d.state === 'waiting' || d.state === 'admitted') {
      if (!this.#callId) this.#show(d.message || text.joining, true);
      return;
    }
    this.#end(d.message || text.ended);
  }

  /** @param {any} d call.started data */
  async #join(d) {
    if (this.#over || this.#callId === d.call_id) return;
    this.#callId = d.call_id;
    this.#show(text.joining, true);
    this.#media = await openCamera().catch(() => openCamera({ video: false })).catch(() => null);
    if (!this.#media) {
      this.#show(text.noMedia, false);
      return;
    }
    if (this.#over) {
      stopStream(this.#media);
      return;
    }
    playInto($('#guest-self'), this.#media);
    const conn = new CallConnection({
      signaling: this.#sig,
      callId: d.call_id,
      iceServers: this.#sig.welcome?.ice_servers ?? [],
      local: localTracks(this.#media, null),
    });
    conn.addEventListener('remotestream', (/** @type {CustomEvent} */ e) => {
      if (e.detail.role === 'main') playInto($('#guest-remote'), e.detail.stream, () => ($('#guest-sound').hidden = false));
    });
    this.#conn = conn;
    $('#guest-status').hidden = true;
    $('#guest-stage').hidden = false;
    if (this.#media.getVideoTracks().length === 0) this.#note(text.audioOnly);
  }

  #unmute() {
    const video = $('#guest-remote');
    video.muted = false;
    video.play().catch(() => {});
    $('#guest-sound').hidden = true;
  }

  async #leave() {
    if (this.#callId && this.#sig?.isOpen) {
      try {
        await this.#sig.request('guest.leave', { call_id: this.#callId });
      } catch (err) {
        console.warn('guest: leave', err);
      }
    }
    this.#end(text.left);
  }

  /**
   * show puts a message on the page instead of the call.
   * @param {string} message
   * @param {boolean} busy
   */
  #show(message, busy) {
    $('#guest-message').textContent = message;
    $('#guest-spinner').hidden = !busy;
    $('#guest-status').hidden = false;
    $('#guest-stage').hidden = true;
  }

  /** @param {string} message */
  #note(message) {
    const note = $('#guest-note');
    note.textContent = message;
    note.hidden = !message;
  }

  // end closes everything for good: a link is used once.
  /** @param {string} message */
  #end(message) {
    if (this.#over) return;
    this.#over = true;
    document.body.dataset.view = 'ended';
    this.#conn?.close();
    this.#conn = null;
    stopStream(this.#media);
    this.#sig?.close({ forget: true });
    $('#guest-leave').hidden = true;
    this.#show(message, false);
  }
}

const page = new GuestPage();
/** @type {any} */ (window).cloudWindow = { call: page };
page.start();
