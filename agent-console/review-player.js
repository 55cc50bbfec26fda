// @ts-check
// The synchronised player of the recording review: every party's video
// (and the document camera) follows one master clock, under one control.
// Videos play from play tickets: a <video> can't send the bearer token.

import { $ } from '/lib/dom.js';

// maxDrift is how far a video may stray from the master clock before it is
// put back; below it, a seek would cost more than it fixes.
const maxDrift = 0.1;
const tickMs = 50;
// A lane this close to its end has no more data to wait for.
const endSlack = 0.3;
// A ticket that failed is renewed at most this often, so a file that can't
// play doesn't loop.
const renewEveryMs = 10_000;

// Lane is one party's video on the session's time line. A party whose
// camera joined late has several parts (files), each at its own offset.
export class Lane extends EventTarget {
  #renewedAt = 0;
  #stop = new AbortController();

  // parts: [{file, offset, duration}] in seconds from the session's start;
  // ticket(file) resolves to a playable URL. The <video> outlives the lane:
  // the page reuses it for the next session.
  constructor({ el, parts, ticket }) {
    super();
    this.el = el;
    this.video = $('video', el);
    this.parts = parts;
    this.part = null;
    this.broken = false; // can't play: the others go on without it
    this.ticket = ticket;
    this.video.addEventListener('error', () => this.#failed(), { signal: this.#stop.signal });
  }

  get party() {
    return this.el.dataset.party;
  }

  // partAt is the part playing at t: the last one started by then.
  partAt(t) {
    let found = this.parts[0] ?? null;
    for (const p of this.parts) {
      if (p.offset <= t) found = p;
    }
    return found;
  }

  #length(p) {
    const d = this.part === p ? this.video.duration : NaN;
    return Number.isFinite(d) && d > 0 ? d : p.duration;
  }

  // local is t on the clock of the part that plays then, or null when the
  // lane shows nothing at t.
  local(t) {
    const p = this.partAt(t);
    if (!p) return null;
    const x = t - p.offset;
    return x >= 0 && x < this.#length(p) ? x : null;
  }

  // leads reports whether this lane can drive the master clock at t: it
  // plays there and its position is settled.
  leads(t) {
    const v = this.video;
    return this.local(t) !== null && this.part === this.partAt(t) && v.readyState >= 2 && !v.seeking && !v.ended;
  }

  // time is the lane's position on the session clock.
  time() {
    return this.part.offset + this.video.currentTime;
  }

  // stalled reports whether the lane is waiting for data it needs at t.
  stalled(t) {
    const x = this.local(t);
    if (x === null || this.broken || this.part !== this.partAt(t)) return false;
    const v = this.video;
    const nearEnd = x > this.#length(this.part) - endSlack;
    return v.seeking || (v.readyState < 3 && !v.ended && !nearEnd);
  }

  // follow puts the video where the master clock is: the right part, the
  // right position (within maxDrift), playing or paused.
  follow(t, playing, force) {
    const p = this.partAt(t);
    if (p && p !== this.part) this.#use(p);
    const x = this.local(t);
    this.el.dataset.active = String(x !== null);
    const v = this.video;
    if (x === null) {
      if (!v.paused) v.pause();
      return;
    }
    if (v.readyState === 0) return; // the next tick places it once loaded
    if ((force || Math.abs(v.currentTime - x) > maxDrift) && !v.seeking) {
      v.currentTime = x;
    }
    if (playing && v.paused && !v.ended) {
      v.play().catch((err) => this.#blocked(err));
    } else if (!playing && !v.paused) {
      v.pause();
    }
  }

  async #use(p) {
    this.part = p;
    this.el.dataset.offset = String(p.offset);
    this.video.dataset.offset = String(p.offset);
    try {
      const url = await this.ticket(p.file);
      if (this.part === p && !this.#stop.signal.aborted) {
        this.video.src = url;
        this.broken = false;
      }
    } catch (err) {
      if (!this.#stop.signal.aborted) this.#problem(err.message);
    }
  }

  #problem(message) {
    this.broken = true;
    this.dispatchEvent(new CustomEvent('problem', { detail: message }));
  }

  // #failed renews the ticket of a file that stopped loading: tickets
  // expire while a page stays open.
  #failed() {
    if (!this.part || Date.now() - this.#renewedAt < renewEveryMs) {
      this.#problem('unplayable');
      return;
    }
    this.#renewedAt = Date.now();
    const p = this.part;
    this.part = null;
    this.#use(p);
  }

  #blocked(err) {
    if (err.name === 'NotAllowedError') this.dispatchEvent(new CustomEvent('blocked'));
  }

  stop() {
    this.#stop.abort();
    this.part = null;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
  }
}

// SyncPlayer drives every lane from one master clock. While a lane plays,
// the clock is the first playing lane's own position (so that one never
// needs correcting); in gaps it runs on the wall clock. Every other lane
// follows it, and when any lane waits for data all are held, so they
// stay in step instead of drifting apart.
export class SyncPlayer extends EventTarget {
  #lanes = [];
  #duration = 0;
  #playing = false;
  #anchorT = 0; // master time, s, at #anchorWall
  #anchorWall = 0;
  #timer = 0;

  load(lanes, duration) {
    this.stop();
    this.#lanes = lanes;
    this.#duration = duration;
    this.#anchor(0);
    this.#timer = setInterval(() => this.#tick(false), tickMs);
    this.#tick(true);
  }

  get duration() {
    return this.#duration;
  }

  get playing() {
    return this.#playing;
  }

  get time() {
    return this.#anchorT;
  }

  play() {
    if (this.#anchorT >= this.#duration) this.seek(0);
    this.#playing = true;
    this.#anchor(this.#anchorT);
    this.#tick(false);
  }

  pause() {
    this.#playing = false;
    this.#tick(false);
  }

  seek(t) {
    this.#anchor(Math.min(Math.max(0, t), this.#duration));
    this.#tick(true);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = 0;
    this.#playing = false;
    for (const lane of this.#lanes) lane.stop();
    this.#lanes = [];
  }

  #anchor(t) {
    this.#anchorT = t;
    this.#anchorWall = performance.now();
  }

  // #clock is the master time while playing.
  #clock() {
    const lead = this.#lanes.find((l) => l.leads(this.#anchorT));
    if (lead && !lead.video.paused) return lead.time();
    if (lead) return this.#anchorT; // about to start
    return this.#anchorT + (performance.now() - this.#anchorWall) / 1000;
  }

  // #tick moves every lane to the master time. A seek (force) sets the
  // time; while any lane waits for data, the time stands still.
  #tick(force) {
    const held = this.#playing && this.#lanes.some((l) => l.stalled(this.#anchorT));
    let t = force || held || !this.#playing ? this.#anchorT : this.#clock();
    if (t >= this.#duration && this.#playing) {
      t = this.#duration;
      this.#playing = false;
    }
    for (const lane of this.#lanes) lane.follow(t, this.#playing && !held, force);
    this.#anchor(t);
    this.dispatchEvent(new CustomEvent('time', { detail: t }));
  }
}
