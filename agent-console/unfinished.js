// @ts-check
// 未结办件: cases still open although their call has ended — the server
// stopped mid-call, or the console was closed before wrap-up. An agent's
// desk lists their own, the supervisor view everyone's; picking one opens
// the wrap-up form for it.

import { $, h } from '/lib/dom.js';

export class UnfinishedCases extends EventTarget {
  #session;
  #i18n;
  #list = [];
  #exclude = ''; // the call whose own wrap-up is under way
  #showAgent = false;

  constructor({ session, i18n }) {
    super();
    this.#session = session;
    this.#i18n = i18n;
    $('#unfinished-list').addEventListener('click', (e) => this.#pick(e.target.closest('[data-case]')?.dataset.case));
    i18n.addEventListener('change', () => this.#render());
  }

  // load fetches the list again; excludeCallID is left out because the
  // call's own wrap-up form handles it. showAgent names each case's agent.
  async load(excludeCallID = '', { showAgent = false } = {}) {
    this.#exclude = excludeCallID;
    this.#showAgent = showAgent;
    try {
      this.#list = (await this.#session.api('/api/v1/cases/unfinished')).cases ?? [];
    } catch (err) {
      console.warn('console: unfinished cases', err);
      this.#list = [];
    }
    this.#render();
  }

  clear() {
    this.#list = [];
    this.#render();
  }

  // pick hands the case, with its materials for "what is missing", to the
  // wrap-up form.
  async #pick(id) {
    const c = this.#list.find((u) => u.id === id);
    if (!c) return;
    let materials = [];
    try {
      materials = (await this.#session.api(`/api/v1/cases/${encodeURIComponent(id)}`)).materials ?? [];
    } catch (err) {
      console.warn('console: case materials', err);
    }
    this.dispatchEvent(new CustomEvent('pick', { detail: { case: c, materials } }));
  }

  #render() {
    const rows = this.#list.filter((c) => c.call_id !== this.#exclude);
    $('#unfinished').hidden = rows.length === 0;
    $('#unfinished-count').textContent = String(rows.length);
    $('#unfinished-list').replaceChildren(...rows.map((c) => h('li', { dataset: { number: c.number } },
      h('strong', { class: 'unfinished-number' }, c.number),
      h('span', {}, [this.#showAgent && c.agent_name, c.station_name, c.item_name].filter(Boolean).join(' · ')),
      h('span', { class: 'unfinished-when' }, callEndedText(this.#i18n, c)),
      h('button', { type: 'button', class: 'btn-primary btn-small', dataset: { case: c.id } }, this.#i18n.t('unfinished.wrapup')))));
  }
}

// callEndedText says when and how an unfinished case's call ended.
export function callEndedText(i18n, c) {
  const time = new Date(c.call_ended_at).toLocaleString(i18n.lang === 'en' ? 'en-GB' : 'zh-CN',
    { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return i18n.t(c.call_end_reason === 'node_lost' ? 'unfinished.lost' : 'unfinished.ended', { time });
}
