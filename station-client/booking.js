// @ts-check
// Booking (预约) on the kiosk: choose an item, a day and a time, leave a
// name and the phone's last four digits, and take a printed slip with the
// booking code; cancel or move a booking by its code; and, when a booking
// of this station falls due, a banner with a chime that starts its call.
// Outside opening hours the idle screen offers booking instead of the queue.

import { $, h } from '/lib/dom.js';
import { bookingMessages } from './booking-strings.js';

// How often the kiosk asks for bookings due and whether the center is open.
const pollMs = 15_000;

/**
 * @typedef {{id: string, code: string, item_id: string, item_name: string, at: string,
 *   date: string, time: string, name: string, phone: string, state: string}} BookingRecord
 * @typedef {{at: string, time: string, free: number}} Slot
 * @typedef {{date: string, slots: Slot[]}} Day
 */

/**
 * addBookingMessages merges the booking texts into the kiosk's table.
 * @param {{zh: Record<string, string>, en: Record<string, string>}} messages
 */
export function addBookingMessages(messages) {
  Object.assign(messages.zh, bookingMessages.zh);
  Object.assign(messages.en, bookingMessages.en);
}

export class Booking extends EventTarget {
  #session;
  #i18n;
  #screens;
  #catalog = null;
  #step = 'item';
  #category = '';
  /** @type {any} */ #item = null;
  /** @type {Day[]} */ #days = [];
  #day = '';
  /** @type {Slot | null} */ #slot = null;
  /** @type {{code: string, last4: string} | null} */ #moving = null; // rescheduling a booking
  /** @type {BookingRecord | null} */ #done = null;
  #slip = '';
  #error = '';
  /** @type {BookingRecord[]} */ #due = [];
  #chimed = new Set();
  #open = true;
  #bookable = false; // the center has schedules, so it takes bookings
  #timer = 0;
  // prints counts the slips printed, for support and the browser tests.
  prints = 0;

  /** @param {{session: any, i18n: any, screens: any}} deps */
  constructor({ session, i18n, screens }) {
    super();
    this.#session = session;
    this.#i18n = i18n;
    this.#screens = screens;
    this.#buildScreens();
    this.#buildIdle();
    i18n.addEventListener('change', () => this.#render());
    screens.addEventListener('change', (/** @type {CustomEvent} */ e) => {
      if (e.detail === 'idle') this.poll();
    });
  }

  /** start polls for due bookings and opening hours once the kiosk is signed in. */
  start() {
    if (this.#timer) return;
    this.poll();
    this.#timer = window.setInterval(() => this.poll(), pollMs);
  }

  /** begin opens booking at its first step. */
  async begin() {
    this.#reset();
    this.#screens.show('booking');
    await this.#loadCatalog();
    this.#render();
  }

  /** manage opens cancel-or-change by code. */
  manage() {
    this.#reset();
    $('#bk-code').value = '';
    $('#bk-code-phone').value = '';
    this.#renderManage(null, '');
    this.#screens.show('booking-manage');
  }

  /** poll fetches this station's due bookings and whether the center is open. */
  async poll() {
    try {
      const [due, open] = await Promise.all([
        this.#session.api('/api/v1/appointments/due'),
        this.#session.api('/api/v1/appointments/open'),
      ]);
      this.#due = due.bookings ?? [];
      this.#open = open.open;
      this.#bookable = open.bookable;
    } catch (err) {
      console.warn('booking: poll', err);
      return;
    }
    this.#renderIdle();
    const fresh = this.#due.filter((b) => !this.#chimed.has(b.id));
    if (fresh.length && this.#screens.current === 'idle') {
      fresh.forEach((b) => this.#chimed.add(b.id));
      chime();
    }
  }

  #reset() {
    this.#step = 'item';
    this.#category = '';
    this.#item = null;
    this.#days = [];
    this.#day = '';
    this.#slot = null;
    this.#moving = null;
    this.#done = null;
    this.#slip = '';
    this.#error = '';
  }

  async #loadCatalog() {
    if (this.#catalog) return;
    try {
      this.#catalog = await this.#session.api('/api/v1/catalog');
    } catch (err) {
      console.warn('booking: catalog', err);
      this.#error = this.#i18n.t('bk.failed', { message: err.message });
    }
  }

  // itemByID returns the catalog item (for the call screen), or a stand-in
  // from the booking.
  /** @param {BookingRecord} b */
  #itemOf(b) {
    return this.#catalog?.items?.find((/** @type {any} */ it) => it.id === b.item_id) ?? { id: b.item_id, name_zh: b.item_name };
  }

  #buildScreens() {
    const back = (/** @type {() => void} */ fn, key = 'nav.back') =>
      h('button', { type: 'button', class: 'btn-plain btn-back', onclick: fn }, h('span', { 'data-i18n': key }, this.#i18n.t(key)));
    const main = /** @type {HTMLElement} */ (document.querySelector('main'));
    main.append(
      h('section', { 'data-screen': 'booking', class: 'screen booking', hidden: true },
        h('div', { class: 'screen-head' }, h('div', {}, h('p', { class: 'eyebrow', id: 'bk-step-title' }), h('h1', { 'data-i18n': 'bk.title' }, this.#i18n.t('bk.title')))),
        h('div', { class: 'bk-body', id: 'bk-body' }),
        h('div', { class: 'screen-foot' }, back(() => this.#back()),
          h('button', { type: 'button', class: 'btn-plain btn-back', id: 'start-manage', onclick: () => this.manage() },
            h('span', { 'data-i18n': 'bk.manage' }, this.#i18n.t('bk.manage'))),
          back(() => this.#home(), 'nav.home'))),
      h('section', { 'data-screen': 'booking-manage', class: 'screen booking', hidden: true },
        h('div', { class: 'screen-head' }, h('h1', { 'data-i18n': 'bk.manage.title' }, this.#i18n.t('bk.manage.title'))),
        h('form', { class: 'card bk-form', id: 'bk-manage-form', autocomplete: 'off', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.#lookup(); } },
          h('label', {}, h('span', { 'data-i18n': 'bk.manage.code' }, this.#i18n.t('bk.manage.code')),
            h('input', { id: 'bk-code', class: 'bk-code-input', maxlength: '6', autocapitalize: 'characters', spellcheck: 'false' })),
          h('label', {}, h('span', { 'data-i18n': 'bk.phone' }, this.#i18n.t('bk.phone')),
            h('input', { id: 'bk-code-phone', inputmode: 'numeric', maxlength: '4' })),
          h('button', { type: 'submit', class: 'btn-primary btn-large', id: 'bk-find', 'data-i18n': 'bk.manage.find' }, this.#i18n.t('bk.manage.find'))),
        h('div', { class: 'card bk-found', id: 'bk-found', 'aria-live': 'polite', hidden: true }),
        h('div', { class: 'screen-foot' }, back(() => this.#home(), 'nav.home'))),
    );
  }

  // buildIdle adds to the idle screen: the entries to booking, the closed
  // notice and the banner of bookings due.
  #buildIdle() {
    const idle = /** @type {HTMLElement} */ (document.querySelector('[data-screen="idle"]'));
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    idle.prepend(h('div', { class: 'bk-due', id: 'bk-due', role: 'alert', hidden: true }));
    idle.querySelector('.idle-greeting')?.after(
      h('div', { class: 'card bk-closed', id: 'bk-closed', hidden: true },
        h('h2', { 'data-i18n': 'bk.closed.title' }, t('bk.closed.title')), h('p', { 'data-i18n': 'bk.closed.text' }, t('bk.closed.text'))));
    idle.querySelector('.idle-actions')?.append(
      h('button', { type: 'button', id: 'start-booking', class: 'hero hero-booking', onclick: () => this.begin() },
        h('span', { class: 'hero-title', 'data-i18n': 'bk.idle' }, t('bk.idle')),
        h('span', { class: 'hero-sub', 'data-i18n': 'bk.idle_sub' }, t('bk.idle_sub'))));
    idle.querySelector('.idle-more')?.prepend(
      h('button', { type: 'button', id: 'book-more', class: 'btn-plain idle-lookup', onclick: () => this.begin() },
        h('span', { 'data-i18n': 'bk.idle' }, t('bk.idle'))));
  }

  #renderIdle() {
    const idle = /** @type {HTMLElement} */ (document.querySelector('[data-screen="idle"]'));
    idle.classList.toggle('bk-is-closed', !this.#open);
    idle.classList.toggle('bk-in-use', this.#bookable);
    $('#bk-closed').hidden = this.#open;
    const due = $('#bk-due');
    due.hidden = this.#due.length === 0;
    due.replaceChildren(...this.#due.map((b) => h('div', { class: 'bk-due-row', dataset: { code: b.code } },
      h('div', {}, h('strong', {}, this.#i18n.t('bk.due.title')),
        h('p', {}, this.#i18n.t('bk.due.text', { time: b.time, item: b.item_name, name: b.name }))),
      h('button', { type: 'button', class: 'btn-primary btn-large bk-due-start', onclick: () => this.#startDue(b) }, this.#i18n.t('bk.due.start')))));
  }

  /** @param {BookingRecord} b */
  async #startDue(b) {
    await this.#loadCatalog();
    this.dispatchEvent(new CustomEvent('call', { detail: { item: this.#itemOf(b), appointmentId: b.id } }));
  }

  #home() {
    this.dispatchEvent(new CustomEvent('home'));
  }

  #back() {
    const prev = { item: '', time: this.#moving ? '' : 'item', who: 'time', done: '' }[this.#step];
    if (this.#step === 'item' && this.#category) {
      this.#category = '';
    } else if (prev) {
      this.#step = prev;
    } else {
      this.#home();
      return;
    }
    this.#error = '';
    this.#render();
  }

  #render() {
    this.#renderIdle();
    if (this.#screens.current !== 'booking') return;
    const key = { item: 'bk.step.item', time: 'bk.step.time', who: 'bk.step.who', done: 'bk.done.title' }[this.#step] ?? '';
    $('#bk-step-title').textContent = this.#i18n.t(key);
    const body = { item: () => this.#itemStep(), time: () => this.#timeStep(), who: () => this.#whoStep(), done: () => this.#doneStep() }[this.#step]?.() ?? [];
    $('#bk-body').replaceChildren(...body, h('p', { class: 'form-error', role: 'alert', id: 'bk-error' }, this.#error));
    $('#bk-body').classList.toggle('bk-body-done', this.#step === 'done');
  }

  #itemStep() {
    const cat = this.#catalog ?? { categories: [], items: [] };
    if (!this.#category) {
      return [h('div', { class: 'choice-grid bk-choices' }, ...cat.categories.map((/** @type {any} */ c) =>
        h('button', { type: 'button', class: 'choice', dataset: { category: c.id }, onclick: () => { this.#category = c.id; this.#render(); } },
          this.#i18n.pick(c, 'name'))))];
    }
    const items = cat.items.filter((/** @type {any} */ it) => it.category === this.#category);
    return [h('div', { class: 'item-list' }, ...items.map((/** @type {any} */ it) =>
      h('button', { type: 'button', class: 'item-row', dataset: { item: it.id }, onclick: () => this.#chooseItem(it) }, this.#i18n.pick(it, 'name'))))];
  }

  /** @param {any} it */
  async #chooseItem(it) {
    this.#item = it;
    await this.#loadSlots();
    this.#step = 'time';
    this.#render();
  }

  async #loadSlots() {
    try {
      const r = await this.#session.api(`/api/v1/appointments/slots?item_id=${encodeURIComponent(this.#item.id)}`);
      this.#days = r.days ?? [];
    } catch (err) {
      this.#days = [];
      this.#error = this.#i18n.t('bk.failed', { message: err.message });
    }
    if (!this.#days.some((d) => d.date === this.#day)) this.#day = this.#days[0]?.date ?? '';
  }

  #timeStep() {
    const head = h('p', { class: 'lead' }, this.#i18n.t('bk.item_for', { item: this.#i18n.pick(this.#item, 'name') }));
    if (!this.#days.length) return [head, h('p', { class: 'lead bk-none' }, this.#i18n.t('bk.no_slots'))];
    const locale = this.#i18n.lang === 'zh' ? 'zh-CN' : 'en-GB';
    const dayLabel = (/** @type {string} */ d) => new Date(`${d}T12:00:00`).toLocaleDateString(locale, { month: 'long', day: 'numeric', weekday: 'short' });
    const day = this.#days.find((d) => d.date === this.#day) ?? this.#days[0];
    return [head,
      h('div', { class: 'bk-days', role: 'group' }, ...this.#days.map((d) =>
        h('button', { type: 'button', class: 'chip', dataset: { day: d.date }, 'aria-pressed': String(d.date === day.date), onclick: () => { this.#day = d.date; this.#render(); } }, dayLabel(d.date)))),
      h('div', { class: 'bk-times', role: 'group' }, ...day.slots.map((s) =>
        h('button', { type: 'button', class: 'bk-time', dataset: { time: s.time }, disabled: s.free <= 0, onclick: () => this.#chooseSlot(s) },
          h('strong', {}, s.time), h('small', {}, s.free > 0 ? this.#i18n.t('bk.free', { n: s.free }) : this.#i18n.t('bk.full'))))),
    ];
  }

  /** @param {Slot} s */
  #chooseSlot(s) {
    this.#slot = s;
    this.#error = '';
    if (this.#moving) {
      this.#reschedule();
      return;
    }
    this.#step = 'who';
    this.#render();
  }

  #whoStep() {
    const s = /** @type {Slot} */ (this.#slot);
    return [
      h('p', { class: 'lead bk-summary' }, this.#i18n.t('bk.summary', { date: this.#day, time: s.time, item: this.#i18n.pick(this.#item, 'name') })),
      h('form', { class: 'card bk-form', id: 'bk-who', autocomplete: 'off', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.#book(); } },
        h('label', {}, h('span', {}, this.#i18n.t('bk.name')), h('input', { id: 'bk-name', maxlength: '20' })),
        h('label', {}, h('span', {}, this.#i18n.t('bk.phone')), h('input', { id: 'bk-phone', inputmode: 'numeric', maxlength: '4' })),
        h('button', { type: 'submit', class: 'btn-primary btn-large', id: 'bk-confirm' }, this.#i18n.t('bk.confirm'))),
    ];
  }

  async #book() {
    const name = $('#bk-name').value.trim();
    const phone = $('#bk-phone').value.trim();
    if (!name) return this.#fail(this.#i18n.t('bk.bad_name'));
    if (!/^\d{4}$/.test(phone)) return this.#fail(this.#i18n.t('bk.bad_phone'));
    $('#bk-confirm').disabled = true;
    try {
      const r = await this.#session.api('/api/v1/appointments', {
        method: 'POST', body: { item_id: this.#item.id, at: this.#slot?.at, name, phone_last4: phone },
      });
      this.#finished(r, false);
    } catch (err) {
      this.#failed(err);
    }
  }

  /** @param {any} err */
  async #failed(err) {
    console.warn('booking: book', err);
    if (err.code === 'slot_full') {
      await this.#loadSlots();
      this.#step = 'time';
      this.#error = this.#i18n.t('bk.slot_full');
      this.#render();
      return;
    }
    this.#fail(this.#i18n.t('bk.failed', { message: err.message }));
  }

  /** @param {string} message */
  #fail(message) {
    this.#error = message;
    const el = document.getElementById('bk-error');
    if (el) el.textContent = message;
    const confirm = /** @type {HTMLButtonElement | null} */ (document.getElementById('bk-confirm'));
    if (confirm) confirm.disabled = false;
  }

  /** @param {{booking: BookingRecord, slip_html: string}} r @param {boolean} moved */
  #finished(r, moved) {
    this.#done = r.booking;
    this.#slip = r.slip_html;
    this.#step = 'done';
    this.#moving = null;
    this.#doneMoved = moved;
    this.#autoPrint = Boolean(r.slip_html);
    this.#screens.show('booking');
    this.#render();
    this.poll();
  }

  #doneMoved = false;
  #autoPrint = false; // the slip prints once when it has loaded, not on every re-render

  #doneStep() {
    const b = /** @type {BookingRecord} */ (this.#done);
    const frame = /** @type {HTMLIFrameElement} */ (h('iframe', { id: 'bk-slip', class: 'bk-slip', title: 'slip', sandbox: 'allow-modals allow-same-origin' }));
    frame.addEventListener('load', () => {
      if (!this.#autoPrint) return;
      this.#autoPrint = false;
      this.#print();
    });
    frame.srcdoc = this.#slip;
    return [
      h('div', { class: 'card bk-done' },
        h('p', { class: 'eyebrow' }, this.#i18n.t('bk.done.code')),
        h('p', { class: 'bk-code', id: 'bk-done-code' }, b.code),
        h('p', { class: 'lead' }, this.#i18n.t('bk.summary', { date: b.date, time: b.time, item: b.item_name })),
        h('p', {}, `${b.name} ${b.phone}`),
        h('p', { class: 'muted' }, this.#i18n.t(this.#doneMoved ? 'bk.done.moved' : 'bk.done.text')),
        h('div', { class: 'bk-done-actions' },
          h('button', { type: 'button', class: 'btn-plain', id: 'bk-print', onclick: () => this.#print() }, this.#i18n.t('bk.print')),
          h('button', { type: 'button', class: 'btn-primary btn-large', id: 'bk-finish', onclick: () => this.#home() }, this.#i18n.t('bk.finish')))),
      frame,
    ];
  }

  // print prints the slip page alone, as receipts are printed; kiosks run
  // Chrome with --kiosk-printing, so no dialog stops the resident.
  #print() {
    const w = /** @type {HTMLIFrameElement | null} */ (document.getElementById('bk-slip'))?.contentWindow;
    if (!w || !this.#slip) return;
    try {
      w.print();
      this.prints++;
    } catch (err) {
      console.warn('booking: print slip', err);
    }
  }

  async #lookup() {
    const code = $('#bk-code').value.trim().toUpperCase();
    const last4 = $('#bk-code-phone').value.trim();
    try {
      const r = await this.#session.api('/api/v1/appointments/lookup', { method: 'POST', body: { code, phone_last4: last4 } });
      this.#moving = { code, last4 };
      this.#renderManage(r.booking, '');
    } catch (err) {
      this.#renderManage(null, err.code === 'not_found' || err.code === 'invalid' ? this.#i18n.t('bk.manage.not_found') : this.#i18n.t('bk.failed', { message: err.message }));
    }
  }

  /** @param {BookingRecord | null} b @param {string} message */
  #renderManage(b, message) {
    const box = $('#bk-found');
    box.hidden = !b && !message;
    if (!b) {
      box.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, message));
      return;
    }
    const changeable = b.state === 'booked';
    box.replaceChildren(
      h('p', { class: 'eyebrow' }, b.code),
      h('h2', {}, this.#i18n.t('bk.summary', { date: b.date, time: b.time, item: b.item_name })),
      h('p', { class: 'bk-state', id: 'bk-found-state' }, `${this.#i18n.t(`bk.state.${b.state}`)} · ${b.name} ${b.phone}`),
      changeable ? h('div', { class: 'bk-done-actions' },
        h('button', { type: 'button', class: 'btn-plain', id: 'bk-cancel', onclick: () => this.#cancel() }, this.#i18n.t('bk.manage.cancel')),
        h('button', { type: 'button', class: 'btn-primary', id: 'bk-move', onclick: () => this.#startMove(b) }, this.#i18n.t('bk.manage.move'))) : null,
      message ? h('p', { class: 'lead' }, message) : null,
    );
  }

  async #cancel() {
    if (!this.#moving) return;
    try {
      const r = await this.#session.api('/api/v1/appointments/cancel', { method: 'POST', body: { code: this.#moving.code, phone_last4: this.#moving.last4 } });
      this.#renderManage(r.booking, this.#i18n.t('bk.manage.cancelled'));
      this.poll();
    } catch (err) {
      this.#renderManage(null, this.#i18n.t('bk.failed', { message: err.message }));
    }
  }

  /** @param {BookingRecord} b */
  async #startMove(b) {
    await this.#loadCatalog();
    this.#item = this.#itemOf(b);
    this.#screens.show('booking');
    await this.#loadSlots();
    this.#step = 'time';
    this.#render();
  }

  async #reschedule() {
    const m = /** @type {{code: string, last4: string}} */ (this.#moving);
    try {
      const r = await this.#session.api('/api/v1/appointments/reschedule', {
        method: 'POST', body: { code: m.code, phone_last4: m.last4, at: this.#slot?.at },
      });
      this.#finished(r, true);
    } catch (err) {
      this.#failed(err);
    }
  }
}

// chime plays two soft tones, so a resident who has sat down looks up.
function chime() {
  try {
    const ctx = new AudioContext();
    [880, 660].forEach((f, i) => {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.2, ctx.currentTime + i * 0.35);
      g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + i * 0.35 + 0.3);
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + i * 0.35);
      o.stop(ctx.currentTime + i * 0.35 + 0.32);
    });
    setTimeout(() => ctx.close(), 1500);
  } catch (err) {
    console.warn('booking: chime', err);
  }
}
