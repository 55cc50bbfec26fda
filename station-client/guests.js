// @ts-check
// Helpers and guests at the kiosk. A station helper (代办员) signs in with
// their account and PIN (helper.sign_in), during a call or before the
// resident asks for one, to be recorded as acting for the resident. A
// remote guest the agent invited (a family member, an interpreter) is let
// in only once the resident agrees here (guest.consent).

import { $, h } from '/lib/dom.js';

const guestMessages = {
  zh: {
    'helper.button': '代办员登录',
    'helper.title': '代办员登录',
    'helper.hint': '代办员请输入自己的账号和 PIN 码，通话中将记录由您协助办理。',
    'helper.username': '代办员账号',
    'helper.pin': 'PIN 码',
    'helper.submit': '登录',
    'helper.cancel': '取消',
    'helper.signed_in': '{name}',
    'helper.sign_out': '退出',
    'helper.failed': '登录失败，请重试',
    'role.helper': '代办员',
    'consent.title': '有人想加入通话',
    'consent.family': '工作人员邀请了您的家属「{name}」加入视频通话。',
    'consent.interpreter': '工作人员邀请了翻译「{name}」加入视频通话。',
    'consent.question': '您同意吗？',
    'consent.allow': '同意',
    'consent.refuse': '拒绝',
  },
  en: {
    'helper.button': 'Helper',
    'helper.title': 'Helper sign-in',
    'helper.hint': 'Helpers: enter your own account and PIN; the call records that you helped.',
    'helper.username': 'Helper account',
    'helper.pin': 'PIN',
    'helper.submit': 'Sign in',
    'helper.cancel': 'Cancel',
    'helper.signed_in': '{name}',
    'helper.sign_out': 'Sign out',
    'helper.failed': 'Sign-in failed, please try again',
    'role.helper': 'Helper',
    'consent.title': 'Someone wants to join',
    'consent.family': 'The agent invited your family member “{name}” to join the video call.',
    'consent.interpreter': 'The agent invited the interpreter “{name}” to join the video call.',
    'consent.question': 'Do you agree?',
    'consent.allow': 'Agree',
    'consent.refuse': 'Refuse',
  },
};

/**
 * addGuestMessages merges the helper and consent texts into the kiosk's table.
 * @param {{zh: Record<string, string>, en: Record<string, string>}} messages
 */
export function addGuestMessages(messages) {
  Object.assign(messages.zh, guestMessages.zh);
  Object.assign(messages.en, guestMessages.en);
}

/** @typedef {{call_id: string, invitation_id: string, kind: string, name: string, state: string}} GuestStatus */

export class KioskGuests {
  #sig;
  #i18n;
  #helper = '';
  #entry;
  #chip;
  #form;
  #error;
  #consent;
  #consentText;
  /** @type {GuestStatus | null} */
  #asking = null;

  /** @param {{signaling: any, i18n: any}} deps */
  constructor({ signaling, i18n }) {
    this.#sig = signaling;
    this.#i18n = i18n;
    const t = (/** @type {string} */ k) => i18n.t(k);
    this.#entry = h('button', { type: 'button', class: 'helper-signin', id: 'helper-sign-in', onclick: () => this.#openForm() }, t('helper.button'));
    this.#chip = h('span', { class: 'helper-chip', id: 'helper-chip', hidden: true });
    $('#large-text').before(this.#entry, this.#chip);
    this.#error = h('p', { class: 'form-error', id: 'helper-sign-error', role: 'alert' });
    this.#form = this.#buildForm();
    this.#consentText = h('p', { class: 'consent-text', id: 'consent-text' });
    this.#consent = this.#buildConsent();
    document.body.append(this.#form, this.#consent);
    signaling.on('guest.status', (/** @type {GuestStatus} */ d) => this.#guestStatus(d));
    // After a reload the server says again who is signed in as the helper.
    signaling.on('helper.signed_in', (/** @type {any} */ d) => this.#setHelper(d.name));
    signaling.on('call.ended', () => {
      this.#closeConsent();
      this.#setHelper('');
    });
    i18n.addEventListener('change', () => this.#render());
  }

  #buildForm() {
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    const form = /** @type {HTMLFormElement} */ (h('form', { class: 'modal-layer', id: 'helper-sign-form', role: 'dialog', 'aria-modal': 'true',
      'aria-labelledby': 'helper-sign-title', autocomplete: 'off', hidden: true, onsubmit: (/** @type {Event} */ e) => this.#submit(e) },
      h('div', { class: 'card modal-card' },
        h('h2', { id: 'helper-sign-title', dataset: { i18n: 'helper.title' } }, t('helper.title')),
        h('p', { class: 'muted', dataset: { i18n: 'helper.hint' } }, t('helper.hint')),
        h('label', {}, h('span', { dataset: { i18n: 'helper.username' } }, t('helper.username')),
          h('input', { name: 'username', id: 'helper-sign-username', required: true, maxlength: '64', autocapitalize: 'off', spellcheck: 'false' })),
        h('label', {}, h('span', { dataset: { i18n: 'helper.pin' } }, t('helper.pin')),
          h('input', { name: 'pin', id: 'helper-sign-pin', type: 'password', inputmode: 'numeric', required: true, maxlength: '32' })),
        this.#error,
        h('div', { class: 'modal-actions' },
          h('button', { type: 'button', class: 'btn-large', onclick: () => this.#closeForm(), dataset: { i18n: 'helper.cancel' } }, t('helper.cancel')),
          h('button', { type: 'submit', class: 'btn-primary btn-large', id: 'helper-sign-submit', dataset: { i18n: 'helper.submit' } }, t('helper.submit'))))));
    return form;
  }

  #buildConsent() {
    const t = (/** @type {string} */ k) => this.#i18n.t(k);
    return h('div', { class: 'modal-layer', id: 'guest-consent', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'consent-title', hidden: true },
      h('div', { class: 'card modal-card consent-card' },
        h('h2', { id: 'consent-title', dataset: { i18n: 'consent.title' } }, t('consent.title')),
        this.#consentText,
        h('p', { class: 'consent-question', dataset: { i18n: 'consent.question' } }, t('consent.question')),
        h('div', { class: 'modal-actions' },
          h('button', { type: 'button', class: 'btn-large btn-refuse', id: 'consent-refuse', onclick: () => this.#answer(false), dataset: { i18n: 'consent.refuse' } }, t('consent.refuse')),
          h('button', { type: 'button', class: 'btn-primary btn-large', id: 'consent-allow', onclick: () => this.#answer(true), dataset: { i18n: 'consent.allow' } }, t('consent.allow')))));
  }

  // openForm shows the sign-in over the screen shown now; a dialog belongs
  // to its screen, which the kiosk's layout keeps it within.
  #openForm() {
    $(`[data-screen="${document.body.dataset.view}"]`).append(this.#form);
    this.#error.textContent = '';
    this.#form.reset();
    this.#form.hidden = false;
    $('#helper-sign-username').focus();
  }

  #closeForm() {
    this.#form.hidden = true;
    this.#form.reset();
  }

  /** @param {Event} e */
  async #submit(e) {
    e.preventDefault();
    const data = new FormData(this.#form);
    try {
      const reply = await this.#sig.request('helper.sign_in', { username: String(data.get('username')), pin: String(data.get('pin')) });
      this.#closeForm();
      this.#setHelper(reply.data.name);
    } catch (err) {
      this.#error.textContent = err.message || this.#i18n.t('helper.failed');
      $('#helper-sign-pin').value = '';
    }
  }

  async #signOut() {
    try {
      await this.#sig.request('helper.sign_out');
    } catch (err) {
      console.warn('station: helper.sign_out', err);
    }
    this.#setHelper('');
  }

  /** @param {string} name */
  #setHelper(name) {
    this.#helper = name;
    this.#render();
  }

  /** @param {GuestStatus} d */
  #guestStatus(d) {
    if (d.state === 'waiting') {
      $('[data-screen="call"]').append(this.#consent);
      this.#asking = d;
      this.#render();
      this.#consent.hidden = false;
    } else if (this.#asking?.invitation_id === d.invitation_id) {
      this.#closeConsent();
    }
  }

  /** @param {boolean} allow */
  async #answer(allow) {
    const d = this.#asking;
    this.#closeConsent();
    if (!d) return;
    try {
      await this.#sig.request('guest.consent', { call_id: d.call_id, invitation_id: d.invitation_id, allow });
    } catch (err) {
      console.warn('station: guest.consent', err);
    }
  }

  #closeConsent() {
    this.#asking = null;
    this.#consent.hidden = true;
  }

  #render() {
    const t = (/** @type {string} */ k, /** @type {Record<string, string>} */ vars = {}) => this.#i18n.t(k, vars);
    this.#entry.hidden = Boolean(this.#helper);
    this.#entry.textContent = t('helper.button');
    this.#chip.hidden = !this.#helper;
    this.#chip.title = `${t('role.helper')} ${this.#helper}`;
    this.#chip.replaceChildren(t('helper.signed_in', { name: this.#helper }), ' ',
      h('button', { type: 'button', class: 'helper-sign-out', id: 'helper-sign-out', onclick: () => this.#signOut() }, t('helper.sign_out')));
    if (this.#asking) {
      const kind = this.#asking.kind === 'interpreter' ? 'interpreter' : 'family';
      this.#consentText.textContent = t(`consent.${kind}`, { name: this.#asking.name });
    }
  }
}
