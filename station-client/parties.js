// @ts-check
// The resident's view of a call with more than two people: the hold screen
// while the agent transfers the call or consults the back office
// (call.hold, call.transfer_status), who is in the call, by name and
// role (call.participants), and the video of anyone beyond the agent (a
// supervisor who barged in) as a tile with their name.

import { $, h } from '/lib/dom.js';
import { OtherTiles } from '/lib/othertiles.js';

const partiesMessages = {
  zh: {
    'hold.transfer': '请稍候，正在为您转接…',
    'hold.consult': '坐席正在咨询后台，请稍候',
    'hold.title': '请稍候',
    'parties.title': '通话中的人员',
    'role.resident': '居民',
    'role.agent': '工作人员',
    'role.consulted': '后台工作人员',
    'role.supervisor': '督导',
    'role.guest': '来宾',
    'role.interpreter': '翻译',
  },
  en: {
    'hold.transfer': 'Please wait, we are transferring your call…',
    'hold.consult': 'The agent is consulting the back office, please wait',
    'hold.title': 'Please wait',
    'parties.title': 'In this call',
    'role.resident': 'Resident',
    'role.agent': 'Agent',
    'role.consulted': 'Back office',
    'role.supervisor': 'Supervisor',
    'role.guest': 'Guest',
    'role.interpreter': 'Interpreter',
  },
};

/**
 * addPartiesMessages merges the hold and participant texts into the kiosk's table.
 * @param {{zh: Record<string, string>, en: Record<string, string>}} messages
 */
export function addPartiesMessages(messages) {
  Object.assign(messages.zh, partiesMessages.zh);
  Object.assign(messages.en, partiesMessages.en);
}

/**
 * @typedef {{name: string, role: string, party: string}} Participant
 */

export class CallParties {
  #i18n;
  #callId = '';
  #held = false;
  #transferring = false;
  /** @type {Participant[]} */
  #people = [];
  #layer;
  #holdText;
  #list;
  #tiles;

  /** @param {{signaling: any, i18n: any, call: EventTarget}} deps */
  constructor({ signaling, i18n, call }) {
    this.#i18n = i18n;
    this.#holdText = h('p', { id: 'hold-text' });
    this.#layer = h('div', { class: 'hold-layer', id: 'hold-layer', role: 'status', hidden: true },
      h('div', { class: 'spinner' }), this.#holdText);
    this.#list = h('ul', { class: 'call-parties', id: 'call-parties', 'aria-label': i18n.t('parties.title'), hidden: true });
    const tiles = h('div', { class: 'other-tiles', id: 'other-tiles', hidden: true });
    this.#tiles = new OtherTiles(tiles);
    $('.call-stage').append(tiles, this.#layer, this.#list);
    call.addEventListener('otherstream', (/** @type {CustomEvent} */ e) => this.#tiles.show(e.detail));
    signaling.on('call.started', (/** @type {any} */ d) => this.#reset(d.call_id));
    // A restarted kiosk learns its call from the welcome; the server then
    // repeats the hold and who is in the call.
    signaling.addEventListener('welcome', (/** @type {CustomEvent} */ e) => {
      const id = e.detail.call?.call_id ?? '';
      if (id !== this.#callId) this.#reset(id);
    });
    signaling.on('call.ended', (/** @type {any} */ d) => d.call_id === this.#callId && this.#reset(''));
    signaling.on('call.hold', (/** @type {any} */ d) => this.#isCurrent(d) && this.#hold(Boolean(d.held)));
    signaling.on('call.transfer_status', (/** @type {any} */ d) => this.#isCurrent(d) && this.#transfer(d.state));
    signaling.on('call.participants', (/** @type {any} */ d) => this.#isCurrent(d) && this.#participants(d.participants ?? []));
    i18n.addEventListener('change', () => this.#render());
  }

  /** @param {any} d */
  #isCurrent(d) {
    return Boolean(this.#callId) && d.call_id === this.#callId;
  }

  /** @param {string} callId */
  #reset(callId) {
    this.#callId = callId;
    this.#held = false;
    this.#transferring = false;
    this.#people = [];
    this.#tiles.clear();
    this.#render();
  }

  /** @param {boolean} held */
  #hold(held) {
    this.#held = held;
    if (!held) this.#transferring = false;
    this.#render();
  }

  /** @param {string} state */
  #transfer(state) {
    this.#transferring = state === 'transferring';
    this.#render();
  }

  /** @param {Participant[]} list */
  #participants(list) {
    this.#people = list;
    this.#tiles.names(list);
    // After a hand-over the resident talks to someone else.
    const agent = list.find((p) => p.role === 'agent');
    if (agent) $('#call-agent').textContent = agent.name;
    this.#render();
  }

  #render() {
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    const waiting = this.#held || this.#transferring;
    this.#layer.hidden = !waiting;
    // The call's header stays in view above the hold screen: who, what and
    // how long, so the resident sees the call is still there.
    this.#layer.parentElement?.classList.toggle('on-hold', waiting);
    this.#holdText.textContent = waiting ? t(this.#transferring ? 'hold.transfer' : 'hold.consult') : '';
    // Two people need no list; it matters once someone else joins.
    this.#list.hidden = this.#people.length < 3;
    this.#list.setAttribute('aria-label', t('parties.title'));
    this.#list.replaceChildren(...this.#people.map((p) => h('li', { dataset: { role: p.role } },
      h('strong', {}, p.name), ' ', h('span', {}, t(`role.${p.role}`)))));
  }
}
