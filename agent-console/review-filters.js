// @ts-check
// The filters of the recording list: the form's fields as the API's query
// and back, and the choices of station, agent, category and item.

import { $, h } from '/lib/dom.js';

/** @typedef {import('/lib/i18n.js').I18n} I18n */
/** @typedef {{station_id?: string, station_name?: string, island?: boolean, agent_id?: string, agent_name?: string}} SeenSession */

export class Filters {
  #app;
  #stations = new Map(); // id → {name, island}, from every row seen
  #agents = new Map(); // id → name

  /** @param {import('./review.js').ReviewApp} app */
  constructor(app) {
    this.#app = app;
    $('#filters').addEventListener('reset', () => {
      setTimeout(() => (location.hash = '#/'), 0);
    });
    $('#f-category').addEventListener('change', () => this.renderItems($('#f-category').value, ''));
  }

  /**
   * remember offers a listed session's station and agent as choices.
   * @param {SeenSession} s
   */
  remember(s) {
    if (s.station_id) this.#stations.set(s.station_id, { name: s.station_name, island: s.island });
    if (s.agent_id) this.#agents.set(s.agent_id, s.agent_name);
  }

  /**
   * query is the form as the API's query; durations go in seconds.
   * @returns {URLSearchParams}
   */
  query() {
    const q = new URLSearchParams();
    for (const el of this.#fields()) {
      if (!el.name || !el.value) continue;
      const minutes = el.name.endsWith('_duration');
      q.set(el.name, minutes ? String(Math.round(Number(el.value) * 60)) : el.value);
    }
    return q;
  }

  /**
   * fill sets the form from a query.
   * @param {URLSearchParams} query
   */
  fill(query) {
    for (const el of this.#fields()) {
      if (!el.name) continue;
      const v = query.get(el.name) ?? '';
      el.value = el.name.endsWith('_duration') && v ? String(Number(v) / 60) : v;
    }
    this.renderOptions(query.get('station') ?? '', query.get('agent') ?? '');
    this.renderItems(query.get('category') ?? '', query.get('item') ?? '');
  }

  /** @returns {Array<HTMLInputElement | HTMLSelectElement>} */
  #fields() {
    return /** @type {any[]} */ ([.../** @type {HTMLFormElement} */ ($('#filters')).elements]);
  }

  /**
   * renderOptions offers every station and agent seen so far; the API has
   * no directory of them for supervisors.
   * @param {string} [station]
   * @param {string} [agent]
   */
  renderOptions(station = $('#f-station').value, agent = $('#f-agent').value) {
    const { i18n } = this.#app;
    const stations = [...this.#stations].map(([id, s]) =>
      h('option', { value: id }, s.island ? `${s.name}（${i18n.t('badge.island')}）` : s.name),
    );
    const agents = [...this.#agents].map(([id, name]) => h('option', { value: id }, name));
    fillSelect($('#f-station'), stations, station, i18n);
    fillSelect($('#f-agent'), agents, agent, i18n);
  }

  /**
   * renderItems offers the catalog's categories, and the items of the
   * chosen one.
   * @param {string} [category]
   * @param {string} [item]
   */
  renderItems(category = $('#f-category').value, item = $('#f-item').value) {
    const { i18n } = this.#app;
    const catalog = this.#app.catalog;
    const categories = catalog.categories.map((c) => h('option', { value: c.id }, i18n.pick(c, 'name')));
    fillSelect($('#f-category'), categories, category, i18n);
    const items = catalog.items
      .filter((it) => !category || it.category === category)
      .map((it) => h('option', { value: it.id }, i18n.pick(it, 'name')));
    fillSelect($('#f-item'), items, item, i18n);
  }
}

/**
 * fillSelect replaces a select's options after "all", keeping the choice.
 * @param {HTMLSelectElement} select
 * @param {HTMLElement[]} options
 * @param {string} chosen
 * @param {I18n} i18n
 */
function fillSelect(select, options, chosen, i18n) {
  const all = h('option', { value: '' }, i18n.t('filter.all'));
  select.replaceChildren(all, ...options);
  select.value = chosen && [...select.options].some((o) => o.value === chosen) ? chosen : '';
}
