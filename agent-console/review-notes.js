// @ts-check
// The supervisors' notes on a recorded session: each is pinned at a time
// of the recording, listed under the player, and seeks there when clicked.

import { $, h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';

/** @typedef {{at_ms: number, text: string, author_name: string, created_at: string}} Note */
/** @typedef {{call_id: string, duration_ms: number, notes: Note[]}} NotedSession */
/** @typedef {import('./review-player.js').SyncPlayer} SyncPlayer */

// Notes fires 'added' after a note is saved.
export class Notes extends EventTarget {
  #app;
  #player;
  /** @type {NotedSession | null} */
  #detail = null;

  /**
   * @param {import('./review.js').ReviewApp} app
   * @param {SyncPlayer} player
   */
  constructor(app, player) {
    super();
    this.#app = app;
    this.#player = player;
    $('#note-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#add();
    });
  }

  /**
   * show takes the session whose notes are shown; null: none.
   * @param {NotedSession | null} detail
   */
  show(detail) {
    this.#detail = detail;
  }

  render() {
    const { i18n } = this.#app;
    const list = $('#notes');
    const notes = this.#detail.notes;
    list.replaceChildren(
      ...notes.map((n) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'note', onclick: () => this.#player.seek(n.at_ms / 1000) },
            h('span', { class: 'at' }, formatDuration(n.at_ms / 1000)),
            h('span', { class: 'text' }, n.text),
            h('span', { class: 'who' }, `${n.author_name} · ${this.#app.formatDate(n.created_at)}`),
          ),
        ),
      ),
    );
    if (notes.length === 0) list.append(h('li', { class: 'empty' }, i18n.t('notes.empty')));
  }

  /**
   * renderTime puts the player's time on the add button.
   * @param {number} t seconds
   */
  renderTime(t) {
    $('#note-add').textContent = this.#app.i18n.t('notes.add', { time: formatDuration(t) });
  }

  // #add pins the note at the current time (within the recording, which
  // is what the server accepts).
  async #add() {
    const d = this.#detail;
    const text = $('#note-text').value.trim();
    if (!d || !text) return;
    const maxMs = d.duration_ms > 0 ? d.duration_ms : Infinity;
    const atMs = Math.min(Math.round(this.#player.time * 1000), maxMs);
    $('#note-add').disabled = true;
    $('#note-error').textContent = '';
    try {
      const n = await this.#app.api(`/api/v1/recordings/${encodeURIComponent(d.call_id)}/notes`, {
        method: 'POST',
        body: { at_ms: atMs, text },
      });
      d.notes = [...d.notes, n].sort((a, b) => a.at_ms - b.at_ms);
      if (d !== this.#detail) return;
      $('#note-text').value = '';
      this.render();
      this.dispatchEvent(new Event('added'));
    } catch (err) {
      $('#note-error').textContent = this.#app.i18n.t('notes.failed', { message: err.message });
    } finally {
      $('#note-add').disabled = false;
    }
  }
}
