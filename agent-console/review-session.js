// @ts-check
// The page of one recorded session: every party's video (and the document
// camera) in step under one control, the recording's status and legal hold,
// the resident's rating and its follow-up, the call's time line and the
// supervisors' notes.

import { $, h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { badRatingMax, failureText, ratingBadge, renderStatus } from './review-badges.js';
import { Notes } from './review-notes.js';
import { Lane, SyncPlayer } from './review-player.js';
import { RectificationPanel } from './review-rectification.js';
import { renderLinkSamples } from './review-link.js';
import { addPartyTiles, markWhispers, whispers } from './review-lanes.js';
import { renderEvents, renderMarks } from './review-timeline.js';

/**
 * @typedef {object} RecordingFile one party's recorded part
 * @property {string} id
 * @property {string} call_id
 * @property {string} party station, agent, station-document, consult, supervisor …
 * @property {number} part
 * @property {string} status
 * @property {string} started_at
 * @property {number} duration_ms
 * @property {string} [error] why recording failed
 */

export class SessionPage extends EventTarget {
  #app;
  #player = new SyncPlayer();
  #detail = null;
  #lanes = new Map(); // party → Lane, for the parties that have files
  #zero = 0; // ms, the session clock's origin
  /** @type {Array<[number, number]>} */
  #whispers = []; // when a supervisor whispered, on the session clock
  #dragging = false;
  #opening = 0; // counts opens, so a slow answer for a page left behind is dropped

  /** @param {import('./review.js').ReviewApp} app */
  constructor(app) {
    super();
    this.#app = app;
    this.#player.addEventListener('time', (/** @type {CustomEvent} */ e) => this.#renderTime(e.detail));
    $('#play').addEventListener('click', () => this.#togglePlay());
    const seek = $('#seek');
    seek.addEventListener('pointerdown', () => (this.#dragging = true));
    seek.addEventListener('pointerup', () => (this.#dragging = false));
    seek.addEventListener('change', () => (this.#dragging = false));
    seek.addEventListener('input', () => this.#player.seek(Number(seek.value)));
    this.notes = new Notes(app, this.#player);
    this.notes.addEventListener('added', () => this.#renderMarks());
    $('#hold-toggle').addEventListener('change', (e) => this.#setHold(e.target.checked));
    this.rectification = new RectificationPanel(app);
  }

  get player() {
    return this.#player;
  }

  async open(callID) {
    this.close();
    const opening = this.#opening;
    this.#app.screens.show('loading');
    let detail;
    try {
      detail = await this.#app.api(`/api/v1/recordings/${encodeURIComponent(callID)}`);
    } catch (err) {
      if (opening !== this.#opening) return;
      const key = err.status === 404 ? 'session.not_found' : 'session.failed';
      this.#app.toast(this.#app.i18n.t(key, { message: err.message }));
      location.hash = '#/';
      return;
    }
    if (opening !== this.#opening) return;
    this.#detail = detail;
    this.notes.show(detail);
    this.#setUp();
    this.#app.screens.show('session');
  }

  close() {
    this.#opening++;
    this.#player.stop();
    this.#lanes.clear();
    this.#detail = null;
    this.notes.show(null);
    this.rectification.clear();
  }

  #setUp() {
    const d = this.#detail;
    const starts = d.files.map((f) => Date.parse(f.started_at));
    this.#zero = Math.min(Date.parse(d.started_at), ...starts);
    const lanes = this.#makeLanes(d);
    const ends = d.files.map((f) => (Date.parse(f.started_at) - this.#zero + f.duration_ms) / 1000);
    const duration = Math.max(d.duration_ms / 1000, ...ends, 0);
    $('#seek').max = String(duration);
    this.#whispers = whispers(d.events ?? [], (iso) => this.#at(iso), duration);
    this.#player.load(lanes, duration);
    this.render();
    this.rectification.load(d);
  }

  // #makeLanes gives each party's video its files, in a tile of its own;
  // the document camera's is shown only when there is one.
  #makeLanes(d) {
    this.#lanes.clear();
    addPartyTiles($('#players'), d.files, (k) => this.#app.i18n.t(k));
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.lane'))) {
      const files = playable(d.files, el.dataset.party);
      el.hidden = el.dataset.party === 'station-document' && files.length === 0;
      el.dataset.active = 'false';
      const download = $('.lane-download', el);
      download.hidden = files.length === 0;
      if (files.length === 0) continue;
      const parts = files.map((f) => ({
        file: f,
        offset: (Date.parse(f.started_at) - this.#zero) / 1000,
        duration: f.duration_ms / 1000,
      }));
      const lane = new Lane({ el, parts, ticket: (f) => this.#ticket(f) });
      lane.addEventListener('problem', () => this.#renderLaneProblem(el));
      lane.addEventListener('blocked', () => this.#app.toast(this.#app.i18n.t('player.blocked')));
      download.onclick = (e) => this.#download(e, lane);
      this.#lanes.set(el.dataset.party, lane);
    }
    return [...this.#lanes.values()];
  }

  async #ticket(file) {
    const t = await this.#app.api(
      `/api/v1/recordings/${encodeURIComponent(file.call_id)}/files/${encodeURIComponent(file.id)}/ticket`,
      { method: 'POST' },
    );
    return t.url;
  }

  // #download fetches a fresh ticket, so the link works however long the
  // page was open; the server audits it as a download.
  async #download(e, lane) {
    e.preventDefault();
    const part = lane.part ?? lane.parts[0];
    try {
      const url = await this.#ticket(part.file);
      location.assign(`${url}&download=1`);
    } catch (err) {
      this.#app.toast(this.#app.i18n.t('session.failed', { message: err.message }));
    }
  }

  #togglePlay() {
    if (this.#player.playing) this.#player.pause();
    else this.#player.play();
  }

  // render draws everything but the moving parts; called again on a
  // language change.
  render() {
    const d = this.#detail;
    if (!d) return;
    const { i18n } = this.#app;
    $('#s-station').textContent = d.station_name;
    $('#s-island').hidden = !d.island;
    $('#s-green').hidden = !d.call?.green;
    const meta = i18n.t('session.meta', {
      agent: d.agent_name,
      item: this.#app.itemName(d.item_id, d.item_name),
      start: this.#app.formatDate(d.started_at),
      duration: formatDuration(this.#player.duration),
    });
    const outcome = d.call?.outcome ? ` · ${i18n.t('session.outcome', { outcome: i18n.t(`outcome.${d.call.outcome}`) })}` : '';
    $('#s-meta').textContent = meta + outcome;
    this.#renderRating();
    renderStatus($('#s-status'), d.status, i18n);
    const note = $('#s-status-note');
    note.hidden = d.status === 'finished';
    note.dataset.status = d.status;
    note.textContent = note.hidden ? '' : i18n.t(`status_note.${d.status}`, { error: failureText(i18n, d.error) });
    this.#renderHold();
    this.rectification.render();
    this.#renderEvents();
    this.notes.render();
    this.#renderMarks();
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.lane'))) this.#renderLaneProblem(el);
    this.#renderTime(this.#player.time);
  }

  // #renderRating shows the resident's score and, in their words, why.
  #renderRating() {
    const { i18n } = this.#app;
    const r = this.#detail.rating;
    const el = $('#s-rating');
    el.classList.toggle('is-bad', Boolean(r) && r.score <= badRatingMax);
    let comment = null;
    if (r?.comment) comment = h('q', { class: 'rating-comment' }, r.comment);
    else if (r) comment = h('span', { class: 'rating-comment is-empty' }, i18n.t('rating.no_comment'));
    el.replaceChildren(...[i18n.t('rating.label'), ratingBadge(r, i18n), comment].filter(Boolean));
  }

  // #renderLaneProblem says plainly when a party's video is missing,
  // failed while recording, or can't be played.
  #renderLaneProblem(el) {
    if (!this.#detail) return;
    const { i18n } = this.#app;
    const files = playable(this.#detail.files, el.dataset.party);
    const failed = files.find((f) => f.status === 'failed');
    let text = '';
    if (files.length === 0) text = i18n.t('lane.missing');
    else if (this.#lanes.get(el.dataset.party)?.broken) text = i18n.t('lane.unplayable');
    else if (failed) text = i18n.t('lane.failed', { error: failureText(i18n, failed.error) });
    $('.lane-problem', el).textContent = text;
  }

  #renderTime(t) {
    const playing = this.#player.playing;
    $('#play').setAttribute('aria-pressed', String(playing));
    $('#clock').textContent = formatDuration(t);
    $('#total').textContent = formatDuration(this.#player.duration);
    if (!this.#dragging) $('#seek').value = String(t);
    markWhispers($('#players'), this.#whispers, t);
    this.notes.renderTime(t);
  }

  // #at is an event's time on the session clock, in seconds.
  #at(iso) {
    return (Date.parse(iso) - this.#zero) / 1000;
  }

  #renderEvents() {
    const d = this.#detail;
    renderEvents($('#events'), d.events, d.call ?? {}, (iso) => this.#at(iso), (t) => this.#player.seek(t), this.#app.i18n);
    renderLinkSamples($('#events'), d.link ?? [], { at: (iso) => this.#at(iso), seek: (t) => this.#player.seek(t), lang: this.#app.i18n.lang });
  }

  // #renderMarks pins events and notes on the seek bar.
  #renderMarks() {
    const d = this.#detail;
    const events = d.events.map((e) => this.#at(e.at));
    const notes = d.notes.map((n) => n.at_ms / 1000);
    renderMarks($('#marks'), events, notes, this.#player.duration || 1);
  }

  #renderHold() {
    const d = this.#detail;
    const { i18n } = this.#app;
    const toggle = $('#hold-toggle');
    toggle.checked = d.legal_hold;
    toggle.disabled = d.status === 'deleted';
    $('#hold-info').textContent = d.legal_hold
      ? i18n.t('hold.on', { by: d.hold_by, at: this.#app.formatDate(d.hold_at) })
      : i18n.t('hold.off');
  }

  async #setHold(hold) {
    const d = this.#detail;
    if (!d) return;
    $('#hold-toggle').disabled = true;
    try {
      const s = await this.#app.api(`/api/v1/recordings/${encodeURIComponent(d.call_id)}/hold`, {
        method: 'PUT',
        body: { hold },
      });
      Object.assign(d, s);
      this.dispatchEvent(new CustomEvent('changed', { detail: s }));
    } catch (err) {
      this.#app.toast(this.#app.i18n.t('hold.failed', { message: err.message }));
    } finally {
      if (d === this.#detail) this.#renderHold();
    }
  }
}

// playable are a party's files that still exist, in order.
/**
 * @param {RecordingFile[]} files
 * @param {string} party
 * @returns {RecordingFile[]}
 */
function playable(files, party) {
  return files.filter((f) => f.party === party && f.status !== 'deleted').sort((a, b) => a.part - b.part);
}
