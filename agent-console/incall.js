// @ts-check
// The agent's side of a call: station video large with the document camera
// and the case work beside it, own video small, the item's guide, text
// chat, mute, hang-up and the call timer.

import { $, h } from '/lib/dom.js';
import { CallConnection } from '/lib/call.js';
import { watchVideoPause } from '/lib/linknotice.js';
import { watchStationLink } from './linkbar.js';
import { formatDuration } from '/lib/i18n.js';
import { localTracks, openCamera, playInto, stopStream } from '/lib/media.js';
import { CasePanel } from './casework.js';

export class AgentCall extends EventTarget {
  #sig;
  #i18n;
  #session;
  #data = null;
  #conn = null;
  #media = null;
  #timer = 0;
  #startedAt = 0;
  #guide = null;
  #peerTrouble = '';
  #mediaTrouble = false;
  #recording = null; // the last recording.status
  #case;
  // standby is the media connection kept up while the agent is ready between
  // calls (welcome.preconnect): the accepted call adopts it, so the first
  // frame needs no new connection. The node forwards nothing of it before.
  /** @type {{conn: CallConnection | null, media: MediaStream | null} | null} */
  #standby = null;

  constructor({ signaling, i18n, session }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    this.#session = session;
    this.#case = new CasePanel({ signaling, session, i18n });
    this.#case.addEventListener('notice', (/** @type {CustomEvent} */ e) => this.dispatchEvent(new CustomEvent('notice', { detail: e.detail })));
    signaling.on('call.started', (d) => this.start(d));
    signaling.on('call.ended', (d) => this.#ended(d));
    // The node closed the standing connection (not ready, or a call taken on
    // another connection): close this end and its camera too.
    signaling.on('standby.closed', () => this.#dropStandby());
    signaling.on('call.peer_state', (d) => this.#isCurrent(d) && d.party !== 'agent' && this.#peerState(d.state));
    signaling.on('chat.message', (d) => this.#isCurrent(d) && this.#chatMessage(d));
    watchVideoPause(signaling, $('#call-weak-link'), (d) => this.#isCurrent(d));
    watchStationLink(signaling, i18n, $('#call-weak-link').parentElement, (d) => this.#isCurrent(d));
    signaling.on('recording.status', (d) => {
      this.#recording = d;
      this.#renderRecording();
    });
    $('#hangup').addEventListener('click', () => this.hangup());
    $('#mute').addEventListener('click', () => this.#toggleMute());
    $('#chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#sendChat();
    });
    $('#sound-on').addEventListener('click', () => {
      $('#station-video').muted = false;
      $('#station-video').play().catch(() => {});
      $('#sound-on').hidden = true;
    });
    $('#station-video').addEventListener('resize', () => {
      $('#stage-empty').hidden = $('#station-video').videoWidth > 0;
    });
    i18n.addEventListener('change', () => this.#renderGuide());
  }

  get active() {
    return Boolean(this.#data);
  }

  get data() {
    return this.#data;
  }

  // connection exposes the PeerConnection for diagnostics.
  get connection() {
    return this.#conn;
  }

  // standbyConnection is the standing connection while ready, for diagnostics.
  get standbyConnection() {
    return this.#standby?.conn ?? null;
  }

  // start opens the call screen for call.started data (or welcome.call after
  // a reload); a second call.started for the same call is ignored, unless
  // the call moved to another server: then only the media connects anew.
  async start(d) {
    if (this.#data?.call_id === d.call_id) {
      if (d.moved && this.#conn) this.#connect(d);
      return;
    }
    const standing = d.standby && this.#standby?.conn ? this.#standby : null;
    this.#standby = null;
    if (!standing) this.#dropStandby();
    this.#data = d;
    this.#guide = null;
    this.#resetScreen(d);
    this.#case.start(d);
    this.dispatchEvent(new CustomEvent('started', { detail: d }));
    if (standing) {
      this.#media = standing.media;
      this.#showSelf();
      this.#use(standing.conn);
      this.#loadGuide(d.item?.id);
      return;
    }
    await this.#openMedia();
    if (this.#data !== d) return; // ended meanwhile
    this.#connect(d);
    this.#loadGuide(d.item?.id);
  }

  // standBy keeps a standing media connection while the agent is ready
  // (state "ready"), and closes it when they go not ready or offline.
  // held false (a welcome without standby: the node has none of ours) makes
  // it anew.
  async standBy(state, held = true) {
    const off = state === 'not_ready' || state === 'offline';
    if (off || !held) this.#dropStandby();
    if (off) return;
    if (state !== 'ready' || !this.#sig.welcome?.preconnect || this.#standby || this.#data) return;
    const slot = { conn: null, media: null };
    this.#standby = slot;
    const media = await openCamera().catch(() => openCamera({ video: false }).catch(() => null));
    if (this.#standby !== slot) {
      stopStream(media);
      return;
    }
    slot.media = media;
    slot.conn = new CallConnection({
      signaling: this.#sig,
      callId: 'standby',
      iceServers: this.#sig.welcome?.ice_servers ?? [],
      local: localTracks(media, null),
    });
  }

  #dropStandby() {
    const s = this.#standby;
    this.#standby = null;
    s?.conn?.close();
    stopStream(s?.media ?? null);
  }

  // signalingResumed: the WebSocket came back to the same session.
  signalingResumed() {
    this.#conn?.signalingResumed();
  }

  async hangup() {
    const d = this.#data;
    if (!d) return;
    try {
      await this.#sig.request('call.hangup', { call_id: d.call_id });
    } catch (err) {
      console.warn('console: call.hangup', err);
      if (err.code === 'not_found' || err.code === 'invalid_state') {
        this.#ended({ call_id: d.call_id, reason: 'hangup', by: 'agent', duration_s: 0 });
      }
    }
  }

  // drop ends the call screen without wrap-up: the server no longer has
  // the call (it ended while this page was away).
  drop() {
    if (this.#data) this.#teardown();
  }

  #resetScreen(d) {
    const started = Date.parse(d.started_at);
    this.#startedAt = Number.isNaN(started) || started > Date.now() ? Date.now() : started;
    $('#chat-log').replaceChildren();
    $('#chat-input').value = '';
    $('#stage-empty').hidden = false;
    // A resident who called without a camera is not waited for.
    const text = $('#stage-empty-text');
    text.dataset.i18n = d.station?.audio_only ? 'call.audio_only' : 'call.waiting_video';
    text.textContent = this.#i18n.t(text.dataset.i18n);
    $('#stage-empty').classList.toggle('is-audio-only', Boolean(d.station?.audio_only));
    $('#document-view').hidden = true;
    $('#sound-on').hidden = true;
    $('#mute').setAttribute('aria-pressed', 'false');
    this.#peerTrouble = '';
    this.#mediaTrouble = false;
    this.#renderTrouble();
    this.#renderRecording();
    this.#renderGuide();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#tick();
  }

  async #openMedia() {
    try {
      this.#media = await openCamera();
    } catch (err) {
      console.warn('console: camera', err);
      this.dispatchEvent(new CustomEvent('notice', { detail: this.#i18n.t('call.no_camera') }));
      this.#media = await openCamera({ video: false }).catch(() => null);
    }
    this.#showSelf();
  }

  #showSelf() {
    const hasVideo = Boolean(this.#media?.getVideoTracks().length);
    $('.self-pip').hidden = !hasVideo;
    if (hasVideo) playInto($('#self-video'), this.#media);
  }

  #connect(d) {
    this.#conn?.close();
    this.#use(new CallConnection({
      signaling: this.#sig,
      callId: d.call_id,
      iceServers: this.#sig.welcome?.ice_servers ?? [],
      local: localTracks(this.#media, null),
    }));
  }

  // use makes conn the call's media connection; a standing one may have had
  // the station's tracks already.
  #use(conn) {
    conn.addEventListener('remotestream', (/** @type {CustomEvent} */ e) => this.#remote(e.detail));
    // Others beyond the main party (a barging supervisor): shown as tiles.
    conn.addEventListener('otherstream', (/** @type {CustomEvent} */ e) => this.dispatchEvent(new CustomEvent('otherstream', { detail: e.detail })));
    conn.addEventListener('connectionstate', (/** @type {CustomEvent} */ e) => {
      this.#mediaTrouble = e.detail.state === 'disconnected' || e.detail.state === 'failed';
      this.#renderTrouble();
    });
    this.#conn = conn;
    for (const role of ['main', 'document']) {
      const stream = conn.remoteStream(role);
      if (stream) this.#remote({ role, stream });
    }
  }

  #remote({ role, stream }) {
    if (role === 'document') {
      const has = stream.getVideoTracks().length > 0;
      $('#document-view').hidden = !has;
      if (has) playInto($('#document-video'), stream);
      return;
    }
    playInto($('#station-video'), stream, () => {
      $('#sound-on').hidden = false;
    });
  }

  // loadGuide adds what call.started does not carry (the one-line guide,
  // the signature flag) from the catalog; the call goes on without it.
  async #loadGuide(id) {
    if (!id) return;
    try {
      const item = await this.#session.api(`/api/v1/catalog/${encodeURIComponent(id)}`);
      if (this.#data?.item?.id !== id) return;
      this.#guide = item;
      this.#renderGuide();
    } catch (err) {
      console.warn('console: catalog item', err);
    }
  }

  #renderGuide() {
    const d = this.#data;
    if (!d) return;
    const item = { ...d.item, ...this.#guide };
    $('#call-station').textContent = d.station?.name ?? d.peer?.name ?? '';
    $('#call-island').hidden = !(d.station?.island ?? d.peer?.island);
    $('#call-green').hidden = !d.green_channel;
    $('#call-green').textContent = d.green_channel ? this.#i18n.t(`green.${d.green_channel}`) : '';
    $('#guide-title').textContent = this.#i18n.pick(item, 'name');
    $('#guide-mode').textContent = item.mode ? this.#i18n.t(`mode.${item.mode}`) : '—';
    $('#guide-time').textContent = item.time_limit_days > 0
      ? this.#i18n.t('time.days', { n: item.time_limit_days })
      : this.#i18n.t('time.on_spot');
    $('#guide-signature').textContent = item.signature_required === undefined
      ? '—'
      : this.#i18n.t(item.signature_required ? 'guide.signature_yes' : 'guide.signature_no');
    $('#guide-text').hidden = !item.guide_zh;
    $('#guide-text').textContent = item.guide_zh ?? '';
  }

  async #sendChat() {
    const input = $('#chat-input');
    const text = input.value.trim();
    if (!text || !this.#data) return;
    // Cleared at once: what the agent types while this one is on its way is
    // the next message, not to be wiped when the server answers.
    input.value = '';
    try {
      await this.#sig.request('chat.send', { call_id: this.#data.call_id, text });
    } catch (err) {
      if (!input.value) input.value = text; // to send again
      this.#chatLine({ system: true, text: this.#i18n.t('chat.failed', { message: err.message }) });
    }
  }

  #chatMessage(d) {
    this.#chatLine({ mine: d.from === 'agent', name: d.name, text: d.text, at: d.at });
  }

  /** @param {{mine?: boolean, system?: boolean, name?: string, text: string, at?: string}} line */
  #chatLine({ mine = false, system = false, name = '', text, at }) {
    const time = at ? new Date(at).toLocaleTimeString(this.#i18n.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit' }) : '';
    const cls = system ? 'chat-system' : mine ? 'chat-mine' : 'chat-theirs';
    const log = $('#chat-log');
    log.append(h('li', { class: cls }, h('span', { class: 'chat-meta' }, [name, time].filter(Boolean).join(' · ')), h('p', {}, text)));
    log.scrollTop = log.scrollHeight;
  }

  #toggleMute() {
    const muted = $('#mute').getAttribute('aria-pressed') !== 'true';
    $('#mute').setAttribute('aria-pressed', String(muted));
    this.#conn?.setMuted('audio', muted);
  }

  #peerState(state) {
    this.#peerTrouble = state === 'connected' ? '' : state;
    this.#renderTrouble();
  }

  #renderTrouble() {
    let key = '';
    if (this.#mediaTrouble) key = 'call.media_reconnecting';
    else if (this.#peerTrouble === 'reconnecting') key = 'call.peer_reconnecting';
    else if (this.#peerTrouble) key = 'call.peer_disconnected';
    $('#call-peer-state').hidden = !key;
    $('#call-peer-state').textContent = key ? this.#i18n.t(key) : '';
  }

  // renderRecording warns while this call is not being recorded; the
  // status may come just before the call's screen opens.
  #renderRecording() {
    const r = this.#recording;
    $('#call-unrecorded').hidden = !(r && this.#isCurrent(r) && !r.recording);
  }

  #tick() {
    $('#call-timer').textContent = formatDuration((Date.now() - this.#startedAt) / 1000);
  }

  #isCurrent(d) {
    return Boolean(this.#data) && d.call_id === this.#data.call_id;
  }

  #ended(d) {
    if (!this.#isCurrent(d)) return;
    const data = this.#data;
    const materials = this.#case.materials;
    this.#teardown();
    this.dispatchEvent(new CustomEvent('ended', { detail: { call: data, ended: d, materials } }));
  }

  #teardown() {
    this.#data = null;
    this.#case.stop();
    clearInterval(this.#timer);
    this.#conn?.close();
    this.#conn = null;
    stopStream(this.#media);
    this.#media = null;
    for (const id of ['#station-video', '#self-video', '#document-video']) $(id).srcObject = null;
    $('#station-video').muted = false;
  }
}
