// @ts-check
// The kiosk's heartbeat: right after each connection and every 30 s it
// tells the center its app version and which devices it has, so the
// center's supervisors see it online and what it is missing.

import { deviceStates } from './devices.js';
import { appVersion } from './version.js';

const beatEveryMs = 30_000;

export class Heartbeat {
  #sig;
  #documentCamera;
  #timer = 0;

  constructor({ signaling, documentCamera = '' }) {
    this.#sig = signaling;
    this.#documentCamera = documentCamera;
    signaling.addEventListener('welcome', () => this.#restart());
  }

  #restart() {
    clearInterval(this.#timer);
    this.beat();
    this.#timer = setInterval(() => this.beat(), beatEveryMs);
  }

  async beat() {
    const devices = await deviceStates(this.#documentCamera);
    try {
      await this.#sig.request('station.heartbeat', { version: appVersion, devices });
    } catch (err) {
      // Offline: the next connection beats again.
      console.warn('station: heartbeat', err);
    }
  }
}
