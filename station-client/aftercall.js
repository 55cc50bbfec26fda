// @ts-check
// After a call: the resident rates it (five faces, a few comment chips, or
// skip), then gets the receipt (回执) once the agent's wrap-up has opened
// the case — which may come seconds later, so the kiosk says it is on its
// way and lets the resident leave without it — and the kiosk goes back to
// its idle screen. Every step goes on by itself when nobody touches it.

import { $, h } from '/lib/dom.js';
import { messages } from './strings.js';

// Seconds a step waits for a touch before going on by itself.
const ratingSeconds = 20;
const receiptWaitSeconds = 90;
const receiptSeconds = 45;
const thanksMs = 1500;

// Comment chips by mood: what residents say after a poor or a good call.
const poorChips = ['chip.wait', 'chip.unclear', 'chip.video', 'chip.attitude_poor', 'chip.not_done'];
const goodChips = ['chip.attitude', 'chip.patient', 'chip.clear', 'chip.fast'];
// Outcomes that leave the resident something to take home.
const printable = new Set(['done', 'forwarded', 'needs_materials']);

export class AfterCall extends EventTarget {
  #sig;
  #session;
  #i18n;
  #screens;
  #call = null; // call.started data of the call that ended
  #reasonKey = '';
  #case = null; // case.updated data, once the agent wrapped up
  #score = 0;
  #chips = new Set();
  #countdown;
  #thanksTimer = 0;
  #unsentRating = null;
  #receipt = null;
  #autoPrint = false;
  // prints counts the print requests since the call ended, for support
  // and the browser tests.
  prints = 0;

  constructor({ signaling, session, i18n, screens }) {
    super();
    this.#sig = signaling;
    this.#session = session;
    this.#i18n = i18n;
    this.#screens = screens;
    this.#countdown = new Countdown(i18n);
    signaling.on('case.updated', (d) => this.#caseUpdated(d));
    signaling.addEventListener('welcome', () => this.#reconnected());
    for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-score]'))) {
      b.addEventListener('click', () => this.#choose(Number(b.dataset.score)));
    }
    $('#rating-chips').addEventListener('click', (e) => this.#toggleChip(e.target.closest('[data-chip]')));
    $('#rating-submit').addEventListener('click', () => this.#submit());
    $('#rating-skip').addEventListener('click', () => this.#next());
    $('#receipt-print').addEventListener('click', () => this.#print());
    $('#receipt-frame').addEventListener('load', () => this.#frameLoaded());
    // Any touch on these screens means someone is still there.
    window.addEventListener('pointerdown', () => this.#countdown.restart(), { capture: true, passive: true });
    i18n.addEventListener('change', () => this.#renderText());
  }

  // active reports whether the kiosk is between a call and its idle screen.
  get active() {
    return Boolean(this.#call);
  }

  // begin starts the after-call steps for the ended call (call.started
  // data); reason is the ended.* text key that says how it ended.
  begin(call, reasonKey) {
    this.#reset();
    this.#call = call;
    this.#reasonKey = reasonKey;
    this.prints = 0;
    this.#renderRating();
    this.#screens.show('ended');
    this.#countdown.start(ratingSeconds, $('#rating-countdown'), () => this.#next());
  }

  // leave ends the steps early: the resident went home.
  leave() {
    this.#reset();
  }

  #reset() {
    this.#countdown.stop();
    clearTimeout(this.#thanksTimer);
    this.#call = null;
    this.#case = null;
    this.#receipt = null;
    this.#autoPrint = false;
    this.#score = 0;
    this.#chips.clear();
    $('#receipt-frame').srcdoc = '';
  }

  #caseUpdated(d) {
    if (!this.#call || d.call_id !== this.#call.call_id) return;
    this.#case = d;
    if (this.#screens.current === 'receipt-wait') this.#next();
  }

  // reconnected: a case.updated sent while the link was down is lost, so
  // the receipt says how the case stands; a rating not sent goes now.
  async #reconnected() {
    if (this.#unsentRating) this.#sendRating(this.#unsentRating);
    const call = this.#call;
    if (!call?.case_id || this.#case || this.#screens.current !== 'receipt-wait') return;
    try {
      const r = await this.#session.api(receiptPath(call.case_id));
      if (r.state === 'open' || this.#call !== call || this.#case) return;
      this.#case = {
        call_id: call.call_id, case_id: call.case_id, number: r.number, state: r.state, due_date: r.due_date, missing: [],
      };
      this.#next();
    } catch (err) {
      console.warn('station: receipt after reconnect', err);
    }
  }

  #choose(score) {
    this.#score = score;
    this.#chips.clear();
    this.#renderRating();
  }

  #toggleChip(chip) {
    if (!chip) return;
    const key = chip.dataset.chip;
    if (this.#chips.has(key)) this.#chips.delete(key);
    else this.#chips.add(key);
    chip.setAttribute('aria-pressed', String(this.#chips.has(key)));
  }

  #submit() {
    if (!this.#call || !this.#score) return;
    // Comments stay in Chinese whatever the screen's language: supervisors
    // read and count them.
    const comment = [...this.#chips].map((k) => messages.zh[k]).join('；');
    this.#sendRating({ call_id: this.#call.call_id, score: this.#score, comment });
    this.#countdown.stop();
    $('#rating-thanks').hidden = false;
    $('#rating-submit').disabled = true;
    this.#thanksTimer = setTimeout(() => this.#next(), thanksMs);
  }

  async #sendRating(data) {
    this.#unsentRating = null;
    try {
      await this.#sig.request('rating.submit', data);
    } catch (err) {
      console.warn('station: rating.submit', err);
      // A rating lost to a dropped link goes when the link is back.
      if (err.code === 'offline' || err.code === 'timeout') this.#unsentRating = data;
    }
  }

  // next goes from rating to the receipt, waiting for it if need be.
  #next() {
    this.#countdown.stop();
    clearTimeout(this.#thanksTimer);
    if (!this.#call) return;
    if (!this.#case) {
      this.#screens.show('receipt-wait');
      this.#countdown.start(receiptWaitSeconds, null, () => this.#finish());
      return;
    }
    if (!printable.has(this.#case.state)) {
      this.#finish();
      return;
    }
    this.#showReceipt();
  }

  async #showReceipt() {
    const c = this.#case;
    try {
      this.#receipt = await this.#session.api(receiptPath(c.case_id));
    } catch (err) {
      console.warn('station: receipt', err);
      this.#receipt = null;
    }
    if (this.#case !== c) return;
    this.#renderReceipt();
    this.#screens.show('receipt');
    this.#countdown.start(receiptSeconds, $('#receipt-countdown'), () => this.#finish());
    // Printing starts when the frame has loaded the page (#frameLoaded).
    this.#autoPrint = Boolean(this.#receipt);
    $('#receipt-frame').srcdoc = this.#receipt?.html ?? '';
  }

  #frameLoaded() {
    if (!this.#autoPrint || this.#screens.current !== 'receipt') return;
    this.#autoPrint = false;
    this.#print();
  }

  // print prints the receipt page alone, with its own print styles; kiosks
  // run Chrome with --kiosk-printing, so no dialog stops the resident.
  #print() {
    const w = $('#receipt-frame').contentWindow;
    if (!this.#receipt || !w) return;
    try {
      w.print();
      this.prints++;
    } catch (err) {
      console.warn('station: print receipt', err);
    }
  }

  #finish() {
    this.#reset();
    this.dispatchEvent(new CustomEvent('done'));
  }

  #renderText() {
    if (!this.#call) return;
    this.#renderRating();
    if (this.#case) this.#renderReceipt();
  }

  #renderRating() {
    $('#ended-reason').textContent = this.#i18n.t(this.#reasonKey);
    for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-score]'))) {
      b.setAttribute('aria-checked', String(Number(b.dataset.score) === this.#score));
    }
    const keys = this.#score === 0 ? [] : this.#score <= 3 ? poorChips : goodChips;
    $('#rating-chips').hidden = keys.length === 0;
    $('#rating-chips').replaceChildren(...keys.map((k) =>
      h('button', { type: 'button', class: 'chip', dataset: { chip: k }, 'aria-pressed': String(this.#chips.has(k)) }, this.#i18n.t(k))));
    $('#rating-question').hidden = this.#score !== 0;
    $('#rating-more').hidden = this.#score === 0;
    $('#rating-submit').disabled = this.#score === 0;
    $('#rating-thanks').hidden = true;
  }

  #renderReceipt() {
    const c = this.#case;
    const r = this.#receipt;
    $('#receipt-number').textContent = c.number ?? r?.number ?? '';
    const en = this.#i18n.lang === 'en';
    $('#receipt-item').textContent = r ? (en && r.item_name_en) || r.item_name : this.#i18n.pick(this.#call?.item, 'name');
    const due = r?.on_the_spot || c.state === 'done' ? this.#i18n.t('receipt.on_the_spot') : c.due_date || r?.due_date || '—';
    $('#receipt-due').textContent = due;
    const missing = c.state === 'needs_materials' ? c.missing ?? [] : [];
    $('#receipt-missing').hidden = missing.length === 0;
    $('#receipt-missing-list').replaceChildren(...missing.map((m) => h('li', {}, m)));
    $('#receipt-printing').textContent = this.#i18n.t(r ? 'receipt.printing' : 'receipt.print_failed');
    $('#receipt-frame').hidden = !r;
    $('#receipt-print').hidden = !r;
  }
}

function receiptPath(caseId) {
  return `/api/v1/cases/${encodeURIComponent(caseId)}/receipt`;
}

// Countdown runs one step's timeout, shown on its button, and starts over
// when someone touches the screen.
class Countdown {
  #i18n;
  #timer = 0;
  #seconds = 0;
  #left = 0;
  #label = null;
  #onEnd = null;

  constructor(i18n) {
    this.#i18n = i18n;
  }

  start(seconds, label, onEnd) {
    this.stop();
    this.#seconds = seconds;
    this.#left = seconds;
    this.#label = label;
    this.#onEnd = onEnd;
    this.#render();
    this.#timer = setInterval(() => this.#tick(), 1000);
  }

  restart() {
    if (!this.#onEnd) return;
    this.#left = this.#seconds;
    this.#render();
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = 0;
    this.#onEnd = null;
    if (this.#label) this.#label.textContent = '';
    this.#label = null;
  }

  #tick() {
    this.#left--;
    this.#render();
    if (this.#left > 0) return;
    const onEnd = this.#onEnd;
    this.stop();
    onEnd?.();
  }

  #render() {
    if (this.#label) this.#label.textContent = this.#i18n.t('after.countdown', { n: this.#left });
  }
}
