// @ts-check
// Ringer: the incoming-call sound, made with WebAudio so no sound file is
// needed. Browsers keep an AudioContext suspended until the page has been
// clicked; `blocked` tells the console to ask for that click.

// A soft double beep every two seconds: noticeable across a room without
// being shrill to someone who hears it all day.
const pattern = [
  { at: 0, freq: 880, len: 0.18 },
  { at: 0.28, freq: 660, len: 0.22 },
];
const period = 2000;
const volume = 0.18;

export class Ringer {
  #ctx = null;
  #timer = 0;

  // unlock creates or resumes the audio context; call it from a user gesture.
  unlock() {
    try {
      this.#ctx ??= new AudioContext();
      if (this.#ctx.state === 'suspended') this.#ctx.resume().catch(() => {});
    } catch (err) {
      console.warn('ringer: no audio', err);
    }
  }

  get blocked() {
    return !this.#ctx || this.#ctx.state !== 'running';
  }

  start() {
    this.stop();
    this.#ring();
    this.#timer = setInterval(() => this.#ring(), period);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = 0;
  }

  #ring() {
    const ctx = this.#ctx;
    if (!ctx || ctx.state !== 'running') return;
    const t0 = ctx.currentTime + 0.02;
    for (const { at, freq, len } of pattern) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      // Short ramps avoid clicks at the start and end of each beep.
      gain.gain.setValueAtTime(0, t0 + at);
      gain.gain.linearRampToValueAtTime(volume, t0 + at + 0.02);
      gain.gain.setValueAtTime(volume, t0 + at + len - 0.04);
      gain.gain.linearRampToValueAtTime(0, t0 + at + len);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + len + 0.01);
    }
  }
}
