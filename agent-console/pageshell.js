// @ts-check
// The frame of the console's side pages, the recording review and the
// statistics: they share the console's sign-in (same storage key) and
// language choice, and are open to supervisors and admins, telling anyone
// else why not.

import { Screens } from '/lib/dom.js';
import { I18n } from '/lib/i18n.js';
import { Session } from '/lib/session.js';
import { Shell, fillDeniedScreen, fillLoginScreen } from '/lib/shell.js';

export const langKey = 'cloudwindow.console.lang';
export const credentialsKey = 'cloudwindow.console.credentials';
// Roles that oversee the center: the supervisor view, recordings, statistics.
export const overseerRoles = ['supervisor', 'admin'];

/** @typedef {import('/lib/shell.js').Me} Me */

/**
 * @typedef {object} SidePageParts what a side page does on top of the frame
 * @property {(me: Me) => Promise<void> | void} enter shows the page to an overseer who signed in
 * @property {() => void} leave drops what the page holds, before a sign-out or a lost sign-in
 */

export class SidePage {
  /** @type {SidePageParts | null} */
  #parts = null;

  /**
   * @param {{zh: Record<string, string>, en: Record<string, string>}} messages
   * @param {number} toastMs how long the page's toasts stay
   */
  constructor(messages, toastMs) {
    this.i18n = new I18n(messages, Shell.savedLang(langKey));
    this.screens = new Screens();
    this.session = new Session({ storage: sessionStorage, key: credentialsKey });
    const allows = (/** @type {string} */ role) => overseerRoles.includes(role);
    this.shell = new Shell({ i18n: this.i18n, screens: this.screens, session: this.session, allows, denied: true, langKey, title: true, toastMs });
  }

  /**
   * start translates the page and signs in: with the kept sign-in at once,
   * else from the form.
   * @param {SidePageParts} parts
   */
  start(parts) {
    this.#parts = parts;
    fillLoginScreen();
    fillDeniedScreen();
    this.shell.onLogin(() => this.#login());
    this.shell.onLogout(() => this.#logout());
    this.shell.start();
    if (this.session.hasCredentials) this.#enter();
    else this.screens.show('login');
  }

  /**
   * api is an authorised request; a lost sign-in goes back to the form.
   * @param {string} path
   * @param {{method?: string, body?: any}} [opts]
   * @returns {Promise<any>}
   */
  async api(path, opts) {
    try {
      return await this.session.api(path, opts);
    } catch (err) {
      if (err.status === 401) this.#signedOut();
      throw err;
    }
  }

  // login: the page lets the role in or not once it knows who signed in.
  async #login() {
    if (await this.shell.signIn()) await this.#enter();
  }

  async #enter() {
    const me = await this.shell.whoAmI();
    if (me) await this.#parts.enter(me);
  }

  async #logout() {
    this.#parts.leave();
    await this.session.logout();
    this.#signedOut();
  }

  #signedOut() {
    this.#parts.leave();
    this.shell.signedOut();
  }
}
