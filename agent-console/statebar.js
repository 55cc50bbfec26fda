// @ts-check
// The always-visible top bar: the agent's 就绪 / 小休 / 示忙 switch and the
// live queue overview (waiting, longest wait, green channel, agents ready).

import { $ } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';

// What each switch button asks the server for (protocol.md agent.state).
const requests = {
  ready: { state: 'ready', reason: '' },
  break: { state: 'not_ready', reason: 'break' },
  busy: { state: 'not_ready', reason: 'busy' },
};

export class StateBar extends EventTarget {
  #sig;
  #i18n;
  #status = { state: 'not_ready', reason: '' };
  #locked = false;
  #stats = null;
  #statsAt = 0;
  #tick = 0;

  constructor({ signaling, i18n }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-state]'))) {
      b.addEventListener('click', () => this.request(b.dataset.state));
    }
    signaling.on('agent.status', (d) => this.setStatus(d));
    signaling.on('queue.stats', (d) => this.#setStats(d));
    i18n.addEventListener('change', () => this.#render());
    this.#tick = setInterval(() => this.#renderLongest(), 1000);
  }

  get status() {
    return this.#status;
  }

  // choice is the switch position the status corresponds to, if any.
  get choice() {
    const { state, reason } = this.#status;
    if (state === 'ready') return 'ready';
    if (state === 'not_ready' && (reason === 'break' || reason === 'busy')) return reason;
    return '';
  }

  // label names the current state for people.
  get label() {
    const { state } = this.#status;
    if (this.choice) return this.#i18n.t(`state.${this.choice}`);
    if (state === 'busy') return this.#i18n.t('state.in_call');
    return this.#i18n.t(`state.${state}`);
  }

  // lock disables the switch while an offer rings (the server refuses a
  // change then anyway).
  lock(locked) {
    this.#locked = locked;
    this.#render();
  }

  setStatus(d) {
    this.#status = { state: d.state, reason: d.reason ?? '', wrapupDeadlineS: d.wrapup_deadline_s ?? 0 };
    this.#render();
    this.dispatchEvent(new CustomEvent('status', { detail: this.#status }));
  }

  async request(choice) {
    if (!requests[choice] || choice === this.choice) return;
    try {
      const reply = await this.#sig.request('agent.state', requests[choice]);
      this.setStatus(reply.data);
    } catch (err) {
      this.dispatchEvent(new CustomEvent('failed', { detail: err }));
    }
  }

  #render() {
    const busy = this.#status.state === 'busy';
    for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('[data-state]'))) {
      b.setAttribute('aria-checked', String(b.dataset.state === this.choice));
      b.disabled = busy || this.#locked;
    }
    $('#state-now').textContent = this.choice ? '' : this.label;
    $('#state-now').hidden = Boolean(this.choice);
    document.body.dataset.agentState = this.choice || this.#status.state;
  }

  #setStats(d) {
    this.#stats = d;
    this.#statsAt = Date.now();
    $('#stat-waiting').textContent = String(d.waiting ?? 0);
    $('#stat-green').textContent = String(d.green_waiting ?? 0);
    $('#stat-ready').textContent = String(d.agents?.ready ?? 0);
    $('#queue-stats').classList.toggle('has-green', (d.green_waiting ?? 0) > 0);
    this.#renderLongest();
  }

  // renderLongest lets the longest wait keep counting between updates: the
  // server only reports when the queue changes.
  #renderLongest() {
    const d = this.#stats;
    if (!d) return;
    const grown = d.waiting > 0 ? (Date.now() - this.#statsAt) / 1000 : 0;
    $('#stat-longest').textContent = formatDuration((d.longest_wait_s ?? 0) + grown);
  }
}
