// @ts-check
// The recording list: recorded calls matching the filters, a page at a
// time, each row with its status, rating and follow-up marks.

import { $, h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { islandBadge, ratingBadge, rectBadge, renderStatus } from './review-badges.js';
import { Filters } from './review-filters.js';

// Rows fetched per page.
const pageSize = 30;

// SessionList is the filtered, paged list of recorded calls.
export class SessionList {
  #app;
  #query = null; // the filters of the rows shown
  #cursor = '';
  #sessions = new Map(); // call id → session, in the order shown
  #pending = new Map(); // call id → its unfinished rectification

  /** @param {import('./review.js').ReviewApp} app */
  constructor(app) {
    this.#app = app;
    this.filters = new Filters(app);
    $('#filters').addEventListener('submit', (e) => {
      e.preventDefault();
      const hash = `#/?${this.filters.query()}`;
      if (location.hash === hash) this.#load(false); // the same search again: refresh
      else location.hash = hash;
    });
    $('#list-more').addEventListener('click', () => this.#load(true));
  }

  // show opens the list with the filters in query; rows already loaded for
  // the same filters stay, so coming back from a session keeps the place.
  show(query) {
    this.#app.screens.show('list');
    const changed = query.toString() !== this.#query?.toString();
    this.#query = query;
    this.filters.fill(query);
    if (changed) this.#load(false);
  }

  // update refreshes a row after the session page changed it.
  update(s) {
    const old = this.#sessions.get(s.call_id);
    if (!old) return;
    Object.assign(old, s);
    this.renderRows();
  }

  // setRectification keeps a row's follow-up marker in step with the
  // session page.
  setRectification(r) {
    if (r.status === 'fixed') this.#pending.delete(r.call_id);
    else this.#pending.set(r.call_id, r);
    this.renderRows();
  }

  // #loadPending marks the rows whose bad rating still waits for a fix;
  // without it the list still works, just unmarked.
  async #loadPending() {
    try {
      const { rectifications } = await this.#app.api('/api/v1/rectifications?status=open,in_progress');
      this.#pending = new Map(rectifications.map((r) => [r.call_id, r]));
      this.renderRows();
    } catch {
      this.#pending.clear();
    }
  }

  async #load(more) {
    if (!more) this.#loadPending();
    const q = new URLSearchParams(this.#query);
    q.set('limit', String(pageSize));
    if (more && this.#cursor) q.set('cursor', this.#cursor);
    $('#list-error').textContent = '';
    $('#list-more').disabled = true;
    try {
      const page = await this.#app.api(`/api/v1/recordings?${q}`);
      if (!more) this.#sessions.clear();
      for (const s of page.sessions) this.#remember(s);
      this.#cursor = page.next_cursor || '';
      this.renderRows();
      this.filters.renderOptions();
    } catch (err) {
      $('#list-error').textContent = this.#app.i18n.t('list.failed', { message: err.message });
    } finally {
      $('#list-more').disabled = false;
    }
  }

  #remember(s) {
    this.#sessions.set(s.call_id, s);
    this.filters.remember(s);
  }

  renderRows() {
    const { i18n } = this.#app;
    const rows = [...this.#sessions.values()].map((s) => this.#row(s, i18n));
    $('#session-rows').replaceChildren(...rows);
    $('#list-empty').hidden = rows.length > 0;
    $('#list-more').hidden = !this.#cursor;
  }

  #row(s, i18n) {
    const href = `#/call/${encodeURIComponent(s.call_id)}`;
    const status = h('span', {});
    renderStatus(status, s.status, i18n);
    return h(
      'tr',
      { dataset: { call: s.call_id }, onclick: () => (location.hash = href) },
      h('td', {}, h('a', { href }, this.#app.formatDate(s.started_at))),
      h('td', {}, s.station_name, ' ', s.island ? islandBadge(i18n) : null),
      h('td', {}, s.agent_name),
      h('td', {}, this.#app.itemName(s.item_id, s.item_name)),
      h('td', { class: 'num' }, formatDuration(s.duration_ms / 1000)),
      h('td', {}, status, s.legal_hold ? h('span', { class: 'badge badge-soft' }, i18n.t('badge.hold')) : null),
      h(
        'td',
        { class: 'rating', title: s.rating?.comment || null },
        ratingBadge(s.rating, i18n),
        rectBadge(this.#pending.get(s.call_id), i18n),
      ),
    );
  }
}
