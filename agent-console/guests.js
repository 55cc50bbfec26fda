// @ts-check
// Remote guests, from the agent's side: invite a family member or an
// interpreter into the call with a one-time link (guest.invite), see them
// wait for the resident's consent and join (guest.status), and remove them
// at any time (guest.remove).

import { $, h } from '/lib/dom.js';

export const guestMessages = {
  zh: {
    'guests.title': '邀请家属 / 翻译',
    'guests.kind': '邀请谁',
    'guests.kind.family': '家属',
    'guests.kind.interpreter': '翻译',
    'guests.name': '称呼（可不填）',
    'guests.invite': '生成邀请链接',
    'guests.link_hint': '请把链接发给对方，用手机浏览器打开。链接 15 分钟内有效，只能使用一次，仅限本次通话。',
    'guests.copy': '复制',
    'guests.copied': '链接已复制',
    'guests.remove': '移出',
    'guests.state.invited': '等待对方打开链接',
    'guests.state.waiting': '等待居民同意',
    'guests.state.admitted': '已加入通话',
    'guests.state.refused': '居民拒绝',
    'guests.state.removed': '已移出',
    'guests.state.left': '已离开',
    'guests.state.ended': '已结束',
    'guests.failed': '操作失败：{message}',
    'role.helper': '代办员',
  },
  en: {
    'guests.title': 'Invite family / interpreter',
    'guests.kind': 'Invite',
    'guests.kind.family': 'Family member',
    'guests.kind.interpreter': 'Interpreter',
    'guests.name': 'Name (optional)',
    'guests.invite': 'Create invitation link',
    'guests.link_hint': 'Send this link to them to open in a phone browser. It works once, for 15 minutes, for this call only.',
    'guests.copy': 'Copy',
    'guests.copied': 'Link copied',
    'guests.remove': 'Remove',
    'guests.state.invited': 'Waiting for them to open the link',
    'guests.state.waiting': 'Waiting for the resident to agree',
    'guests.state.admitted': 'In the call',
    'guests.state.refused': 'Refused by the resident',
    'guests.state.removed': 'Removed',
    'guests.state.left': 'Left',
    'guests.state.ended': 'Ended',
    'guests.failed': 'Failed: {message}',
    'role.helper': 'Helper',
  },
};

/** @typedef {{invitation_id: string, kind: string, name: string, state: string}} Guest */

// Guests in these states may still be removed (or their link withdrawn).
const removable = new Set(['invited', 'waiting', 'admitted']);

export class AgentGuests extends EventTarget {
  #sig;
  #i18n;
  /** @type {any} */
  #data = null;
  /** @type {Map<string, Guest>} */
  #guests = new Map();
  #link = '';
  #el;

  /** @param {{signaling: any, i18n: any, call: EventTarget}} deps */
  constructor({ signaling, i18n, call }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    this.#el = this.#build();
    $('#collab').after(this.#el.card);
    call.addEventListener('started', (/** @type {CustomEvent} */ e) => this.#start(e.detail));
    call.addEventListener('ended', () => this.#start(null));
    signaling.on('guest.status', (/** @type {any} */ d) => this.#status(d));
    i18n.addEventListener('change', () => this.#render());
    this.#render();
  }

  #build() {
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    const kind = /** @type {HTMLSelectElement} */ (h('select', { id: 'guest-kind', 'aria-label': t('guests.kind') },
      ['family', 'interpreter'].map((k) => h('option', { value: k, dataset: { i18n: `guests.kind.${k}` } }, t(`guests.kind.${k}`)))));
    const name = /** @type {HTMLInputElement} */ (h('input', { id: 'guest-name', maxlength: '20', placeholder: t('guests.name'), 'aria-label': t('guests.name') }));
    const invite = h('button', { type: 'button', id: 'guest-invite', class: 'btn-plain', dataset: { i18n: 'guests.invite' }, onclick: () => this.#invite() }, t('guests.invite'));
    const linkInput = /** @type {HTMLInputElement} */ (h('input', { id: 'guest-link', readonly: true, 'aria-label': 'link' }));
    const copy = h('button', { type: 'button', id: 'guest-copy', class: 'btn-plain', dataset: { i18n: 'guests.copy' }, onclick: () => this.#copy() }, t('guests.copy'));
    const hint = h('p', { class: 'guest-hint', dataset: { i18n: 'guests.link_hint' } }, t('guests.link_hint'));
    const linkBox = h('div', { class: 'guest-link', id: 'guest-link-box', hidden: true }, h('div', { class: 'collab-row' }, linkInput, copy), hint);
    const list = h('ul', { class: 'participants', id: 'guest-list' });
    const card = h('section', { class: 'card guests', id: 'guests', hidden: true },
      h('div', { class: 'card-head' }, h('h3', { dataset: { i18n: 'guests.title' } }, t('guests.title'))),
      h('div', { class: 'collab-row' }, kind, name, invite), linkBox, list);
    return { card, kind, name, linkInput, linkBox, list };
  }

  /** @param {any} d call.started data, null when the call ended */
  #start(d) {
    this.#data = d;
    this.#guests.clear();
    this.#link = '';
    this.#render();
  }

  async #invite() {
    if (!this.#data) return;
    try {
      const reply = await this.#sig.request('guest.invite', {
        call_id: this.#data.call_id, kind: this.#el.kind.value, name: this.#el.name.value.trim(),
      });
      const d = reply.data;
      this.#link = location.origin + d.url;
      this.#guests.set(d.invitation_id, { invitation_id: d.invitation_id, kind: d.kind, name: d.name, state: 'invited' });
      this.#el.name.value = '';
      this.#render();
    } catch (/** @type {any} */ err) {
      this.#notice(this.#i18n.t('guests.failed', { message: err.message }));
    }
  }

  async #copy() {
    try {
      await navigator.clipboard.writeText(this.#link);
      this.#notice(this.#i18n.t('guests.copied'));
    } catch {
      this.#el.linkInput.select();
    }
  }

  /** @param {string} id */
  async #remove(id) {
    if (!this.#data) return;
    try {
      await this.#sig.request('guest.remove', { call_id: this.#data.call_id, invitation_id: id });
      const g = this.#guests.get(id);
      if (g) g.state = 'removed';
      this.#render();
    } catch (/** @type {any} */ err) {
      this.#notice(this.#i18n.t('guests.failed', { message: err.message }));
    }
  }

  /** @param {any} d guest.status */
  #status(d) {
    if (!this.#data || d.call_id !== this.#data.call_id) return;
    this.#guests.set(d.invitation_id, { invitation_id: d.invitation_id, kind: d.kind, name: d.name, state: d.state });
    this.#render();
  }

  /** @param {string} text */
  #notice(text) {
    this.dispatchEvent(new CustomEvent('notice', { detail: text }));
  }

  #render() {
    const el = this.#el;
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    // Only the agent handling the call invites; the back office does not.
    el.card.hidden = !this.#data || this.#data.party !== 'agent';
    el.linkBox.hidden = !this.#link;
    el.linkInput.value = this.#link;
    el.name.placeholder = t('guests.name');
    el.list.replaceChildren(...[...this.#guests.values()].map((g) => h('li', { dataset: { state: g.state } },
      h('span', { class: 'participant-name' }, `${g.name}（${t(`guests.kind.${g.kind}`)}）`),
      h('span', { class: 'participant-role' }, t(`guests.state.${g.state}`)),
      removable.has(g.state) && h('button', { type: 'button', class: 'btn-plain guest-remove', onclick: () => this.#remove(g.invitation_id) }, t('guests.remove')))));
  }
}
