// @ts-check
// 办件查询: a resident types the case number from their receipt (or a
// scanner reads its QR code, typing into the same field) and sees how the
// case stands. Nothing personal is shown: the server's status holds the
// item, the state and the due date only, and leaves the item out when the
// case came from another station. The number must be whole, with the check
// digits at its end: they are what keeps numbers from being guessed.

import { $ } from '/lib/dom.js';

const prefix = 'YW';
const dateDigits = 8;
const serialDigits = 4; // as printed for the first 9,999 cases of a day
const maxSerialDigits = 6;
const checkDigits = 6;
const minDigits = dateDigits + serialDigits + checkDigits;
const maxDigits = dateDigits + maxSerialDigits + checkDigits;

export class CaseLookup {
  #session;
  #i18n;
  #screens;
  #result = null;
  #error = '';

  constructor({ session, i18n, screens }) {
    this.#session = session;
    this.#i18n = i18n;
    this.#screens = screens;
    const input = $('#lookup-number');
    input.addEventListener('input', () => this.#setNumber(input.value));
    $('#lookup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#search();
    });
    $('#keypad').addEventListener('click', (e) => this.#key(e.target.closest('[data-key]')?.dataset.key));
    i18n.addEventListener('change', () => this.#render());
  }

  start() {
    this.#result = null;
    this.#error = '';
    this.#setNumber('');
    this.#render();
    this.#screens.show('lookup');
  }

  #key(k) {
    if (!k) return;
    const v = $('#lookup-number').value;
    if (k === 'back') this.#setNumber(v.length > prefix.length ? v.slice(0, -1) : '');
    else if (k === 'clear') this.#setNumber('');
    else this.#setNumber(v + k);
  }

  // setNumber keeps the field in the receipt's shape: YW, eight digits of
  // date, a dash, the serial, a dash, the check digits — so a resident only
  // ever types digits. A longer serial shows its dash one place off; the
  // server reads the digits whatever the dashes.
  #setNumber(raw) {
    let v = raw.toUpperCase().replace(/[^0-9A-Z-]/g, '');
    v = v.startsWith(prefix) ? v.slice(prefix.length) : v.replace(/^[A-Z]+/, '');
    const digits = v.replace(/[^0-9]/g, '').slice(0, maxDigits);
    const groups = [digits.slice(0, dateDigits), digits.slice(dateDigits, dateDigits + serialDigits), digits.slice(dateDigits + serialDigits)];
    $('#lookup-number').value = prefix + groups.filter(Boolean).join('-');
    if (this.#error === 'lookup.invalid') this.#error = '';
    this.#renderError();
  }

  async #search() {
    const number = $('#lookup-number').value;
    this.#result = null;
    if (number.replace(/[^0-9]/g, '').length < minDigits) {
      this.#error = 'lookup.invalid';
      this.#render();
      return;
    }
    this.#error = '';
    $('#lookup-submit').disabled = true;
    try {
      this.#result = await this.#session.api(`/api/v1/case-status/${encodeURIComponent(number)}`);
    } catch (err) {
      console.warn('station: case status', err);
      this.#error = { 404: 'lookup.not_found', 429: 'lookup.too_many' }[err.status] ?? 'lookup.failed';
    } finally {
      $('#lookup-submit').disabled = false;
    }
    this.#render();
  }

  #render() {
    const r = this.#result;
    $('#lookup-result').hidden = !r;
    $('#lookup-hint').hidden = Boolean(r);
    if (r) {
      $('#lookup-result-number').textContent = r.number;
      $('#lookup-result-item').hidden = !r.item_name;
      $('#lookup-result-item').textContent = (this.#i18n.lang === 'en' && r.item_name_en) || r.item_name || '';
      $('#lookup-result-state').textContent = this.#i18n.t(`status.${r.state}`);
      $('#lookup-result-state').dataset.state = r.state;
      $('#lookup-result-due').hidden = !r.due_date;
      $('#lookup-result-due').textContent = r.due_date ? this.#i18n.t('lookup.due', { date: r.due_date }) : '';
    }
    this.#renderError();
  }

  #renderError() {
    $('#lookup-error').textContent = this.#error ? this.#i18n.t(this.#error) : '';
  }
}
