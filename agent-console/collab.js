// @ts-check
// Calls with more than two people, from the agent's side: blind transfer
// (转接) to a skill group or to a named colleague who is ready now
// (agent.colleagues), consulting the back office (咨询后台) while the
// resident waits on hold, then merging all three or handing the call over,
// the list of who is in the call (call.participants), and the video of
// anyone beyond the resident (a supervisor who barged in) as a tile.

import { $, h } from '/lib/dom.js';
import { OtherTiles } from '/lib/othertiles.js';

// groups a call can be transferred to: the catalog's skill groups.
const groups = ['medical_insurance', 'social_security', 'long_term_care', 'civil_affairs', 'disability', 'health_birth',
  'employment', 'elderly', 'housing', 'residence', 'veterans', 'general', 'backoffice'];

// consultGroup is who 咨询后台 asks.
const consultGroup = 'backoffice';

/**
 * @typedef {{name: string, role: string, party: string}} Participant
 * @typedef {{id: string, name: string, skills: string[], generalist?: boolean}} Colleague
 */

export class AgentCollab extends EventTarget {
  #sig;
  #i18n;
  /** @type {any} */
  #data = null;
  /** @type {Participant[]} */
  #people = [];
  #consulting = false;
  /** @type {Colleague[]} */
  #colleagues = [];
  #status = ''; // string key and params, rendered on language change
  /** @type {Record<string, string>} */
  #statusParams = {};
  #el;
  #tiles;

  /**
   * @param {{signaling: any, i18n: any, call: EventTarget}} deps
   */
  constructor({ signaling, i18n, call }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    this.#el = this.#build();
    this.#renderColleagues();
    $('.call-side').prepend(this.#el.card);
    const tiles = h('div', { class: 'other-tiles', id: 'other-tiles', hidden: true });
    $('.call-media .stage').append(tiles);
    this.#tiles = new OtherTiles(tiles);
    call.addEventListener('otherstream', (/** @type {CustomEvent} */ e) => this.#tiles.show(e.detail));
    call.addEventListener('started', (/** @type {CustomEvent} */ e) => this.#start(e.detail));
    call.addEventListener('ended', () => this.#stop());
    signaling.on('call.participants', (/** @type {any} */ d) => this.#isCurrent(d) && this.#participants(d.participants ?? []));
    signaling.on('call.transfer_status', (/** @type {any} */ d) => this.#isCurrent(d) && this.#transferStatus(d));
    i18n.addEventListener('change', () => {
      this.#renderColleagues();
      this.#render();
    });
  }

  #build() {
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    const group = /** @type {HTMLSelectElement} */ (h('select', { id: 'transfer-group', 'aria-label': t('collab.group') },
      groups.map((g) => h('option', { value: g, dataset: { i18n: `group.${g}` } }, t(`group.${g}`)))));
    const button = (/** @type {string} */ id, /** @type {string} */ key, /** @type {() => void} */ fn, cls = 'btn-plain') =>
      h('button', { type: 'button', id, class: cls, dataset: { i18n: key }, onclick: fn }, t(key));
    const transfer = button('transfer', 'collab.transfer', () => this.#transfer());
    const consult = button('consult', 'collab.consult', () => this.#consult());
    const merge = button('consult-merge', 'collab.merge', () => this.#consultEnd('merge'), 'btn-primary');
    const handover = button('consult-handover', 'collab.handover', () => this.#consultEnd('handover'));
    const cancel = button('consult-cancel', 'collab.cancel', () => this.#consultEnd('cancel'));
    const colleague = /** @type {HTMLSelectElement} */ (h('select', { id: 'transfer-colleague', 'aria-label': t('collab.colleague'),
      onfocus: () => this.#loadColleagues() }));
    const named = /** @type {HTMLButtonElement} */ (button('transfer-named', 'collab.transfer_named', () => this.#transferNamed()));
    const starters = h('div', { class: 'collab-start', id: 'collab-start' },
      h('div', { class: 'collab-row' }, group, transfer, consult),
      h('div', { class: 'collab-row', id: 'collab-named' }, colleague, named));
    const enders = h('div', { class: 'collab-row', id: 'collab-consult' }, merge, handover, cancel);
    const badge = h('p', { class: 'badge collab-badge', id: 'collab-badge', dataset: { i18n: 'collab.consulted' } }, t('collab.consulted'));
    const status = h('p', { class: 'collab-status', id: 'collab-status', role: 'status' });
    const list = h('ul', { class: 'participants', id: 'participants' });
    const title = h('h3', { dataset: { i18n: 'collab.title' } }, t('collab.title'));
    const card = h('section', { class: 'card collab', id: 'collab' }, h('div', { class: 'card-head' }, title), badge, starters, enders, status, list);
    return { card, group, colleague, named, starters, enders, merge, badge, status, list };
  }

  /** @param {any} d call.started data */
  #start(d) {
    this.#data = d;
    this.#people = [];
    this.#consulting = false;
    this.#setStatus('');
    if (!this.#consulted) this.#loadColleagues();
    this.#render();
  }

  #stop() {
    this.#data = null;
    this.#people = [];
    this.#tiles.clear();
    this.#consulting = false;
    this.#setStatus('');
    this.#render();
  }

  // consulted: this console joined someone else's call as the back office.
  get #consulted() {
    return this.#data?.party === 'consult';
  }

  /** @param {any} d */
  #isCurrent(d) {
    return Boolean(this.#data) && d.call_id === this.#data.call_id;
  }

  async #transfer() {
    const group = this.#el.group.value;
    if (await this.#send('call.transfer', { skill_group: group })) {
      this.#setStatus('collab.transferring', { group: this.#i18n.t(`group.${group}`) });
    }
  }

  // loadColleagues asks who is ready now; the list changes all the time,
  // so it is asked again whenever the agent opens it.
  async #loadColleagues() {
    if (!this.#data) return;
    try {
      const d = await this.#sig.request('agent.colleagues', {});
      this.#colleagues = d?.data?.colleagues ?? [];
    } catch (/** @type {any} */ err) {
      console.debug('collab: colleagues', err.message);
      this.#colleagues = [];
    }
    this.#renderColleagues();
  }

  async #transferNamed() {
    const id = this.#el.colleague.value;
    const who = this.#colleagues.find((c) => c.id === id);
    if (!who) {
      this.dispatchEvent(new CustomEvent('notice', { detail: this.#i18n.t('collab.no_colleague') }));
      return;
    }
    if (await this.#send('call.transfer', { to_agent: id })) {
      this.#setStatus('collab.transferring_to', { name: who.name });
    }
  }

  async #consult() {
    if (await this.#send('call.consult', { skill_group: consultGroup })) {
      this.#consulting = true;
      this.#setStatus('collab.consulting');
    }
  }

  /** @param {'merge'|'handover'|'cancel'} action */
  async #consultEnd(action) {
    if (await this.#send('call.consult_end', { action })) {
      this.#consulting = false;
      this.#setStatus(`collab.${action}d`);
    }
  }

  // send makes a request for the current call; a refusal is told plainly.
  /**
   * @param {string} type
   * @param {Record<string, string>} data
   */
  async #send(type, data) {
    if (!this.#data) return false;
    try {
      await this.#sig.request(type, { call_id: this.#data.call_id, ...data });
      return true;
    } catch (/** @type {any} */ err) {
      const key = err.code === 'no_agents' ? 'collab.no_agents' : 'collab.failed';
      this.dispatchEvent(new CustomEvent('notice', { detail: this.#i18n.t(key, { message: err.message }) }));
      return false;
    }
  }

  /** @param {any} d call.transfer_status */
  #transferStatus(d) {
    if (d.state === 'answered') this.#setStatus('collab.transfer_answered', { to: d.to ?? '' });
    else if (d.state === 'returned') this.#setStatus('collab.transfer_returned');
    // The agent who sent it already says where to.
    else if (!this.#status.startsWith('collab.transferring')) this.#setStatus('collab.transferring_any');
  }

  /** @param {Participant[]} list */
  #participants(list) {
    this.#people = list;
    this.#tiles.names(list);
    // A consulted agent who joined means the consultation is under way.
    if (this.#consulting && list.some((p) => p.role === 'consulted')) this.#setStatus('collab.consult_joined');
    this.#render();
  }

  /**
   * @param {string} key
   * @param {Record<string, string>} [params]
   */
  #setStatus(key, params = {}) {
    this.#status = key;
    this.#statusParams = params;
    this.#render();
  }

  #renderColleagues() {
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    const el = this.#el;
    const chosen = el.colleague.value;
    const skills = (/** @type {Colleague} */ c) => {
      const names = c.skills.map((g) => t(`group.${g}`));
      if (c.generalist) names.push(t('collab.generalist'));
      return names.join('、');
    };
    el.colleague.replaceChildren(...(this.#colleagues.length === 0
      ? [h('option', { value: '' }, t('collab.nobody_ready'))]
      : this.#colleagues.map((c) => h('option', { value: c.id }, `${c.name}（${skills(c)}）`))));
    if (this.#colleagues.some((c) => c.id === chosen)) el.colleague.value = chosen;
    el.named.disabled = this.#colleagues.length === 0;
  }

  #render() {
    const el = this.#el;
    const t = (/** @type {string} */ k, /** @type {any} */ p) => this.#i18n.t(k, p);
    el.card.hidden = !this.#data;
    el.badge.hidden = !this.#consulted;
    // After a merge the back office may still take the call over, or leave.
    const withBackOffice = this.#consulting || this.#people.some((p) => p.role === 'consulted');
    el.starters.hidden = this.#consulted || withBackOffice;
    el.enders.hidden = this.#consulted || !withBackOffice;
    el.merge.hidden = !this.#consulting;
    el.status.textContent = this.#status ? t(this.#status, this.#statusParams) : '';
    el.list.replaceChildren(...this.#people.map((p) => h('li', { dataset: { role: p.role } },
      h('span', { class: 'participant-name' }, p.name),
      h('span', { class: 'participant-role' }, t(`role.${p.role}`)))));
  }
}
