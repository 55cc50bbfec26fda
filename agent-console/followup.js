// @ts-check
// Booking the follow-up (预约补正) at wrap-up: when the outcome is 需补正,
// the agent may book the resident's return with the missing materials at
// the same station, in a free slot of the item's group. The resident's
// name and phone come from the case; the booking shows on the station and
// its code is told to the resident.

import { $, h } from '/lib/dom.js';

/** @type {Record<string, Record<string, string>>} */
const texts = {
  zh: {
    legend: '预约补正（可选）',
    hint: '为居民约好带齐材料再来的时间，到时在原帮办点优先办理。',
    none: '近两周没有可预约的时段。',
    book: '预约',
    booked: '已预约 {date} {time}，预约码 {code}，请告诉居民。',
    failed: '预约没有成功：{message}',
    free: '余 {n}',
  },
  en: {
    legend: 'Book the follow-up (optional)',
    hint: 'Book the resident a time to come back with the materials; they go first at the same station.',
    none: 'No free slots in the next two weeks.',
    book: 'Book',
    booked: 'Booked {date} {time}, code {code}: tell the resident.',
    failed: 'The booking failed: {message}',
    free: '{n} left',
  },
};

export class FollowUpBooking {
  #session;
  #i18n;
  #wrapup;
  #loadedFor = '';
  /** @type {{date: string, time: string, at: string, free: number}[]} */ #slots = [];
  #message = '';

  /** @param {{session: any, i18n: any, wrapup: any}} deps */
  constructor({ session, i18n, wrapup }) {
    this.#session = session;
    this.#i18n = i18n;
    this.#wrapup = wrapup;
    $('#wrapup-missing').after(h('fieldset', { class: 'missing followup', id: 'followup', hidden: true },
      h('legend', { id: 'followup-legend' }), h('p', { class: 'muted', id: 'followup-hint' }),
      h('div', { class: 'followup-row' }, h('select', { id: 'followup-slot' }),
        h('button', { type: 'button', class: 'btn-plain btn-small', id: 'followup-book', onclick: () => this.#book() })),
      h('p', { id: 'followup-result', role: 'status' })));
    const form = $('#wrapup-form');
    form.addEventListener('change', (/** @type {Event} */ e) => {
      if (/** @type {HTMLInputElement} */ (e.target).name === 'outcome') this.#update();
    });
    form.addEventListener('reset', () => {
      this.#loadedFor = '';
      this.#message = '';
      setTimeout(() => this.#update());
    });
    i18n.addEventListener('change', () => this.#render());
  }

  /** @param {string} key @param {Record<string, any>} vars */
  #t(key, vars = {}) {
    const text = (texts[this.#i18n.lang] ?? texts.zh)[key] ?? texts.zh[key];
    return text.replace(/\{(\w+)\}/g, (/** @type {string} */ m, /** @type {string} */ n) => (n in vars ? String(vars[n]) : m));
  }

  async #update() {
    const needs = new FormData($('#wrapup-form')).get('outcome') === 'needs_materials';
    const f = this.#wrapup.followUp;
    $('#followup').hidden = !needs || !f;
    if (!needs || !f || this.#loadedFor === f.caseId) return this.#render();
    this.#loadedFor = f.caseId;
    try {
      const r = await this.#session.api(`/api/v1/appointments/slots?item_id=${encodeURIComponent(f.itemId)}`);
      this.#slots = (r.days ?? []).flatMap((/** @type {any} */ d) => d.slots.filter((/** @type {any} */ s) => s.free > 0).map((/** @type {any} */ s) => ({ ...s, date: d.date })));
    } catch (err) {
      this.#slots = [];
      this.#message = this.#t('failed', { message: err.message });
    }
    this.#render();
  }

  #render() {
    $('#followup-legend').textContent = this.#t('legend');
    $('#followup-hint').textContent = this.#t('hint');
    $('#followup-book').textContent = this.#t('book');
    $('#followup-slot').replaceChildren(...this.#slots.map((s) => h('option', { value: s.at }, `${s.date} ${s.time} · ${this.#t('free', { n: s.free })}`)));
    $('#followup-book').disabled = this.#slots.length === 0;
    $('#followup-result').textContent = this.#message || (this.#slots.length ? '' : this.#t('none'));
  }

  async #book() {
    const f = this.#wrapup.followUp;
    if (!f) return;
    $('#followup-book').disabled = true;
    try {
      const r = await this.#session.api('/api/v1/appointments', { method: 'POST', body: { case_id: f.caseId, at: $('#followup-slot').value } });
      const b = r.booking;
      this.#message = this.#t('booked', { date: b.date, time: b.time, code: b.code });
      this.#slots = [];
    } catch (err) {
      this.#message = this.#t('failed', { message: err.message });
    }
    this.#render();
  }
}
