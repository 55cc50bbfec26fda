// @ts-check
// The frame of the console's side pages, the recording review and the
// statistics: they share the console's sign-in (same storage key) and
// language choice, and are open to supervisors and admins, telling anyone
// else why not.

import { Screens } from '/lib/dom.js';
import { I18n } from '/lib/i18n.js';
import { Session } from '/lib/session.js';
import { Shell } from '/lib/shell.js';

export const langKey = 'cloudwindow.console.lang';
export const credentialsKey = 'cloudwindow.console.credentials';
// Roles that oversee the center: the supervisor view, recordings, statistics.
export const overseerRoles = ['supervisor', 'admin'];

/**
 * sidePage builds a side page's texts, screens, session and shell.
 * @param {{zh: Record<string, string>, en: Record<string, string>}} messages
 * @param {number} toastMs how long the page's toasts stay
 */
export function sidePage(messages, toastMs) {
  const i18n = new I18n(messages, Shell.savedLang(langKey));
  const screens = new Screens();
  const session = new Session({ storage: sessionStorage, key: credentialsKey });
  const allows = (/** @type {string} */ role) => overseerRoles.includes(role);
  const shell = new Shell({ i18n, screens, session, allows, denied: true, langKey, title: true, toastMs });
  return { i18n, screens, session, shell };
}
