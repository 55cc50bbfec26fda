// @ts-check
// MonitorConnection: a supervisor's receive-only PeerConnection into a
// running call (监看).
//
// Unlike a party's CallConnection it never offers: the server offers the
// call's tracks after monitor.start and again whenever they change (a party
// reconnects, the document camera joins), and this side only answers. So
// there is no glare to resolve; offers are applied one at a time, in order.
// Nothing is ever sent, so nothing of the supervisor reaches the call.

// Remote streams are named "<party>-main" (audio + camera) and
// "<party>-document" (docs/protocol.md); these are the views a watch shows.
export const views = Object.freeze(['station-main', 'agent-main', 'station-document']);

export class MonitorConnection extends EventTarget {
  #sig;
  #callId;
  #pc;
  #streams = new Map(); // view → MediaStream
  #pendingCandidates = [];
  #ops = Promise.resolve();
  #unsubscribe = [];
  #closed = false;

  // It listens before monitor.start is sent: the server's first offer may
  // arrive right behind its reply.
  constructor({ signaling, callId, iceServers = [] }) {
    super();
    this.#sig = signaling;
    this.#callId = callId;
    this.#pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.#pc.onicecandidate = (e) => this.#sendCandidate(e.candidate);
    this.#pc.ontrack = (e) => this.#onTrack(e);
    this.#pc.onconnectionstatechange = () => this.#emit('connectionstate', { state: this.#pc.connectionState });
    this.#unsubscribe.push(
      signaling.on('rtc.offer', (d) => this.#forThisCall(d) && this.#queue(() => this.#answer(d.sdp))),
      signaling.on('rtc.candidate', (d) => this.#forThisCall(d) && this.#queue(() => this.#addCandidate(d))),
    );
  }

  get callId() {
    return this.#callId;
  }

  // pc is exposed for diagnostics (getStats).
  get pc() {
    return this.#pc;
  }

  stream(view) {
    return this.#streams.get(view) ?? null;
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe.forEach((off) => off());
    this.#pc.close();
  }

  #forThisCall(d) {
    return !this.#closed && d.call_id === this.#callId;
  }

  #queue(op) {
    this.#ops = this.#ops.then(op, op);
  }

  async #answer(sdp) {
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp });
      await this.#pc.setLocalDescription();
      await this.#flushCandidates();
      await this.#sig.request('rtc.answer', { call_id: this.#callId, sdp: this.#pc.localDescription.sdp });
    } catch (err) {
      if (this.#closed) return;
      console.warn('monitor: answering server offer', err);
      this.#emit('failed', { error: err });
    }
  }

  async #addCandidate(d) {
    const c = { candidate: d.candidate ?? '', sdpMid: d.sdp_mid ?? null, sdpMLineIndex: d.sdp_mline_index ?? null };
    if (!this.#pc.remoteDescription) {
      this.#pendingCandidates.push(c);
      return;
    }
    await this.#pc.addIceCandidate(c).catch((err) => console.debug('monitor: candidate', err.message));
  }

  async #flushCandidates() {
    const list = this.#pendingCandidates;
    this.#pendingCandidates = [];
    for (const c of list) {
      await this.#pc.addIceCandidate(c).catch((err) => console.debug('monitor: candidate', err.message));
    }
  }

  #sendCandidate(c) {
    if (this.#closed) return;
    this.#sig.send('rtc.candidate', {
      call_id: this.#callId,
      candidate: c?.candidate ?? '',
      sdp_mid: c?.sdpMid ?? '',
      sdp_mline_index: c?.sdpMLineIndex ?? 0,
    });
  }

  // onTrack files a track under its view. A renegotiated party brings new
  // tracks of the same kind, which replace the old ones.
  #onTrack(e) {
    const view = e.streams[0]?.id ?? '';
    if (!views.includes(view)) {
      console.debug(`monitor: track of unknown stream ${view}`);
      return;
    }
    let stream = this.#streams.get(view);
    if (!stream) {
      stream = new MediaStream();
      this.#streams.set(view, stream);
    }
    for (const old of stream.getTracks()) {
      if (old.kind === e.track.kind) stream.removeTrack(old);
    }
    stream.addTrack(e.track);
    e.track.addEventListener('ended', () => {
      stream.removeTrack(e.track);
      this.#emit('stream', { view, stream });
    });
    this.#emit('stream', { view, stream });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
