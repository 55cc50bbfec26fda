// @ts-check
// Bookings (预约) for supervisors and admins: the day's bookings per skill
// group and per station with each booking (names and phones masked), and
// the agents' schedules the bookable slots come from, edited here. Shares
// the console's sign-in like the statistics page.

import { $, h } from '/lib/dom.js';
import { bookingPageMessages as messages } from './bookings-strings.js';
import { SidePage } from './pageshell.js';

const toastMs = 4000;
const groups = ['medical_insurance', 'social_security', 'long_term_care', 'civil_affairs', 'disability', 'health_birth',
  'employment', 'elderly', 'housing', 'residence', 'veterans', 'general'];

class BookingsPage {
  #frame = new SidePage(messages, toastMs);
  i18n = this.#frame.i18n;
  screens = this.#frame.screens;
  /** @type {any} */ day = null;
  /** @type {any} */ schedules = null;

  start() {
    this.#wire();
    this.#frame.start({ enter: () => this.#enter(), leave: () => { this.day = null; this.schedules = null; } });
  }

  #wire() {
    this.i18n.addEventListener('change', () => this.render());
    $('#day-form').addEventListener('submit', (/** @type {Event} */ e) => {
      e.preventDefault();
      this.loadDay();
    });
    $('#sc-form').addEventListener('submit', (/** @type {Event} */ e) => {
      e.preventDefault();
      this.#addSchedule();
    });
    $('#sc-agent').addEventListener('change', () => this.#renderGroups());
  }

  async #enter() {
    this.screens.show('bookings');
    await Promise.all([this.loadDay(), this.loadSchedules()]);
  }

  async loadDay() {
    $('#bk-error').textContent = '';
    try {
      // Without a date the server answers for today in the center's time zone.
      const date = $('#bk-date').value;
      this.day = await this.#frame.api(`/api/v1/appointments/day${date ? `?date=${encodeURIComponent(date)}` : ''}`);
      $('#bk-date').value = this.day.date;
    } catch (err) {
      $('#bk-error').textContent = this.i18n.t('failed', { message: err.message });
    }
    this.render();
  }

  /** loadSchedules fetches the schedules and the agents they may name. */
  async loadSchedules() {
    try {
      this.schedules = await this.#frame.api('/api/v1/appointments/schedules');
    } catch (err) {
      $('#sc-error').textContent = this.i18n.t('failed', { message: err.message });
    }
    this.render();
  }

  render() {
    this.#renderDay();
    this.#renderSchedules();
  }

  #renderDay() {
    const t = (/** @type {string} */ k) => this.i18n.t(k);
    for (const tr of document.querySelectorAll('.bk-count-head')) {
      tr.replaceChildren(...['col.name', 'col.booked', 'col.arrived', 'col.no_shows', 'col.cancelled'].map((k) => h('th', {}, t(k))));
    }
    $('#bk-list-head').replaceChildren(...['col.time', 'col.code', 'col.item', 'col.station', 'col.resident', 'col.state'].map((k) => h('th', {}, t(k))));
    const d = this.day;
    if (!d) return;
    const countRow = (/** @type {any} */ c) => h('tr', { dataset: { key: c.key } },
      h('td', {}, c.name + (c.island ? ` · ${t('island')}` : '')), h('td', {}, String(c.booked)), h('td', {}, String(c.arrived)),
      h('td', {}, String(c.no_shows)), h('td', {}, String(c.cancelled)));
    $('#bk-groups').replaceChildren(...d.by_group.map(countRow));
    $('#bk-stations').replaceChildren(...d.by_station.map(countRow));
    $('#bk-rows').replaceChildren(...d.bookings.map((/** @type {any} */ b) => h('tr', { dataset: { code: b.code } },
      h('td', {}, b.time), h('td', {}, b.code), h('td', {}, b.item_name), h('td', {}, b.station_name),
      h('td', {}, `${b.name} ${b.phone}`), h('td', { class: `bk-state-${b.state}` }, t(`state.${b.state}`)))));
    $('#bk-empty').hidden = d.bookings.length > 0;
  }

  #renderSchedules() {
    const t = (/** @type {string} */ k) => this.i18n.t(k);
    $('#sc-head').replaceChildren(...['sc.weekday', 'sc.time', 'sc.group', 'sc.agent', 'sc.capacity', ''].map((k) => h('th', {}, k ? t(k) : '')));
    $('#sc-weekday').replaceChildren(...[1, 2, 3, 4, 5, 6, 7].map((n) => h('option', { value: String(n) }, t(`wd.${n}`))));
    const s = this.schedules;
    if (!s) return;
    $('#sc-rows').replaceChildren(...s.schedules.map((/** @type {any} */ sc) => h('tr', { dataset: { id: sc.id } },
      h('td', {}, t(`wd.${sc.weekday}`)), h('td', {}, `${sc.start}–${sc.end}`), h('td', {}, t(`group.${sc.skill_group}`)),
      h('td', {}, sc.agent_name), h('td', {}, String(sc.capacity)),
      h('td', {}, h('button', { type: 'button', class: 'btn-plain btn-small sc-delete', onclick: () => this.#deleteSchedule(sc.id) }, t('sc.delete'))))));
    const chosen = $('#sc-agent').value;
    $('#sc-agent').replaceChildren(...s.agents.map((/** @type {any} */ a) => h('option', { value: a.id }, a.name)));
    if (chosen) $('#sc-agent').value = chosen;
    this.#renderGroups();
  }

  // renderGroups offers the groups the chosen agent serves.
  #renderGroups() {
    const agent = this.schedules?.agents.find((/** @type {any} */ a) => a.id === $('#sc-agent').value);
    const chosen = $('#sc-group').value;
    $('#sc-group').replaceChildren(...groups.filter((g) => agent?.groups.includes(g)).map((g) => h('option', { value: g }, this.i18n.t(`group.${g}`))));
    if (chosen) $('#sc-group').value = chosen;
  }

  async #addSchedule() {
    $('#sc-error').textContent = '';
    const body = {
      agent_id: $('#sc-agent').value, skill_group: $('#sc-group').value, weekday: Number($('#sc-weekday').value),
      start: $('#sc-start').value, end: $('#sc-end').value, capacity: Number($('#sc-capacity').value),
    };
    try {
      await this.#frame.api('/api/v1/appointments/schedules', { method: 'POST', body });
      await this.loadSchedules();
    } catch (err) {
      $('#sc-error').textContent = this.i18n.t('failed', { message: err.message });
    }
  }

  /** @param {string} id */
  async #deleteSchedule(id) {
    try {
      await this.#frame.api(`/api/v1/appointments/schedules/${encodeURIComponent(id)}`, { method: 'DELETE' });
      await this.loadSchedules();
    } catch (err) {
      $('#sc-error').textContent = this.i18n.t('failed', { message: err.message });
    }
  }
}

const page = new BookingsPage();
// Reachable from DevTools for support and from the browser tests.
// @ts-ignore
window.cloudWindowBookings = page;
page.start();
