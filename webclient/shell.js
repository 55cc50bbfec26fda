// @ts-check
// Shell: the frame every web app shares around its own screens. The
// language switch, the sign-in form, the connection banner and the toast
// work the same on the kiosk, the agent console, the recording review and
// the statistics; each app says which roles may use it and where the
// language choice is kept.
//
// The page provides the parts by id: [data-lang] buttons, #login-form with
// #login-username, #login-password, #login-submit and #login-error; and,
// where the app has them, #banner, #toast, #who, #logout and #denied-logout.

import { h } from './dom.js';
import { loginErrorKey } from './session.js';

/** @typedef {import('./i18n.js').I18n} I18n */
/** @typedef {import('./dom.js').Screens} Screens */
/** @typedef {import('./session.js').Session} Session */
/** @typedef {{token: string, refresh_token: string, role: string, expires_at: string | number}} Tokens */
/** @typedef {{username: string, display_name?: string, role: string}} Me */

/**
 * @typedef {object} ShellOptions
 * @property {I18n} i18n
 * @property {Screens} screens
 * @property {Session} session
 * @property {(role: string) => boolean} allows which roles may use the app
 * @property {boolean} [denied] the page has a "denied" screen that tells a
 *   user without such a role why they cannot go on (see whoAmI); without
 *   it the sign-in form refuses them
 * @property {string} [langKey] localStorage key keeping the chosen language;
 *   none: the app starts in Chinese every time (the kiosk)
 * @property {boolean} [title] whether the page title follows the language
 * @property {number} [toastMs] how long a toast stays
 */

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement & Partial<HTMLInputElement>} */ (document.getElementById(id));

export class Shell {
  #i18n;
  #screens;
  #session;
  #allows;
  #denied;
  #langKey;
  #title;
  #toastMs;
  #toastTimer = 0;

  /** @param {ShellOptions} opts */
  constructor({ i18n, screens, session, allows, denied = false, langKey = '', title = false, toastMs = 6000 }) {
    this.#i18n = i18n;
    this.#screens = screens;
    this.#session = session;
    this.#allows = allows;
    this.#denied = denied;
    this.#langKey = langKey;
    this.#title = title;
    this.#toastMs = toastMs;
  }

  /**
   * savedLang is the language the app starts in: the kept choice, or Chinese.
   * @param {string} [langKey]
   * @returns {string}
   */
  static savedLang(langKey) {
    return (langKey && localStorage.getItem(langKey)) || 'zh';
  }

  // start wires the language switch and translates the page.
  start() {
    for (const b of document.querySelectorAll('[data-lang]')) {
      const lang = /** @type {HTMLElement} */ (b).dataset.lang ?? '';
      b.addEventListener('click', () => this.#i18n.setLang(lang));
    }
    this.#i18n.addEventListener('change', () => {
      if (this.#langKey) localStorage.setItem(this.#langKey, this.#i18n.lang);
      this.#renderLang();
    });
    this.#i18n.apply();
    this.#renderLang();
  }

  /**
   * onLogin calls signIn when the sign-in form is sent.
   * @param {() => void} signIn
   */
  onLogin(signIn) {
    byId('login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      signIn();
    });
  }

  /**
   * signIn signs in with the form's user name and password. It shows why
   * it failed under the form, refuses roles the app does not serve (unless
   * the page has its "denied" screen for them), and gives the tokens only
   * when it went through.
   * @returns {Promise<Tokens | null>}
   */
  async signIn() {
    byId('login-submit').disabled = true;
    this.loginError('');
    try {
      const t = await this.#session.login(byId('login-username').value.trim(), byId('login-password').value);
      if (!this.#denied && !this.#allows(t.role)) {
        this.#session.forget();
        this.loginError('login.wrong_role');
        return null;
      }
      byId('login-password').value = '';
      return t;
    } catch (err) {
      this.loginError(loginErrorKey(err));
      return null;
    } finally {
      byId('login-submit').disabled = false;
    }
  }

  // refuse sends a session of the wrong kind (found out only once
  // connected) back to the sign-in form, saying why.
  refuse() {
    this.#session.forget();
    this.loginError('login.wrong_role');
    this.#screens.show('login');
  }

  /**
   * loginError shows the message under the sign-in form; '' clears it.
   * @param {string} key
   */
  loginError(key) {
    byId('login-error').textContent = key ? this.#i18n.t(key) : '';
  }

  /**
   * whoAmI asks the server who is signed in and shows the name and the
   * sign-out button. A user the app does not serve gets the "denied"
   * screen; a lost sign-in goes back to the form. Either way it gives null.
   * @returns {Promise<Me | null>}
   */
  async whoAmI() {
    this.#screens.show('loading');
    /** @type {Me} */
    let me;
    try {
      me = await this.#session.api('/api/v1/me');
    } catch {
      this.signedOut();
      return null;
    }
    byId('who').textContent = me.display_name || me.username;
    byId('logout').hidden = false;
    if (!this.#allows(me.role)) {
      this.#screens.show('denied');
      return null;
    }
    return me;
  }

  /**
   * onLogout calls logout from the sign-out button, and from the "sign in
   * as someone else" button of the denied screen where there is one.
   * @param {() => void} logout
   */
  onLogout(logout) {
    byId('logout').addEventListener('click', () => logout());
    byId('denied-logout')?.addEventListener('click', () => logout());
  }

  // signedOut forgets the session and shows the sign-in form.
  signedOut() {
    this.#session.forget();
    const who = byId('who');
    if (who) who.textContent = '';
    const logout = byId('logout');
    if (logout) logout.hidden = true;
    this.#screens.show('login');
  }

  /**
   * banner shows a lasting notice above the screens (the connection is
   * lost, the account signed in elsewhere); '' takes it away. It follows
   * the language.
   * @param {string} key
   * @param {boolean} [error]
   */
  banner(key, error = false) {
    const b = byId('banner');
    b.hidden = !key;
    b.dataset.key = key;
    b.textContent = key ? this.#i18n.t(key) : '';
    b.classList.toggle('is-error', error);
  }

  /**
   * toast shows a passing message for a few seconds.
   * @param {string} text
   */
  toast(text) {
    const t = byId('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(this.#toastTimer);
    this.#toastTimer = window.setTimeout(() => {
      t.hidden = true;
    }, this.#toastMs);
  }

  #renderLang() {
    for (const b of document.querySelectorAll('[data-lang]')) {
      b.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (b).dataset.lang === this.#i18n.lang));
    }
    const key = byId('banner')?.dataset.key;
    if (key) byId('banner').textContent = this.#i18n.t(key);
    if (this.#title) document.title = this.#i18n.t('app.title');
  }
}

// fillLoginScreen puts the desktop sign-in form (user name and password)
// into the page's empty login screen; the kiosk has a form of its own.
export function fillLoginScreen() {
  const field = (/** @type {string} */ key, /** @type {Record<string, string | boolean>} */ input) =>
    h('label', {}, h('span', { 'data-i18n': key }), h('input', input));
  document.querySelector('[data-screen="login"]').replaceChildren(
    h(
      'form',
      { id: 'login-form', class: 'card login-card' },
      h('h1', { 'data-i18n': 'login.title' }),
      field('login.username', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, maxlength: '64' }),
      field('login.password', {
        id: 'login-password',
        name: 'password',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
        maxlength: '128',
      }),
      h('p', { class: 'form-error', id: 'login-error', role: 'alert' }),
      h('button', { type: 'submit', class: 'btn-primary', id: 'login-submit', 'data-i18n': 'login.submit' }),
    ),
  );
}

// fillDeniedScreen puts into the page's empty "denied" screen why a user
// without the role cannot go on, and the way to sign in as someone else.
export function fillDeniedScreen() {
  document.querySelector('[data-screen="denied"]').replaceChildren(
    h(
      'div',
      { class: 'card login-card' },
      h('h1', { 'data-i18n': 'denied.title' }),
      h('p', { 'data-i18n': 'denied.text' }),
      h('button', { type: 'button', class: 'btn-primary', id: 'denied-logout', 'data-i18n': 'denied.switch' }),
    ),
  );
}
