// @ts-check
// Calls with more than two people, from the agent's side: blind transfer
// (转接) to a skill group, consulting the back office (咨询后台) while the
// resident waits on hold, then merging all three or handing the call over,
// and the list of who is in the call (call.participants).

import { $, h } from '/lib/dom.js';

// groups a call can be transferred to: the catalog's skill groups.
const groups = ['medical_insurance', 'social_security', 'long_term_care', 'civil_affairs', 'disability', 'health_birth',
  'employment', 'elderly', 'housing', 'residence', 'veterans', 'general', 'backoffice'];

// consultGroup is who 咨询后台 asks.
const consultGroup = 'backoffice';

/**
 * @typedef {{name: string, role: string, party: string}} Participant
 */

export class AgentCollab extends EventTarget {
  #sig;
  #i18n;
  /** @type {any} */
  #data = null;
  /** @type {Participant[]} */
  #people = [];
  #consulting = false;
  #status = ''; // string key and params, rendered on language change
  /** @type {Record<string, string>} */
  #statusParams = {};
  #el;

  /**
   * @param {{signaling: any, i18n: any, call: EventTarget}} deps
   */
  constructor({ signaling, i18n, call }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    this.#el = this.#build();
    $('.call-side').prepend(this.#el.card);
    call.addEventListener('started', (/** @type {CustomEvent} */ e) => this.#start(e.detail));
    call.addEventListener('ended', () => this.#stop());
    signaling.on('call.participants', (/** @type {any} */ d) => this.#isCurrent(d) && this.#participants(d.participants ?? []));
    signaling.on('call.transfer_status', (/** @type {any} */ d) => this.#isCurrent(d) && this.#transferStatus(d));
    i18n.addEventListener('change', () => this.#render());
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
    const starters = h('div', { class: 'collab-row', id: 'collab-start' }, group, transfer, consult);
    const enders = h('div', { class: 'collab-row', id: 'collab-consult' }, merge, handover, cancel);
    const badge = h('p', { class: 'badge collab-badge', id: 'collab-badge', dataset: { i18n: 'collab.consulted' } }, t('collab.consulted'));
    const status = h('p', { class: 'collab-status', id: 'collab-status', role: 'status' });
    const list = h('ul', { class: 'participants', id: 'participants' });
    const title = h('h3', { dataset: { i18n: 'collab.title' } }, t('collab.title'));
    const card = h('section', { class: 'card collab', id: 'collab' }, h('div', { class: 'card-head' }, title), badge, starters, enders, status, list);
    return { card, group, starters, enders, merge, badge, status, list };
  }

  /** @param {any} d call.started data */
  #start(d) {
    this.#data = d;
    this.#people = [];
    this.#consulting = false;
    this.#setStatus('');
    this.#render();
  }

  #stop() {
    this.#data = null;
    this.#people = [];
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
    else this.#setStatus('collab.transferring_any');
  }

  /** @param {Participant[]} list */
  #participants(list) {
    this.#people = list;
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
