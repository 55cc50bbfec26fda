// @ts-check
// The supervisor's view of the console (supervisors and admins): the live
// wallboard from queue.stats, the calls in progress with a 监看 button
// each, the watch panel, and the way to the recording review.

import { $, h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { StationList } from './stations.js';
import { WatchPanel } from './watch.js';

// The list of calls is fetched this often, and whenever the queue moves.
const refreshEvery = 5000;

// Agent states the wallboard counts, in its order (offline ones are not
// part of the floor).
const agentStates = ['ready', 'busy', 'wrap_up', 'not_ready'];

export class SupervisorView extends EventTarget {
  #sig;
  #i18n;
  #session;
  #identity = null;
  #stats = null;
  #statsAt = 0;
  #calls = [];
  // call id → why it is not being recorded, and #fetches when it was marked:
  // a fetch forgets only the marks of calls that ended before it began, not
  // of one that started while it was under way (its list is older).
  /** @type {Map<string, {code: string, seq: number}>} */
  #unrecorded = new Map();
  #fetches = 0;
  #shownCalls = ''; // what the rows show, to redraw only on a change
  #items = new Map(); // catalog item id → item, for names in English
  #active = false;
  #loading = false;
  #again = false;
  #refreshTimer = 0;
  #tickTimer = 0;
  watch;
  stations;

  constructor({ signaling, i18n, session }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    this.#session = session;
    this.stations = new StationList({ session, i18n });
    this.watch = new WatchPanel({ signaling, i18n, items: (id) => this.#itemName(id) });
    this.watch.addEventListener('change', () => this.#renderCalls(true));
    this.watch.addEventListener('notice', (/** @type {CustomEvent} */ e) => this.#emit('notice', e.detail));
    signaling.on('queue.stats', (d) => this.#setStats(d));
    signaling.on('call.ended', () => this.refresh());
    signaling.on('recording.status', (d) => this.#recordingStatus(d));
    $('#live-rows').addEventListener('click', (e) => this.#clicked(e));
    i18n.addEventListener('change', () => this.#render());
  }

  get active() {
    return this.#active;
  }

  // calls are the calls in progress as last fetched.
  get calls() {
    return this.#calls;
  }

  // start shows the view after each welcome of a supervisor or admin.
  start(welcome) {
    this.#identity = welcome.identity ?? {};
    if (!welcome.resumed) this.watch.sessionLost();
    if (!this.#active) {
      this.#active = true;
      this.#refreshTimer = setInterval(() => this.refresh(), refreshEvery);
      this.#tickTimer = setInterval(() => this.#tick(), 1000);
      this.#loadCatalog();
    }
    this.#render();
    this.refresh();
  }

  // stop leaves the view: any watch ends on the server too.
  async stop() {
    this.#pause();
    await this.watch.stop();
  }

  // drop leaves the view when signed out; the server forgets the watch.
  drop() {
    this.#pause();
    this.watch.drop();
  }

  // refresh fetches the live calls; calls that come while one is under way
  // fold into one more fetch after it.
  async refresh() {
    if (!this.#active) return;
    if (this.#loading) {
      this.#again = true;
      return;
    }
    this.#loading = true;
    this.stations.refresh(); // on the same beat as the calls
    const fetch = ++this.#fetches;
    try {
      const res = await this.#session.api('/api/v1/calls/live');
      this.#calls = res.calls ?? [];
      for (const [id, mark] of this.#unrecorded) {
        if (mark.seq < fetch && !this.#calls.some((c) => c.id === id)) this.#unrecorded.delete(id);
      }
      $('#live-error').textContent = '';
      this.#renderCalls(false);
    } catch (err) {
      $('#live-error').textContent = this.#i18n.t('live.failed', { message: err.message });
    } finally {
      this.#loading = false;
      if (this.#again) {
        this.#again = false;
        this.refresh();
      }
    }
  }

  #pause() {
    this.#active = false;
    clearInterval(this.#refreshTimer);
    clearInterval(this.#tickTimer);
  }

  async #loadCatalog() {
    try {
      const catalog = await this.#session.api('/api/v1/catalog');
      this.#items = new Map(catalog.items.map((it) => [it.id, it]));
      this.#renderCalls(true);
    } catch (err) {
      console.debug('supervisor: catalog', err.message); // names stay in Chinese
    }
  }

  #itemName(id) {
    const it = this.#items.get(id);
    return it ? this.#i18n.pick(it, 'name') : '';
  }

  #setStats(d) {
    this.#stats = d;
    this.#statsAt = Date.now();
    this.#renderStats();
    this.refresh(); // the queue moved: a call may have started or ended
  }

  #clicked(e) {
    const button = e.target.closest('button[data-action="watch"]');
    if (!button) return;
    const call = this.#calls.find((c) => c.id === button.closest('tr').dataset.call);
    if (call) this.watch.watch(call);
  }

  #render() {
    const id = this.#identity ?? {};
    const key = id.role === 'admin' ? 'sv.signed_in_admin' : 'sv.signed_in';
    $('#sv-who').textContent = this.#i18n.t(key, { name: id.display_name || id.username || '' });
    this.#renderStats();
    this.#renderCalls(true);
  }

  #renderStats() {
    const d = this.#stats ?? {};
    $('#wb-waiting').textContent = String(d.waiting ?? 0);
    $('#wb-green').textContent = String(d.green_waiting ?? 0);
    $('#wb-green').closest('.wb-tile').classList.toggle('is-alert', (d.green_waiting ?? 0) > 0);
    for (const state of agentStates) {
      $(`#wb-agent-${state}`).textContent = String(d.agents?.[state] ?? 0);
    }
    this.#renderLongest();
  }

  // renderLongest keeps the longest wait counting between updates: the
  // server reports only when the queue changes.
  #renderLongest() {
    const d = this.#stats;
    const grown = d?.waiting > 0 ? (Date.now() - this.#statsAt) / 1000 : 0;
    $('#wb-longest').textContent = formatDuration((d?.longest_wait_s ?? 0) + grown);
  }

  #tick() {
    this.#renderLongest();
    for (const cell of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('#live-rows [data-since]'))) {
      cell.textContent = since(cell.dataset.since);
    }
  }

  // renderCalls redraws the rows when what they show changed (or always,
  // with force), so a button is not replaced under the pointer every poll.
  #renderCalls(force) {
    const shown = JSON.stringify([this.#calls, this.watch.callId, this.watch.state, [...this.#unrecorded]]);
    if (!force && shown === this.#shownCalls) return;
    this.#shownCalls = shown;
    const rows = this.#calls.map((c) => this.#row(c));
    $('#live-rows').replaceChildren(...rows);
    $('#live-empty').hidden = rows.length > 0;
    $('#live-count').textContent = String(rows.length);
  }

  #row(c) {
    const t = (key) => this.#i18n.t(key);
    const watched = c.id === this.watch.callId && this.watch.state !== 'ended';
    const action = watched
      ? h('span', { class: 'badge badge-watching' }, t('live.watching'))
      : h('button', { type: 'button', class: 'btn-primary btn-small', dataset: { action: 'watch' } }, t('live.watch'));
    return h(
      'tr',
      { dataset: { call: c.id }, class: watched ? 'is-watched' : null },
      h('td', {}, c.station_name, ' ',
        c.island ? h('span', { class: 'badge badge-island' }, t('badge.island')) : null,
        c.green ? h('span', { class: 'badge badge-green' }, t('stats.green')) : null,
        this.#unrecorded.has(c.id) ? h('span', { class: 'badge badge-unrecorded', title: this.#unrecorded.get(c.id)?.code }, t('live.unrecorded')) : null),
      h('td', {}, c.agent_name),
      h('td', {}, this.#itemName(c.item_id) || c.item_name),
      h('td', { class: 'num', dataset: { since: c.accepted_at } }, since(c.accepted_at)),
      h('td', { class: 'live-action' }, action),
    );
  }

  // recordingStatus marks a call that is not being recorded (and unmarks
  // it when recording resumes); calls that ended are forgotten on refresh.
  #recordingStatus(d) {
    if (d.recording) this.#unrecorded.delete(d.call_id);
    else this.#unrecorded.set(d.call_id, { code: d.code ?? '', seq: this.#fetches });
    if (this.#calls.some((c) => c.id === d.call_id)) this.#renderCalls(false);
    else this.refresh();
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// since is the time from an RFC 3339 instant until now, as m:ss.
function since(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '' : formatDuration((Date.now() - ms) / 1000);
}
