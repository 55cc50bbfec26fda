// @ts-check
// Bad-rating follow-up (差评整改) on a recorded session's page.

import { $, h } from '/lib/dom.js';
import { badRatingMax } from './review-badges.js';

// RectificationPanel shows the follow-up of a badly rated session and moves
// it on: open → in progress → fixed, a note being required to close. It
// fires 'changed' with the rectification after each change.
export class RectificationPanel extends EventTarget {
  #app;
  #rect = null;
  #loading = 0; // counts loads, so a slow answer for a session left behind is dropped

  /** @param {import('./review.js').ReviewApp} app */
  constructor(app) {
    super();
    this.#app = app;
    $('#rect-form').addEventListener('submit', (e) => e.preventDefault());
    $('#rect-start').addEventListener('click', () => this.#update('in_progress'));
    $('#rect-fix').addEventListener('click', () => this.#update('fixed'));
  }

  // load fetches the follow-up of a session with a bad rating; other
  // sessions have none and show no panel.
  async load(detail) {
    this.clear();
    const loading = this.#loading;
    if (!detail.rating || detail.rating.score > badRatingMax) return;
    try {
      const rect = await this.#app.api(`/api/v1/rectifications/${encodeURIComponent(detail.call_id)}`);
      if (loading !== this.#loading) return;
      this.#rect = rect;
      this.render();
    } catch (err) {
      if (loading !== this.#loading || err.status === 404) return;
      this.#app.toast(this.#app.i18n.t('rect.load_failed', { message: err.message }));
    }
  }

  clear() {
    this.#loading++;
    this.#rect = null;
    $('#rect-note').value = '';
    $('#rect-error').textContent = '';
    this.render();
  }

  render() {
    const r = this.#rect;
    $('#rectification').hidden = !r;
    if (!r) return;
    const { i18n } = this.#app;
    const status = $('#rect-status');
    status.dataset.rect = r.status;
    status.textContent = i18n.t(`rect.status.${r.status}`);
    const owner = r.owner_name ? i18n.t('rect.owner', { name: r.owner_name }) : i18n.t('rect.no_owner');
    const due = i18n.t(r.overdue ? 'rect.overdue' : 'rect.due', { at: this.#app.formatDate(r.due_at) });
    const info = $('#rect-info');
    info.textContent = r.status === 'fixed' ? owner : `${owner} · ${due}`;
    info.classList.toggle('is-overdue', r.overdue);
    $('#rect-steps').replaceChildren(...(r.steps || []).map((step) => this.#step(step)));
    $('#rect-form').hidden = r.status === 'fixed';
    $('#rect-start').hidden = r.status !== 'open';
  }

  #step(step) {
    const { i18n } = this.#app;
    return h(
      'li',
      { dataset: { status: step.status } },
      h('span', { class: 'at' }, this.#app.formatDate(step.at)),
      h('span', { class: 'what' }, i18n.t(`rect.step.${step.status}`)),
      h('span', { class: 'who' }, step.actor_name),
      step.note ? h('span', { class: 'text' }, step.note) : null,
    );
  }

  async #update(status) {
    const r = this.#rect;
    if (!r) return;
    const note = $('#rect-note').value.trim();
    const error = $('#rect-error');
    if (status === 'fixed' && !note) {
      error.textContent = this.#app.i18n.t('rect.note_required');
      $('#rect-note').focus();
      return;
    }
    error.textContent = '';
    const buttons = [$('#rect-start'), $('#rect-fix')];
    for (const b of buttons) b.disabled = true;
    try {
      const next = await this.#app.api(`/api/v1/rectifications/${encodeURIComponent(r.call_id)}`, {
        method: 'POST',
        body: { status, note },
      });
      if (r !== this.#rect) return;
      this.#rect = next;
      $('#rect-note').value = '';
      this.render();
      this.dispatchEvent(new CustomEvent('changed', { detail: next }));
    } catch (err) {
      if (r === this.#rect) error.textContent = this.#app.i18n.t('rect.failed', { message: err.message });
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }
}
