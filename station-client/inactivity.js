// @ts-check
// Inactivity: a kiosk left in the middle of choosing goes back to its idle
// screen, so the next resident does not start from someone else's choices.

export class Inactivity {
  #timeout;
  #onIdle;
  #timer = 0;
  #armed = false;
  #poke = () => this.#restart();

  constructor({ timeoutMs, onIdle }) {
    this.#timeout = timeoutMs;
    this.#onIdle = onIdle;
    for (const type of ['pointerdown', 'keydown', 'input', 'wheel']) {
      window.addEventListener(type, this.#poke, { capture: true, passive: true });
    }
  }

  // arm starts watching (on screens a resident may walk away from); disarm
  // stops (queue and call screens must never time out).
  arm() {
    this.#armed = true;
    this.#restart();
  }

  disarm() {
    this.#armed = false;
    clearTimeout(this.#timer);
  }

  #restart() {
    clearTimeout(this.#timer);
    if (this.#armed) this.#timer = setTimeout(this.#onIdle, this.#timeout);
  }
}
