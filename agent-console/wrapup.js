// Wrap-up after a call: the case outcome and notes, with a visible
// countdown until the server puts the agent back to ready by itself.

import { $ } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';

// The last call is kept so a reload during wrap-up can still submit it.
const lastCallKey = 'cloudwindow.console.lastcall';

export class WrapUp extends EventTarget {
  #sig;
  #i18n;
  #call = null;
  #deadline = 0;
  #timer = 0;

  constructor({ signaling, i18n }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    $('#wrapup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#submit();
    });
    i18n.addEventListener('change', () => this.#render());
  }

  get open() {
    return Boolean(this.#call);
  }

  // begin opens the form for an ended call: {call: call.started data,
  // ended: call.ended data}.
  begin(summary) {
    this.#call = summary;
    sessionStorage.setItem(lastCallKey, JSON.stringify(summary));
    $('#wrapup-form').reset();
    $('#wrapup-error').textContent = '';
    this.#render();
  }

  // restore reopens the form after a reload, if the ended call is known.
  restore() {
    try {
      const summary = JSON.parse(sessionStorage.getItem(lastCallKey) || 'null');
      if (summary) this.begin(summary);
    } catch {
      // Nothing usable to restore; the server's timeout ends wrap-up.
    }
    return this.open;
  }

  // setDeadline starts the countdown from agent.status wrapup_deadline_s.
  setDeadline(seconds) {
    if (!seconds) return;
    this.#deadline = Date.now() + seconds * 1000;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#renderCountdown(), 500);
    this.#renderCountdown();
  }

  // close ends wrap-up (submitted, or the server's timeout made the agent ready).
  close() {
    this.#call = null;
    this.#deadline = 0;
    clearInterval(this.#timer);
    sessionStorage.removeItem(lastCallKey);
    this.#renderCountdown();
  }

  async #submit() {
    const call = this.#call?.call;
    const outcome = new FormData($('#wrapup-form')).get('outcome');
    if (!call || !outcome) return;
    $('#wrapup-submit').disabled = true;
    try {
      await this.#sig.request('call.wrapup', {
        call_id: call.call_id,
        outcome,
        notes: $('#wrapup-notes').value.trim(),
      });
      this.close();
      this.dispatchEvent(new CustomEvent('done'));
    } catch (err) {
      $('#wrapup-error').textContent = this.#i18n.t('wrapup.failed', { message: err.message });
    } finally {
      $('#wrapup-submit').disabled = false;
    }
  }

  #render() {
    const s = this.#call;
    if (!s) return;
    const how = { station: 'ended_by_station', agent: 'ended_by_agent' }[s.ended?.by] ?? 'ended_disconnected';
    const text = this.#i18n.t('wrapup.summary', {
      station: s.call.station?.name ?? s.call.peer?.name ?? '',
      item: this.#i18n.pick(s.call.item, 'name'),
      duration: formatDuration(s.ended?.duration_s ?? 0),
      how: this.#i18n.t(`wrapup.${how}`),
    });
    $('#wrapup-summary').textContent = text;
    this.#renderCountdown();
  }

  #renderCountdown() {
    const left = Math.max(0, Math.ceil((this.#deadline - Date.now()) / 1000));
    $('#wrapup-countdown').hidden = !this.#deadline;
    $('#wrapup-countdown').textContent = this.#deadline ? this.#i18n.t('wrapup.countdown', { n: left }) : '';
  }
}
