// @ts-check
// Choosing what to do: category, then item (or search by name), then the
// item's one-screen notice of materials and time limit (一次性告知) before
// anyone may call.

import { $, h } from '/lib/dom.js';

// The catalog changes rarely; a kiosk reloads it at most this often.
const maxAge = 10 * 60_000;

export class CatalogBrowser extends EventTarget {
  #session;
  #i18n;
  #screens;
  #catalog = null;
  #loadedAt = 0;
  #category = null;
  #item = null;
  #green = '';

  constructor({ session, i18n, screens }) {
    super();
    this.#session = session;
    this.#i18n = i18n;
    this.#screens = screens;
    $('#search').addEventListener('input', () => this.#renderSearch());
    $('#search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      $('#search').blur(); // closes the on-screen keyboard
    });
    $('#search-clear').addEventListener('click', () => this.#clearSearch());
    $('#call-button').addEventListener('click', () => this.#requestCall());
    i18n.addEventListener('change', () => this.#rerender());
  }

  get green() {
    return this.#green;
  }

  // item is the item whose notice is open, if any.
  get item() {
    return this.#item;
  }

  // start opens the category screen; green is "" or a green-channel reason.
  async start(green = '') {
    this.#green = green;
    this.#category = null;
    this.#item = null;
    this.#clearSearch();
    this.#renderGreenFlags();
    this.#screens.show('categories');
    await this.refresh();
  }

  // refresh loads the catalog unless a fresh copy is at hand.
  async refresh({ force = false } = {}) {
    if (!force && this.#catalog && Date.now() - this.#loadedAt < maxAge) {
      this.#renderCategories();
      return;
    }
    try {
      this.#catalog = await this.#session.api('/api/v1/catalog');
      this.#loadedAt = Date.now();
    } catch (err) {
      console.warn('catalog: load', err);
      if (!this.#catalog) {
        $('#category-grid').replaceChildren(h('p', { class: 'lead empty' }, this.#i18n.t('catalog.failed')));
        return;
      }
    }
    this.#renderCategories();
  }

  showCategories() {
    this.#item = null;
    this.#screens.show('categories');
  }

  // showItems returns from the notice to the list the item was chosen from.
  showItems() {
    if (this.#category) {
      this.#openCategory(this.#category);
    } else {
      this.#screens.show('categories');
    }
  }

  #renderCategories() {
    const { categories = [], items = [] } = this.#catalog ?? {};
    const counts = new Map();
    for (const it of items) counts.set(it.category, (counts.get(it.category) ?? 0) + 1);
    const tiles = categories
      .filter((c) => counts.get(c.id))
      .map((c) =>
        h('button', { type: 'button', class: 'category', dataset: { category: c.id }, onclick: () => this.#openCategory(c) },
          h('span', { class: 'category-name' }, this.#i18n.pick(c, 'name')),
          h('span', { class: 'category-count' }, this.#i18n.t('catalog.count', { n: counts.get(c.id) }))));
    $('#category-grid').replaceChildren(...tiles);
  }

  #openCategory(c) {
    this.#category = c;
    $('#items-title').textContent = this.#i18n.pick(c, 'name');
    const items = (this.#catalog?.items ?? []).filter((it) => it.category === c.id);
    $('#item-list').replaceChildren(...items.map((it) => this.#itemButton(it)));
    this.#screens.show('items');
    $('#item-list').scrollTop = 0;
  }

  #itemButton(it) {
    return h('button', { type: 'button', class: 'item', dataset: { item: it.id }, onclick: () => this.#openItem(it) },
      h('span', { class: 'item-name' }, this.#i18n.pick(it, 'name')),
      h('span', { class: 'item-meta' },
        h('span', { class: 'badge badge-soft' }, this.#i18n.t(`mode.${it.mode}`)),
        h('span', {}, this.#timeLimit(it))));
  }

  #renderSearch() {
    const q = $('#search').value.trim().toLowerCase();
    $('#search-clear').hidden = q === '';
    $('#category-grid').hidden = q !== '';
    $('#search-results').hidden = q === '';
    if (!q) return;
    const hits = (this.#catalog?.items ?? []).filter((it) =>
      [it.name_zh, it.name_en, it.id].some((s) => s?.toLowerCase().includes(q)));
    const list = hits.length
      ? hits.slice(0, 50).map((it) => this.#itemButton(it))
      : [h('p', { class: 'lead empty' }, this.#i18n.t('search.none', { q: $('#search').value.trim() }))];
    $('#search-results').replaceChildren(...list);
  }

  #clearSearch() {
    $('#search').value = '';
    this.#renderSearch();
  }

  #openItem(it) {
    this.#item = it;
    this.#renderDetail();
    this.#screens.show('detail');
  }

  #renderDetail() {
    const it = this.#item;
    if (!it) return;
    $('#detail-title').textContent = this.#i18n.pick(it, 'name');
    const materials = (it.materials ?? []).map((m) =>
      h('li', {},
        h('span', { class: 'material-name' }, this.#i18n.pick(m, 'name')),
        h('span', { class: m.required ? 'badge badge-amber' : 'badge badge-soft' },
          this.#i18n.t(m.required ? 'detail.required' : 'detail.optional'))));
    $('#detail-materials').replaceChildren(...materials);
    $('#detail-time').textContent = this.#timeLimit(it);
    $('#detail-mode').textContent = this.#i18n.t(`mode.${it.mode}`);
    $('#detail-signature').hidden = !it.signature_required;
  }

  #timeLimit(it) {
    return it.time_limit_days > 0 ? this.#i18n.t('time.days', { n: it.time_limit_days }) : this.#i18n.t('time.on_spot');
  }

  #renderGreenFlags() {
    renderGreenFlags(this.#i18n, this.#green);
  }

  #rerender() {
    this.#renderGreenFlags();
    if (!this.#catalog) return;
    this.#renderCategories();
    this.#renderSearch();
    if (this.#category && this.#screens.current === 'items') this.#openCategory(this.#category);
    this.#renderDetail();
  }

  #requestCall() {
    if (!this.#item) return;
    this.dispatchEvent(new CustomEvent('call', { detail: { item: this.#item, green: this.#green } }));
  }
}

// renderGreenFlags shows the green-channel badge of every screen that has
// one, for reason ("" hides them).
export function renderGreenFlags(i18n, reason) {
  const who = reason ? i18n.t(`green.${reason}`) : '';
  for (const flag of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.green-flag'))) {
    flag.hidden = !reason;
    flag.querySelector('.green-flag-text').textContent = i18n.t('green.flag', { who });
  }
}
