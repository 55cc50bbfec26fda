// @ts-check
// Recording review for supervisors and admins: a filtered, paged list of
// recorded calls, and a session page that plays both parties' videos (and
// the document camera) in step under one control, above the call's events
// and the supervisors' notes, with the legal hold.
//
// The page shares the console's sign-in (same storage key), so a supervisor
// who comes from the console in the same tab is already signed in.
//
// This file signs in and routes between the two screens; the parts are
// review-list.js (with review-filters.js), review-session.js (with
// review-player.js, review-timeline.js, review-notes.js and
// review-rectification.js), review-badges.js and review-strings.js.

import { overseerRoles, SidePage } from './pageshell.js';
import { SessionList } from './review-list.js';
import { SessionPage } from './review-session.js';
import { messages } from './review-strings.js';

const toastMs = 6000;

export class ReviewApp {
  #frame = new SidePage(messages, toastMs);
  i18n = this.#frame.i18n;
  screens = this.#frame.screens;
  session = this.#frame.session;
  shell = this.#frame.shell;
  catalog = { categories: [], items: [] };
  #items = new Map();
  #role = '';
  list = new SessionList(this);
  page = new SessionPage(this);

  start() {
    this.#wire();
    this.#frame.start({ enter: (me) => this.#enter(me), leave: () => this.#leave() });
  }

  #wire() {
    this.i18n.addEventListener('change', () => {
      this.list.renderRows();
      this.list.filters.renderOptions();
      this.list.filters.renderItems();
      this.page.render();
    });
    this.page.addEventListener('changed', (/** @type {CustomEvent} */ e) => this.list.update(e.detail));
    this.page.rectification.addEventListener('changed', (/** @type {CustomEvent} */ e) => this.list.setRectification(e.detail));
    window.addEventListener('hashchange', () => this.#route());
  }

  /**
   * api is an authorised request; a lost sign-in goes back to the login.
   * @param {string} path
   * @param {{method?: string, body?: any}} [opts]
   */
  api(path, opts) {
    return this.#frame.api(path, opts);
  }

  /** @param {import('./pageshell.js').Me} me */
  async #enter(me) {
    this.#role = me.role;
    await this.#loadCatalog();
    this.#route();
  }

  async #loadCatalog() {
    try {
      this.catalog = await this.session.api('/api/v1/catalog');
      this.#items = new Map(this.catalog.items.map((it) => [it.id, it]));
    } catch {
      // Filters by item only; the list works without names.
    }
  }

  #route() {
    if (!overseerRoles.includes(this.#role)) return;
    const hash = location.hash.replace(/^#\/?/, '');
    const call = hash.match(/^call\/(.+)$/);
    if (call) {
      this.page.open(decodeURIComponent(call[1]));
      return;
    }
    this.page.close();
    this.list.show(new URLSearchParams(hash.replace(/^\?/, '')));
  }

  #leave() {
    this.#role = '';
    this.page.close();
  }

  itemName(id, fallback) {
    const it = this.#items.get(id);
    return it ? this.i18n.pick(it, 'name') : fallback;
  }

  formatDate(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return '';
    const locale = this.i18n.lang === 'zh' ? 'zh-CN' : 'en-GB';
    return new Date(ms).toLocaleString(locale, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
  }

  toast(text) {
    this.shell.toast(text);
  }
}

const app = new ReviewApp();
// Reachable from DevTools for support and from the browser tests.
/** @type {any} */ (window).cloudWindowReview = app;
app.start();
