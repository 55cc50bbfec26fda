// @ts-check
// The watch panel of the supervisor view (监看): one running call's station
// and agent side by side, with sound, until the supervisor stops or the
// call ends, which the panel then says plainly.

import { $ } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { playInto } from '/lib/media.js';
import { MonitorConnection } from './monitor.js';
import { SuperviseBar, openSpeaking, sendFor, stopStream } from './supervise.js';

// Each view of the call and the <video> it plays in.
const videos = {
  'station-main': '#watch-station-video',
  'agent-main': '#watch-agent-video',
  'station-document': '#watch-document-video',
};

// States: idle (nothing watched), connecting (monitor.start sent), live,
// ended (the call ended or the watch was lost; the panel says which).
export class WatchPanel extends EventTarget {
  #sig;
  #i18n;
  #items;
  #conn = null;
  #call = null; // {call_id, station, agentName, item, startedAt}
  #state = 'idle';
  #end = null; // call.ended data, or {lost: true}
  #mediaTrouble = false;
  #attempt = 0; // counts watch() calls, so a late reply for an earlier one is dropped
  #timer = 0;
  #bar;
  #media = null; // the supervisor's own microphone and camera once they step in

  // items(id) names a catalog item in the page's language, if known.
  constructor({ signaling, i18n, items }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    this.#items = items;
    signaling.on('call.ended', (d) => this.#isCurrent(d) && this.#ended(d));
    this.#bar = new SuperviseBar({ i18n });
    this.#bar.addEventListener('mode', (/** @type {CustomEvent} */ e) => this.supervise(e.detail));
    $('#watch-stop').addEventListener('click', () => this.stop());
    $('#watch-close').addEventListener('click', () => this.#reset());
    $('#watch-sound').addEventListener('click', () => this.#soundOn());
    for (const sel of Object.values(videos)) {
      $(sel).addEventListener('resize', (e) => this.#renderVideo(e.target));
    }
    i18n.addEventListener('change', () => this.render());
    this.render();
  }

  get state() {
    return this.#state;
  }

  // callId is the call being watched (or just ended), if any.
  get callId() {
    return this.#call?.call_id ?? '';
  }

  // connection exposes the PeerConnection for diagnostics.
  get connection() {
    return this.#conn;
  }

  // watch starts watching a call of GET /api/v1/calls/live, leaving any
  // other one first.
  async watch(live) {
    if (this.#conn) await this.stop();
    const attempt = ++this.#attempt;
    this.#call = {
      call_id: live.id,
      station: { name: live.station_name, island: live.island },
      agentName: live.agent_name,
      item: { id: live.item_id, name_zh: live.item_name },
      startedAt: Date.parse(live.accepted_at),
    };
    this.#connect(live.id);
    this.#setState('connecting');
    try {
      const reply = await this.#sig.request('monitor.start', { call_id: live.id });
      if (attempt !== this.#attempt) return;
      this.#started(reply.data);
    } catch (err) {
      if (attempt !== this.#attempt) return;
      this.#teardown();
      this.#call = null;
      this.#setState('idle');
      const message = err.code === 'not_found' ? this.#i18n.t('watch.not_here') : err.message;
      this.#emit('notice', this.#i18n.t('watch.failed', { message }));
    }
  }

  // supervise steps into the call (耳语, 强插, 接管) or back to watching.
  async supervise(mode) {
    const callId = this.callId;
    if (this.#state !== 'live') return;
    try {
      await this.#sig.request('call.supervise', { call_id: callId, mode });
    } catch (err) {
      this.#emit('notice', this.#i18n.t('sv.supervise_failed', { message: err.message }));
      return;
    }
    if (mode !== 'watch' && !this.#media) await this.#speak(callId);
    if (this.#media) sendFor(/** @type {any} */ (this.#conn), mode);
    this.#bar.mode = mode;
    this.render();
  }

  async #speak(callId) {
    const attempt = this.#attempt;
    const { conn, media } = await openSpeaking({
      signaling: this.#sig,
      callId,
      onStream: (view, stream) => videos[view] && this.#stream({ view, stream }),
    });
    if (attempt !== this.#attempt) {
      conn.close();
      stopStream(media);
      return;
    }
    this.#conn?.close();
    this.#conn = conn;
    this.#media = media ?? new MediaStream();
  }

  // stop ends the watch (停止监看); an ended one is just closed. A call
  // taken over is the supervisor's own, so stopping hangs it up.
  async stop() {
    const callId = this.callId;
    const watching = Boolean(this.#conn);
    if (watching && this.#bar.mode === 'takeover') {
      await this.#sig.request('call.hangup', { call_id: callId }).catch((err) => console.debug('watch: call.hangup', err.message));
      return;
    }
    this.#attempt++;
    this.#reset();
    if (!watching) return;
    try {
      await this.#sig.request('monitor.stop', { call_id: callId });
    } catch (err) {
      // The call ended meanwhile, or the socket is down: the server drops
      // the watch either way.
      console.debug('watch: monitor.stop', err.message);
    }
  }

  // sessionLost: the server started a new session for this page (the old
  // one expired while the link was down), so it no longer sends the watch.
  sessionLost() {
    if (!this.#conn) return;
    this.#attempt++;
    this.#teardown();
    this.#end = { lost: true };
    this.#setState('ended');
  }

  // drop forgets the watch without telling the server (signed out).
  drop() {
    this.#attempt++;
    this.#reset();
  }

  #connect(callId) {
    const conn = new MonitorConnection({
      signaling: this.#sig,
      callId,
      iceServers: this.#sig.welcome?.ice_servers ?? [],
    });
    conn.addEventListener('stream', (/** @type {CustomEvent} */ e) => this.#stream(e.detail));
    conn.addEventListener('connectionstate', (/** @type {CustomEvent} */ e) => {
      this.#mediaTrouble = e.detail.state === 'disconnected' || e.detail.state === 'failed';
      this.#renderStatus();
    });
    this.#conn = conn;
  }

  // started takes monitor.started: the call as in call.started, whose
  // "peer" is the agent for anyone but the agent.
  #started(d) {
    const started = Date.parse(d.started_at);
    this.#call = {
      ...this.#call,
      station: d.station ?? this.#call.station,
      agentName: d.peer?.name || this.#call.agentName,
      item: d.item ?? this.#call.item,
      startedAt: Number.isNaN(started) ? this.#call.startedAt : started,
    };
    this.#setState('live');
  }

  #stream({ view, stream }) {
    const el = $(videos[view]);
    const conn = this.#conn;
    if (stream.getTracks().length === 0) {
      el.srcObject = null;
    } else {
      // A play() cut short by the end of an earlier watch leaves the
      // element muted; each watch starts with sound.
      if (el.srcObject !== stream) el.muted = view === 'station-document';
      playInto(el, stream, () => {
        if (this.#conn === conn && el.srcObject === stream) $('#watch-sound').hidden = false;
      });
    }
    this.#renderVideo(el);
  }

  #soundOn() {
    for (const view of ['station-main', 'agent-main']) {
      const el = $(videos[view]);
      el.muted = false;
      el.play().catch(() => {});
    }
    $('#watch-sound').hidden = true;
  }

  #ended(d) {
    this.#teardown();
    this.#end = d;
    this.#setState('ended');
  }

  #isCurrent(d) {
    return Boolean(this.#conn) && d.call_id === this.callId;
  }

  #reset() {
    this.#teardown();
    this.#call = null;
    this.#end = null;
    this.#setState('idle');
  }

  #teardown() {
    this.#conn?.close();
    this.#conn = null;
    stopStream(this.#media);
    this.#media = null;
    this.#bar.mode = 'watch';
    this.#mediaTrouble = false;
    for (const sel of Object.values(videos)) {
      const el = $(sel);
      el.srcObject = null;
      el.muted = sel.endsWith('document-video');
    }
    $('#watch-sound').hidden = true;
  }

  #setState(state) {
    this.#state = state;
    clearInterval(this.#timer);
    this.#timer = state === 'live' || state === 'connecting' ? setInterval(() => this.#renderMeta(), 1000) : 0;
    this.render();
    this.#emit('change', state);
  }

  render() {
    const panel = $('#watch');
    panel.dataset.state = this.#state;
    panel.dataset.call = this.callId;
    $('#watch-idle').hidden = this.#state !== 'idle';
    $('#watch-body').hidden = this.#state === 'idle';
    $('#watch-stop').hidden = this.#state !== 'connecting' && this.#state !== 'live';
    $('#watch-close').hidden = this.#state !== 'ended';
    this.#bar.render(this.#state === 'live');
    $('#watch-videos').hidden = this.#state === 'ended';
    const c = this.#call;
    $('#watch-station').textContent = c?.station?.name ?? '';
    $('#watch-island').hidden = !c?.station?.island;
    this.#renderMeta();
    this.#renderStatus();
    for (const sel of Object.values(videos)) this.#renderVideo($(sel));
  }

  #renderMeta() {
    const c = this.#call;
    if (!c) {
      $('#watch-meta').textContent = '';
      return;
    }
    const item = this.#items(c.item?.id) || this.#i18n.pick(c.item, 'name');
    const seconds = this.#end?.duration_s ?? (Date.now() - c.startedAt) / 1000;
    $('#watch-meta').textContent = this.#i18n.t('watch.meta', {
      agent: c.agentName,
      item,
      duration: formatDuration(Number.isFinite(seconds) ? seconds : 0),
    });
  }

  #renderStatus() {
    const status = $('#watch-status');
    const title = $('#watch-ended-title');
    title.hidden = this.#state !== 'ended' || Boolean(this.#end?.lost);
    status.classList.toggle('is-trouble', this.#state === 'live' && this.#mediaTrouble);
    let text = '';
    if (this.#state === 'connecting') text = this.#i18n.t('watch.connecting');
    else if (this.#state === 'live') text = this.#i18n.t(this.#mediaTrouble ? 'watch.media_trouble' : 'watch.live');
    else if (this.#state === 'ended') text = this.#endText();
    status.textContent = text;
  }

  #endText() {
    const e = this.#end ?? {};
    if (e.lost) return this.#i18n.t('watch.lost');
    let how = 'watch.ended_disconnected';
    if (e.reason === 'shutdown') how = 'watch.ended_shutdown';
    else if (e.reason === 'hangup') how = e.by === 'agent' ? 'watch.ended_by_agent' : 'watch.ended_by_station';
    return this.#i18n.t('watch.ended_detail', { how: this.#i18n.t(how), duration: formatDuration(e.duration_s ?? 0) });
  }

  // renderVideo shows "waiting for video" over a tile until it has a
  // picture; the document camera's tile appears only when there is one.
  #renderVideo(el) {
    const tile = el.closest('.watch-tile');
    const picture = Boolean(el.srcObject) && el.videoWidth > 0;
    tile.dataset.playing = String(picture);
    if (tile.dataset.view === 'station-document') tile.hidden = !el.srcObject?.getVideoTracks().length;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
