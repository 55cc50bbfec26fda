// @ts-check
// CallConnection: this party's one PeerConnection to the server for a call.
//
// Negotiation follows the "perfect negotiation" pattern: the server may send
// rtc.offer at any time (the other party's tracks appeared) while this side
// may be offering too (new tracks, ICE restart). Exactly one side must yield
// on a collision. Our server is the polite side (media/negotiation.go: it
// drops its unanswered offer when a client offer arrives and offers again
// after answering), so by default the client is the impolite one and ignores
// a server offer that collides with its own. polite: true gives the other
// role (roll back ours, answer theirs) for a server that does not yield.
//
// An ignored server offer is kept, though: when the server made it after
// answering ours (its answer can reach us after its next offer), it is still
// waiting there for an answer. The SDP session version, which grows with
// every description the server makes (JSEP 5.2.2), tells the two cases apart.
// ICE failures are repaired with an ICE restart, and a reconnected WebSocket
// re-sends whatever negotiation it missed.

import { cameraDegradation, capEncoding, startEncoding, voiceEncoding, voiceRateWanted } from './linkprofile.js';

// How long a "disconnected" ICE state may last before we restart ICE
// instead of waiting for it to recover on its own.
const disconnectGrace = 4000;
// How long a restart may stay "connecting" before it is made again: one
// made while the link was dark may have given up its checks, or the server
// may never have seen its offer. The Go client (client.KeepICE) keeps the
// same rule.
const connectGrace = 10_000;
// A refused or unanswered offer is tried again after this pause.
const negotiationRetry = 3000;
// The camera's temporal layers (addLocal).
const cameraLayers = 'L1T3';
// How often a station's call samples its own uplink (watchUplink).
const uplinkEvery = 2000;

export class CallConnection extends EventTarget {
  #sig;
  #callId;
  #pc;
  #local;
  #polite;
  #fresh = true;
  #makingOffer = false;
  #ignoredOffer = null;
  // offersSent counts our offers put on the wire: a server offer received
  // before one of them was withdrawn by the server when ours reached it.
  #offersSent = 0;
  #negotiating = false;
  #negotiationWanted = false;
  #pendingCandidates = [];
  #remote = { main: null, document: null };
  // mainId is the stream shown as "main" (the first party's); the voices of
  // anyone else in the call (a consulted agent, a whispering supervisor)
  // play from #others, keyed by stream id, unless extraAudio is off. When
  // the main party leaves (a hand-over), the next one becomes main.
  #mainId = '';
  /** @type {MediaStream | null} */
  #mainNative = null;
  #extraAudio;
  /** @type {Map<string, {native: MediaStream, audio: HTMLAudioElement | null, watched?: boolean}>} */
  #others = new Map();
  #remoteOps = Promise.resolve();
  #disconnectTimer = 0;
  #connectTimer = 0;
  #retryTimer = 0;
  #closed = false;
  #paused;
  /** @type {import('./linkprofile.js').LinkProfile | null} */
  #profile;
  #unsubscribe = [];
  #uplinkTimer = 0;
  #voiceSlow = false;
  #voiceRun = 0;
  #voiceCap = 0;
  /** @type {{delay: number, packets: number} | null} */
  #cameraSent = null;
  #cameraSince = 0;

  // local is a list of {track, source, stream}: source is "audio", "camera"
  // or "document", as protocol.md labels sent tracks. relayOnly keeps media
  // on the TURN relays (iceTransportPolicy "relay"). paused negotiates the
  // tracks but sends nothing of them until resume(): a kiosk connects while
  // it checks its link, so that ICE and DTLS across a slow link are done
  // before it queues, and the check's probe has the link to itself.
  // linkProfile, if given, starts the encoders in place of the station's
  // own (welcome.link_profile). watchUplink (a station's) puts the microphone
  // at a speech rate while the browser's own figures say its uplink is thin.
  constructor({ signaling, callId, iceServers = [], local = [], polite = false, relayOnly = false, extraAudio = true, paused = false, linkProfile = null, watchUplink = false }) {
    super();
    this.#paused = paused;
    this.#profile = linkProfile;
    this.#extraAudio = extraAudio;
    this.#polite = polite;
    this.#sig = signaling;
    this.#callId = callId;
    this.#local = local;
    this.#pc = this.#createPeer(iceServers, relayOnly);
    signaling.callLive(true);
    const online = () => this.#repair();
    window.addEventListener('online', online);
    this.#unsubscribe.push(
      () => signaling.callLive(false),
      () => window.removeEventListener('online', online),
      signaling.on('rtc.offer', (d) => {
        if (!this.#forThisCall(d)) return;
        const sent = this.#offersSent;
        this.#queueRemote(() => this.#answer(d, sent));
      }),
      signaling.on('rtc.candidate', (d) => this.#forThisCall(d) && this.#queueRemote(() => this.#addCandidate(d))),
      signaling.on('call.bitrate_limit', (d) => {
        if (!this.#forThisCall(d)) return;
        this.#capVideo(d.max_bitrate);
        this.#capVoice(d.max_audio_bitrate ?? 0);
      }),
    );
    if (watchUplink) {
      this.#uplinkTimer = window.setInterval(() => {
        this.#watchUplink().catch((err) => console.warn('call: uplink sample', err));
      }, uplinkEvery);
    }
  }

  // watchUplink samples the camera sender's own figures and sets the
  // microphone's rate when they cross voiceRateWanted's lines: on a thin
  // uplink the microphone's full rate made the browser hold the camera's
  // packets seconds behind the voice.
  async #watchUplink() {
    const sender = this.#senderOf('camera');
    if (!sender || this.#paused) return;
    let delay = 0, packets = 0, sendBps = 0;
    for (const s of (await sender.getStats()).values()) {
      if (s.type === 'outbound-rtp') {
        delay += s.totalPacketSendDelay ?? 0;
        packets += s.packetsSent ?? 0;
      } else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        sendBps = s.availableOutgoingBitrate ?? 0;
      }
    }
    if (packets > 0) this.#cameraSince ||= performance.now();
    const last = this.#cameraSent;
    this.#cameraSent = { delay, packets };
    if (!last || packets <= last.packets || !(sendBps > 0)) return;
    const heldMs = (1000 * (delay - last.delay)) / (packets - last.packets);
    const sendingMs = performance.now() - this.#cameraSince;
    const { slow, run } = voiceRateWanted(this.#voiceSlow, { heldMs, sendBps, sendingMs }, this.#voiceRun);
    this.#voiceRun = run;
    if (slow === this.#voiceSlow || this.#closed) return;
    this.#voiceSlow = slow;
    await this.#setVoice();
  }

  // capVoice holds the microphone to the server's cap (call.bitrate_limit's
  // max_audio_bitrate; 0: none): the far end's link is known to be thin.
  async #capVoice(bps) {
    if (bps === this.#voiceCap) return;
    this.#voiceCap = bps;
    await this.#setVoice();
  }

  async #setVoice() {
    const mic = this.#senderOf('audio');
    if (!mic || this.#closed) return;
    const params = mic.getParameters();
    for (const e of params.encodings ?? []) voiceEncoding(e, this.#voiceSlow, this.#linkProfile, this.#voiceCap);
    try {
      await mic.setParameters(params);
    } catch (err) {
      console.warn('call: microphone rate', err);
    }
  }

  /** @param {string} source */
  #senderOf(source) {
    const local = this.#local.find((l) => l.source === source);
    return local ? this.#pc.getSenders().find((s) => s.track === local.track) : undefined;
  }

  // capVideo holds the video encoders to what the other side's link can take
  // (call.bitrate_limit), so a weak far end is not sent more than it receives.
  async #capVideo(bps) {
    if (!(bps > 0)) return;
    for (const sender of this.#pc.getSenders()) {
      if (sender.track?.kind !== 'video') continue;
      const source = this.#local.find((l) => l.track === sender.track)?.source ?? 'camera';
      const params = sender.getParameters();
      if (!params.encodings?.length) params.encodings = [{}];
      const width = sender.track.getSettings().width;
      for (const e of params.encodings) capEncoding(e, source, bps, this.#linkProfile, width);
      if (source === 'camera') {
        const pref = cameraDegradation(bps);
        if (pref) params.degradationPreference = pref;
        else delete params.degradationPreference;
      }
      try {
        await sender.setParameters(params);
      } catch (err) {
        console.warn('cap video bitrate', err);
      }
    }
  }

  // resume starts sending the tracks of a connection made paused, from the
  // encodings linkProfile starts with if given (the link check found the
  // link poor after the connection was made). Their transceivers are
  // negotiated already: no offer, no round trip.
  async resume(linkProfile = null) {
    if (!this.#paused) return;
    this.#paused = false;
    if (linkProfile) this.#profile = linkProfile;
    // At once, not one after another: the microphone must not wait for a
    // camera's encoder to be set up anew.
    await Promise.all(this.#pc.getSenders().filter((s) => s.track).map(async (sender) => {
      const source = this.#local.find((l) => l.track === sender.track)?.source ?? '';
      const start = startEncoding(this.#linkProfile, source);
      const params = sender.getParameters();
      for (const e of params.encodings ?? []) Object.assign(e, start, { active: true });
      try {
        await sender.setParameters(params);
      } catch (err) {
        console.warn('call: resume sending', err);
      }
    }));
  }

  get callId() {
    return this.#callId;
  }

  // pc is exposed for diagnostics (getStats).
  get pc() {
    return this.#pc;
  }

  get connectionState() {
    return this.#pc.connectionState;
  }

  // remoteStream returns the other party's "main" (audio + camera) or
  // "document" stream, if it has arrived.
  remoteStream(role) {
    return this.#remote[role];
  }

  // signalingResumed is called when the WebSocket is back: negotiation that
  // failed while it was down is sent again, and a broken ICE link restarted.
  signalingResumed() {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = 0;
    if (this.#negotiationWanted) this.#negotiate();
    this.#repair();
  }

  // repair restarts ICE at once if the connection is broken: the link is
  // back (the socket resumed, or the browser is online again).
  #repair() {
    const s = this.#pc.connectionState;
    if (s === 'failed' || s === 'disconnected') this.restartIce();
  }

  restartIce() {
    if (this.#closed) return;
    console.info('call: ICE restart');
    this.#pc.restartIce(); // fires negotiationneeded with an iceRestart offer
    clearTimeout(this.#connectTimer);
    this.#connectTimer = setTimeout(() => {
      const s = this.#pc.connectionState;
      if (s === 'connecting' || s === 'new') this.restartIce();
    }, connectGrace);
  }

  setMuted(kind, muted) {
    for (const { track } of this.#local) {
      if (track.kind === kind) track.enabled = !muted;
    }
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#uplinkTimer);
    clearTimeout(this.#disconnectTimer);
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#retryTimer);
    this.#unsubscribe.forEach((off) => off());
    this.#pc.close();
    for (const o of this.#others.values()) if (o.audio) o.audio.srcObject = null;
    this.#others.clear();
  }

  #createPeer(iceServers, relayOnly) {
    const iceTransportPolicy = relayOnly ? 'relay' : 'all';
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy, bundlePolicy: 'max-bundle' });
    pc.onicecandidate = (e) => this.#sendCandidate(e.candidate);
    pc.ontrack = (e) => this.#onTrack(e);
    pc.onnegotiationneeded = () => {
      this.#negotiationWanted = true;
      if (!this.#retryTimer) this.#negotiate();
    };
    pc.onconnectionstatechange = () => this.#onConnectionState();
    for (const local of this.#local) this.#addLocal(pc, local);
    if (this.#local.length === 0) {
      // Nothing to send still needs an offer the server can answer.
      pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    return pc;
  }

  // addLocal sends one local track. A station on a weak link starts its
  // encoders low (welcome.link_profile). The camera is encoded in three
  // temporal layers where the browser can: a frame lost on a weak link then
  // spoils only the frames that refer to it, not every frame up to the next
  // keyframe, and the far end asks for far fewer keyframes. A paused
  // connection's encodings start inactive.
  #addLocal(pc, { track, stream, source }) {
    /** @type {RTCRtpEncodingParameters | null} */
    let start = startEncoding(this.#linkProfile, source);
    if (this.#paused) start = { ...start, active: false };
    if (source === 'camera') {
      try {
        const layered = { ...start, scalabilityMode: cameraLayers };
        pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream], sendEncodings: [layered] });
        return;
      } catch (err) {
        console.warn('call: camera without temporal layers', err);
      }
    }
    if (start) pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream], sendEncodings: [start] });
    else pc.addTrack(track, stream);
  }

  get #linkProfile() {
    return this.#profile ?? this.#sig.welcome?.link_profile ?? null;
  }

  #forThisCall(d) {
    return !this.#closed && d.call_id === this.#callId;
  }

  // negotiate sends our offer and applies the answer, once at a time; a
  // negotiationneeded that fires meanwhile is folded into the next round.
  async #negotiate() {
    if (this.#negotiating || this.#closed || !this.#sig.isOpen) return;
    this.#negotiating = true;
    try {
      while (this.#negotiationWanted && !this.#closed && this.#pc.signalingState === 'stable') {
        this.#negotiationWanted = false;
        await this.#offer();
      }
    } catch (err) {
      console.warn('call: negotiation failed', err);
      this.#negotiationWanted = true;
      await this.#rollback();
      this.#scheduleRetry();
    } finally {
      this.#negotiating = false;
    }
  }

  #scheduleRetry() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = 0;
      this.#negotiate();
    }, negotiationRetry);
  }

  async #offer() {
    this.#makingOffer = true;
    try {
      await this.#pc.setLocalDescription();
    } finally {
      this.#makingOffer = false;
    }
    console.debug(`call: offer sent (fresh: ${this.#fresh})`);
    this.#offersSent++;
    const reply = await this.#sig.request('rtc.offer', {
      call_id: this.#callId,
      sdp: this.#pc.localDescription.sdp,
      fresh: this.#fresh,
      sources: this.#sources(),
    });
    if (this.#pc.signalingState !== 'have-local-offer') {
      // Polite only: a server offer crossed ours and won; the browser asks again.
      return;
    }
    await this.#pc.setRemoteDescription({ type: 'answer', sdp: reply.data.sdp });
    console.debug('call: answer applied');
    this.#fresh = false;
    await this.#flushCandidates();
    this.#answerIgnoredOffer(sdpVersion(reply.data.sdp));
  }

  // answerIgnoredOffer answers a server offer ignored during our
  // negotiation if the server made it after its answer to ours.
  #answerIgnoredOffer(answerVersion) {
    const d = this.#ignoredOffer;
    this.#ignoredOffer = null;
    if (d && answerVersion !== null && sdpVersion(d.sdp) > answerVersion) {
      console.debug('call: answering the server offer made after its answer');
      const sent = this.#offersSent;
      this.#queueRemote(() => this.#answer(d, sent));
    }
  }

  async #rollback() {
    if (this.#closed || this.#pc.signalingState !== 'have-local-offer') return;
    try {
      await this.#pc.setLocalDescription({ type: 'rollback' });
    } catch (err) {
      console.warn('call: rollback', err);
    }
  }

  // answer applies a server offer. On a collision with our own offer the
  // impolite side ignores it (the server withdraws it and offers again after
  // answering ours); the polite side lets setRemoteDescription roll ours back.
  // sent is #offersSent when the offer arrived: an offer of ours sent since,
  // while this one waited in #remoteOps, withdrew it too, and an answer to it
  // would be taken by the server for its next offer.
  async #answer(d, sent) {
    if (sent !== this.#offersSent && !this.#polite) {
      console.debug('call: server offer ignored, withdrawn by our later offer');
      return;
    }
    const collision = this.#makingOffer || this.#pc.signalingState !== 'stable';
    if (collision && !this.#polite) {
      console.debug('call: server offer ignored, ours is outstanding');
      this.#ignoredOffer = d;
      return;
    }
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: d.sdp });
      console.debug('call: server offer applied');
      this.#fresh = false;
      await this.#pc.setLocalDescription();
      await this.#flushCandidates();
      await this.#sig.request('rtc.answer', { call_id: this.#callId, sdp: this.#pc.localDescription.sdp });
    } catch (err) {
      console.warn('call: answering server offer', err);
    }
  }

  #queueRemote(op) {
    this.#remoteOps = this.#remoteOps.then(op, op);
  }

  async #addCandidate(d) {
    const c = { candidate: d.candidate ?? '', sdpMid: d.sdp_mid ?? null, sdpMLineIndex: d.sdp_mline_index ?? null };
    if (!this.#pc.remoteDescription) {
      this.#pendingCandidates.push(c);
      return;
    }
    await this.#pc.addIceCandidate(c).catch((err) => console.debug('call: candidate', err.message));
  }

  async #flushCandidates() {
    const list = this.#pendingCandidates;
    this.#pendingCandidates = [];
    for (const c of list) {
      await this.#pc.addIceCandidate(c).catch((err) => console.debug('call: candidate', err.message));
    }
  }

  #sendCandidate(c) {
    this.#sig.send('rtc.candidate', {
      call_id: this.#callId,
      candidate: c?.candidate ?? '',
      sdp_mid: c?.sdpMid ?? '',
      sdp_mline_index: c?.sdpMLineIndex ?? 0,
    });
  }

  #sources() {
    const out = {};
    for (const { track, source } of this.#local) out[track.id] = source;
    return out;
  }

  #onTrack(e) {
    const streamId = e.streams[0]?.id ?? '';
    const role = streamId.endsWith('-document') || e.track.id === 'document' ? 'document' : 'main';
    if (role === 'main' && e.streams[0]) {
      if (!this.#mainId || this.#mainNative?.getTracks().length === 0) this.#watchMain(streamId, e.streams[0]);
      if (streamId !== this.#mainId) {
        this.#playOther(streamId, e.streams[0]);
        return;
      }
    }
    const stream = (this.#remote[role] ??= new MediaStream());
    for (const old of stream.getTracks()) {
      if (old.kind === e.track.kind) stream.removeTrack(old);
    }
    stream.addTrack(e.track);
    e.track.addEventListener('ended', () => {
      stream.removeTrack(e.track);
      this.#emit('remotestream', { role, stream });
    });
    this.#emit('remotestream', { role, stream });
  }

  // watchMain makes a remote stream the main one, and notices when its
  // party leaves the call (its tracks are removed).
  #watchMain(streamId, native) {
    this.#mainId = streamId;
    this.#mainNative = native;
    const was = this.#others.get(streamId);
    if (was?.audio) was.audio.srcObject = null;
    if (was) this.#emit('otherstream', { streamId, stream: null }); // now the main video
    this.#others.delete(streamId);
    native.addEventListener('removetrack', () => {
      if (this.#mainId === streamId && native.getTracks().length === 0) this.#promote();
    });
  }

  // promote shows the next party as main once the main one has left.
  #promote() {
    const next = [...this.#others].find(([, o]) => o.native.getTracks().length > 0);
    if (!next) return;
    const [streamId, other] = next;
    this.#watchMain(streamId, other.native);
    const stream = (this.#remote.main ??= new MediaStream());
    for (const old of stream.getTracks()) stream.removeTrack(old);
    for (const track of other.native.getTracks()) stream.addTrack(track);
    this.#emit('remotestream', { role: 'main', stream });
  }

  // playOther plays the voice of someone beyond the first party, and tells
  // (otherstream) of their stream, whose video the page may show as a tile.
  #playOther(streamId, native) {
    let other = this.#others.get(streamId);
    if (!other) {
      other = { native, audio: null };
      this.#others.set(streamId, other);
    }
    if (other.native !== native || !other.watched) {
      other.watched = true;
      native.addEventListener('removetrack', () => {
        if (this.#others.get(streamId)?.native === native) this.#emit('otherstream', { streamId, stream: native });
      });
    }
    other.native = native;
    this.#emit('otherstream', { streamId, stream: native });
    if (!this.#extraAudio || other.audio) return;
    other.audio = new Audio();
    other.audio.autoplay = true;
    other.audio.srcObject = native;
    other.audio.play().catch((err) => console.debug('call: play', streamId, err.message));
  }

  #onConnectionState() {
    const s = this.#pc.connectionState;
    clearTimeout(this.#disconnectTimer);
    if (s === 'connected') clearTimeout(this.#connectTimer);
    if (s === 'failed') {
      this.restartIce();
    } else if (s === 'disconnected') {
      this.#disconnectTimer = setTimeout(() => {
        if (this.#pc.connectionState === 'disconnected') this.restartIce();
      }, disconnectGrace);
    }
    this.#emit('connectionstate', { state: s });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// sdpVersion reads the session version from an SDP's o= line, or null.
function sdpVersion(sdp) {
  const m = /^o=\S+ \S+ (\d+) /m.exec(sdp ?? '');
  return m ? BigInt(m[1]) : null;
}
