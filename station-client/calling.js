// @ts-check
// A station's call from start to end: open the camera (or settle for
// voice), ask for the call, wait in the queue, talk — with scans and
// signatures on the side — and end; and pick up where it was after a
// dropped link or a page reload. What follows the call (rating, receipt)
// is AfterCall's.

import { $ } from '/lib/dom.js';
import { CallConnection } from '/lib/call.js';
import { watchVideoPause } from '/lib/linknotice.js';
import { MediaFailure, localTracks, openCamera, openDocumentCamera, playInto, stopStream } from '/lib/media.js';
import { renderGreenFlags } from './catalog.js';
import { checkLinkBeforeCall } from './linkcheck.js';
import { CallScreen } from './callscreen.js';
import { ScanSender } from './scan.js';
import { kioskSettings } from './settings.js';
import { FormSigning } from './signing.js';
import { sayPrompt } from './speech.js';

// What the resident chose, kept across a page reload while waiting or talking.
const pendingKey = 'cloudwindow.station.pending';
// The call in progress, kept where a power cut does not wipe it, so that a
// kiosk starting after the call has ended can say so.
const callKey = 'cloudwindow.station.call';
const audioOnlyKinds = new Set(['denied', 'no_camera', 'busy']);

export class StationCall extends EventTarget {
  #sig;
  #i18n;
  #screens;
  #screen;
  #item = null;
  #green = '';
  #appointment = ''; // the booking this call is for, checked by the server
  #media = null;
  #document = null;
  #requestId = '';
  #call = null;
  #conn = null;
  // standby is the media connection made while the request waits
  // (welcome.preconnect): the call adopts it on accept. The node forwards and
  // records nothing of it before, and the queue screen says so.
  /** @type {CallConnection | null} */
  #standby = null;
  // startProfile starts the encoders of this request's calls low when its
  // link check found the link poor (null: the station's own profile).
  /** @type {import('/lib/linkprofile.js').LinkProfile | null} */
  #startProfile = null;
  #endedCallId = '';
  #scans;
  #signing;
  #allowAudioOnly = true;
  #position = null;
  #documentCamera;
  #camera;
  #session;

  // documentCamera picks the document camera (see settings.js); session
  // sends scans and signatures.
  constructor({ signaling, session, i18n, screens, documentCamera = '', camera = '' }) {
    super();
    this.#documentCamera = documentCamera;
    this.#camera = camera;
    this.#sig = signaling;
    this.#session = session;
    this.#i18n = i18n;
    this.#screens = screens;
    this.#screen = new CallScreen({ i18n, onMute: (m) => this.#conn?.setMuted('audio', m) });
    this.#scans = new ScanSender({ signaling, session, i18n });
    this.#signing = new FormSigning({ signaling, session, i18n });
    signaling.on('queue.position', (d) => this.#onPosition(d));
    signaling.on('call.started', (d) => this.#onStarted(d));
    signaling.on('call.ended', (d) => this.#onEnded(d));
    signaling.on('standby.closed', () => this.#standbyClosed());
    signaling.on('call.peer_state', (d) => this.#isCurrent(d) && d.party !== 'station' && this.#screen.peerState(d.state));
    signaling.on('chat.message', (d) => this.#isCurrent(d) && d.from !== 'station' && this.#screen.caption(d));
    watchVideoPause(signaling, $('#call-weak-link'), (d) => this.#isCurrent(d));
    $('#audio-only').addEventListener('click', () => this.#continueAudioOnly());
    $('#cancel-call').addEventListener('click', () => this.cancel());
    $('#hangup').addEventListener('click', () => this.hangup());
    i18n.addEventListener('change', () => {
      this.#renderQueueItem();
      if (this.#position) this.#onPosition(this.#position);
    });
  }

  // active reports whether the station waits or talks; the kiosk must not
  // time out to its idle screen then.
  get active() {
    return Boolean(this.#requestId || this.#call);
  }

  // begin starts a call for a catalog item with a green-channel reason ("" for none),
  // for a booking due now if appointmentId is given.
  async begin(item, green, appointmentId = '') {
    this.#item = item;
    this.#green = green;
    this.#appointment = appointmentId;
    this.#allowAudioOnly = true;
    this.#screens.show('preparing');
    try {
      this.#media = await openCamera(this.#cameraChoice());
    } catch (err) {
      this.#cameraProblem(err);
      return;
    }
    this.#document = await openDocumentCamera(this.#media, this.#documentCamera);
    this.#preconnect();
    await this.#request();
  }

  // cameraChoice names the face camera, and the document camera it must not be.
  #cameraChoice() {
    return { camera: this.#camera, avoid: this.#documentCamera };
  }

  #cameraProblem(err) {
    const kind = err instanceof MediaFailure ? err.kind : 'busy';
    console.warn('station: camera', err);
    $('#camera-problem-title').textContent = this.#i18n.t(`camera.${kind}.title`);
    $('#camera-problem-text').textContent = this.#i18n.t(`camera.${kind}.text`);
    $('#audio-only').hidden = !(this.#allowAudioOnly && audioOnlyKinds.has(kind));
    this.#screens.show('camera-problem');
  }

  async #continueAudioOnly() {
    this.#allowAudioOnly = false;
    this.#screens.show('preparing');
    try {
      this.#media = await openCamera({ video: false });
    } catch (err) {
      this.#cameraProblem(err);
      return;
    }
    await this.#request();
  }

  async #request() {
    const check = await checkLinkBeforeCall({ signaling: this.#sig, session: this.#session, i18n: this.#i18n });
    this.#startProfile = check.linkProfile;
    let reply;
    try {
      reply = await this.#sig.request('call.request', {
        item_id: this.#item.id,
        green_channel: this.#green,
        appointment_id: this.#appointment,
        audio_only: !this.#media?.getVideoTracks().length,
      });
    } catch (err) {
      this.#dropStandby();
      this.#releaseMedia();
      this.#requestFailed(err);
      return;
    }
    this.#requestId = reply.data.request_id;
    this.#savePending();
    this.#showQueue(reply.data);
  }

  #requestFailed(err) {
    console.warn('station: call.request', err);
    if (err.code === 'no_agents') {
      this.#notice('notice.no_agents', this.#openingHours(err.message));
    } else if (err.code === 'queue_unavailable') {
      this.#notice('notice.queue_unavailable');
    } else if (err.code === 'offline' || err.code === 'timeout') {
      this.#notice('notice.offline');
    } else {
      this.#notice('notice.error');
    }
  }

  // openingHours picks the hours out of the server's no_agents message
  // ("…服务时间：工作日 8:30–17:00"); without them it says the usual hours.
  #openingHours(message = '') {
    const m = /(?:服务时间|opening hours)[:：]\s*(.+)$/i.exec(message);
    return m ? this.#i18n.t('notice.hours_are', { hours: m[1].trim() }) : this.#i18n.t('notice.hours');
  }

  #notice(key, hours = '') {
    $('#notice-title').textContent = this.#i18n.t(`${key}.title`);
    $('#notice-text').textContent = this.#i18n.t(`${key}.text`);
    $('#notice-hours').textContent = hours;
    $('#notice-hours').hidden = !hours;
    this.#screens.show('notice');
  }

  #showQueue(pos) {
    this.#renderQueueItem();
    renderGreenFlags(this.#i18n, this.#green);
    this.#onPosition(pos);
    const hasVideo = Boolean(this.#media?.getVideoTracks().length);
    const standing = this.#standBy();
    $('#queue-self').hidden = !hasVideo;
    let note = hasVideo ? 'queue.preview' : 'queue.audio_only';
    if (hasVideo && standing) note = 'queue.preconnected';
    $('.queue-preview p').textContent = this.#i18n.t(note);
    if (hasVideo) playInto($('#queue-self'), this.#media);
    this.#screens.show('queue');
  }

  // preconnect makes the standing connection, sending nothing yet, while
  // the link check runs: across a slow island link its ICE checks and DTLS
  // take seconds, which an agent who accepts at once would otherwise wait.
  #preconnect() {
    if (!this.#sig.welcome?.preconnect || !this.#media) return;
    this.#standby ??= this.#connection('standby', true);
  }

  // standBy sends the waiting station's camera on its standing connection
  // when the node takes them; it reports whether one is up.
  #standBy() {
    if (!this.#sig.welcome?.preconnect || !this.#media) return false;
    this.#standby ??= this.#connection('standby');
    this.#standby.resume(this.#startProfile);
    return true;
  }

  // connection makes a media connection of the station's camera and
  // microphone for callId ('standby' or a call's).
  #connection(callId, paused = false) {
    return new CallConnection({
      signaling: this.#sig,
      callId,
      iceServers: this.#sig.welcome?.ice_servers ?? [],
      local: localTracks(this.#media, this.#document),
      relayOnly: kioskSettings().relayOnly,
      paused,
      linkProfile: this.#startProfile,
      watchUplink: true,
    });
  }

  #dropStandby() {
    this.#standby?.close();
    this.#standby = null;
  }

  // standbyClosed: the node closed the standing connection (the request
  // left the queue, or a call started without it). The camera no longer
  // goes anywhere, and the queue screen must not say it does.
  #standbyClosed() {
    this.#dropStandby();
    if (this.#requestId && this.#media?.getVideoTracks().length) {
      $('.queue-preview p').textContent = this.#i18n.t('queue.preview');
    }
  }

  #renderQueueItem() {
    $('#queue-item').textContent = this.#item ? this.#i18n.pick(this.#item, 'name') : '';
  }

  #onPosition(d) {
    if (!d.request_id || d.request_id !== this.#requestId) return;
    const ahead = Math.max(0, (d.position ?? 1) - 1);
    if (this.#position?.position !== d.position || this.#position?.request_id !== d.request_id) {
      sayPrompt(ahead > 0 ? 'speech.position' : 'speech.next', { n: ahead });
    }
    this.#position = d;
    $('#queue-position-label').textContent = this.#i18n.t(ahead > 0 ? 'queue.position' : 'queue.first');
    $('#queue-ahead').textContent = ahead > 0 ? this.#i18n.t('queue.ahead', { n: ahead }) : this.#i18n.t('queue.next');
    const s = d.estimated_wait_s ?? 0;
    $('#queue-wait').textContent = s < 60
      ? this.#i18n.t('queue.under_minute')
      : this.#i18n.t('queue.minutes', { n: Math.ceil(s / 60) });
  }

  async cancel() {
    const id = this.#requestId;
    this.#requestId = '';
    this.#clearPending();
    this.#dropStandby();
    this.#releaseMedia();
    this.dispatchEvent(new CustomEvent('done'));
    if (!id) return;
    try {
      await this.#sig.request('call.cancel', { request_id: id });
    } catch (err) {
      // A request left behind is cancelled when the link is back (resume).
      console.warn('station: call.cancel', err);
    }
  }

  async #onStarted(d) {
    if (d.moved && this.#conn && this.#call?.call_id === d.call_id) {
      // The call went on on another server: same call, new media connection.
      this.#call = d;
      this.#connect(d);
      return;
    }
    if (this.#requestId) sayPrompt('speech.turn'); // not when a reload comes back to the call
    this.#requestId = '';
    this.#call = d;
    this.#item = d.item ?? this.#item;
    this.#savePending();
    localStorage.setItem(callKey, d.call_id);
    if (!this.#media) await this.#reopenMedia();
    if (this.#call !== d) return; // ended while the camera opened
    this.#screen.open(d, this.#media, this.#document);
    this.#scans.start(d.call_id, this.#document);
    this.#signing.start(d.call_id);
    this.#screens.show('call');
    const standing = this.#standby;
    this.#standby = null;
    if (d.standby && standing) this.#use(standing);
    else {
      standing?.close();
      this.#connect(d);
    }
  }

  // reopenMedia gets the devices back after a reload, without questions:
  // the resident is already talking, so voice only beats no call.
  async #reopenMedia() {
    try {
      this.#media = await openCamera(this.#cameraChoice());
      this.#document = await openDocumentCamera(this.#media, this.#documentCamera);
    } catch {
      this.#media = await openCamera({ video: false }).catch(() => null);
    }
  }

  #connect(d) {
    this.#conn?.close();
    this.#use(this.#connection(d.call_id));
  }

  // use makes conn the call's media connection; a standing one may have had
  // the agent's tracks already.
  #use(conn) {
    conn.addEventListener('remotestream', (/** @type {CustomEvent} */ e) => this.#screen.remote(e.detail));
    // Others beyond the main party (a barging supervisor): shown as tiles.
    conn.addEventListener('otherstream', (/** @type {CustomEvent} */ e) => this.dispatchEvent(new CustomEvent('otherstream', { detail: e.detail })));
    conn.addEventListener('connectionstate', (/** @type {CustomEvent} */ e) => this.#screen.mediaState(e.detail.state));
    this.#conn = conn;
    for (const role of ['main', 'document']) {
      const stream = conn.remoteStream(role);
      if (stream) this.#screen.remote({ role, stream });
    }
  }

  // connection exposes the running call's PeerConnection for diagnostics.
  get connection() {
    return this.#conn;
  }

  // standbyConnection is the connection made while waiting, for diagnostics.
  get standbyConnection() {
    return this.#standby;
  }

  async hangup() {
    const call = this.#call;
    if (!call) return;
    try {
      await this.#sig.request('call.hangup', { call_id: call.call_id });
    } catch (err) {
      // Offline: end here; the server ends it too when we do not come back,
      // or hears the hang-up again on resume.
      console.warn('station: call.hangup', err);
      this.#finish(call.call_id, 'by_station');
    }
  }

  #onEnded(d) {
    if (!this.#call && this.#requestId && d.call_id === this.#requestId) {
      this.#requestLost(); // accepted, but the call could not be set up
      return;
    }
    if (!this.#isCurrent(d)) return;
    let reason = d.reason === 'hangup' ? (d.by === 'station' ? 'by_station' : 'by_agent') : d.reason;
    if (!['by_station', 'by_agent', 'disconnected', 'shutdown'].includes(reason)) reason = 'by_agent';
    this.#finish(d.call_id, reason);
  }

  // finish closes the call here and hands over to what follows it: the
  // 'ended' event carries the call.started data and the ended.* text key.
  #finish(callId, reason) {
    const call = this.#call ?? { call_id: callId };
    this.#endedCallId = callId;
    this.#call = null;
    this.#dropStandby();
    this.#conn?.close();
    this.#conn = null;
    this.#scans.stop();
    this.#signing.stop();
    this.#screen.close();
    this.#releaseMedia();
    this.#clearPending();
    localStorage.removeItem(callKey);
    sayPrompt('speech.ended');
    this.dispatchEvent(new CustomEvent('ended', { detail: { call, reason: `ended.${reason}` } }));
  }

  // requestLost ends the wait for a request the server gave up: the
  // resident may ask again.
  #requestLost() {
    this.#requestId = '';
    this.#clearPending();
    this.#dropStandby();
    this.#releaseMedia();
    this.#notice('notice.error');
  }

  #isCurrent(d) {
    return Boolean(this.#call) && d.call_id === this.#call.call_id;
  }

  // resume reconciles with what the server holds after (re)connecting.
  resume(welcome) {
    if (welcome.call) {
      this.#resumeCall(welcome);
    } else if (this.#call) {
      this.#finish(this.#call.call_id, 'lost');
    } else if (localStorage.getItem(callKey)) {
      // The kiosk lost power or its link mid-call and came back too late.
      localStorage.removeItem(callKey);
      this.#notice('notice.call_lost');
    } else if (welcome.waiting) {
      this.#resumeWaiting(welcome.waiting, Boolean(welcome.standby));
    } else if (this.#requestId) {
      this.#requestId = '';
      this.#clearPending();
      this.#releaseMedia();
      this.#notice('notice.offline');
    }
  }

  #resumeCall(welcome) {
    const c = welcome.call;
    if (c.call_id === this.#endedCallId) {
      this.#sig.request('call.hangup', { call_id: c.call_id }).catch(() => {});
      return;
    }
    if (this.#conn && this.#call?.call_id === c.call_id && welcome.resumed && !c.moved) {
      this.#conn.signalingResumed();
      return;
    }
    this.#onStarted(c);
  }

  // resumeWaiting picks the wait up again. A node that holds no standing
  // connection of the kiosk (another node took it over) gets a new one.
  #resumeWaiting(w, standing) {
    const pending = this.#loadPending();
    if (this.#requestId === w.request_id) {
      this.#onPosition(w);
      if (!standing && this.#standby) {
        this.#dropStandby();
        this.#showQueue(w);
      }
      return;
    }
    if (!pending || pending.request_id !== w.request_id) {
      // Cancelled here while the link was down.
      this.#sig.request('call.cancel', { request_id: w.request_id }).catch(() => {});
      return;
    }
    this.#item = pending.item;
    this.#green = pending.green;
    this.#requestId = w.request_id;
    this.#reopenMedia().then(() => this.#requestId === w.request_id && this.#showQueue(w));
  }

  #releaseMedia() {
    stopStream(this.#media);
    stopStream(this.#document);
    this.#media = null;
    this.#document = null;
    $('#queue-self').srcObject = null;
  }

  #savePending() {
    const p = { item: this.#item, green: this.#green, request_id: this.#requestId };
    sessionStorage.setItem(pendingKey, JSON.stringify(p));
  }

  #loadPending() {
    try {
      return JSON.parse(sessionStorage.getItem(pendingKey) || 'null');
    } catch {
      return null;
    }
  }

  #clearPending() {
    sessionStorage.removeItem(pendingKey);
  }
}
