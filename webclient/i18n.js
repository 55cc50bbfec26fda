// @ts-check
// I18n: Simplified Chinese by default, English on request.
//
// Static text is marked in HTML with data-i18n="key" (text),
// data-i18n-placeholder, data-i18n-title and data-i18n-aria-label; dynamic
// text comes from t(key, {vars}). Catalog data carries both languages in
// name_zh/name_en fields, read with pick(obj, "name").

export const languages = Object.freeze(['zh', 'en']);

export class I18n extends EventTarget {
  #messages;
  #lang;

  // messages is {zh: {key: text}, en: {key: text}}.
  /**
   * @param {Record<string, Record<string, string>>} messages
   * @param {string} [lang]
   */
  constructor(messages, lang = 'zh') {
    super();
    this.#messages = messages;
    this.#lang = languages.includes(lang) ? lang : 'zh';
  }

  get lang() {
    return this.#lang;
  }

  /** @param {string} lang */
  setLang(lang) {
    if (!languages.includes(lang) || lang === this.#lang) return;
    this.#lang = lang;
    this.apply();
    this.dispatchEvent(new CustomEvent('change', { detail: lang }));
  }

  // t returns the text for key, with {name} placeholders filled from vars.
  // A key missing in English falls back to Chinese, then to the key itself,
  // so a gap shows up without breaking the screen.
  /**
   * @param {string} key
   * @param {Record<string, string | number>} [vars]
   * @returns {string}
   */
  t(key, vars = {}) {
    const text = this.#messages[this.#lang]?.[key] ?? this.#messages.zh?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }

  // pick reads a bilingual field: pick(item, "name") is item.name_zh or item.name_en.
  /**
   * @param {Record<string, any> | null | undefined} obj
   * @param {string} field
   * @returns {string}
   */
  pick(obj, field) {
    if (!obj) return '';
    return (this.#lang === 'en' && obj[`${field}_en`]) || obj[`${field}_zh`] || obj[`${field}_en`] || '';
  }

  // apply translates every marked element under root.
  /** @param {ParentNode} [root] */
  apply(root = document) {
    if (root === document) {
      document.documentElement.lang = this.#lang === 'zh' ? 'zh-CN' : 'en';
    }
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-i18n]'))) {
      el.textContent = this.t(el.dataset.i18n);
    }
    for (const attr of ['placeholder', 'title', 'aria-label']) {
      for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
        el.setAttribute(attr, this.t(el.getAttribute(`data-i18n-${attr}`)));
      }
    }
  }
}

// formatDuration renders seconds as m:ss, or h:mm:ss past an hour.
/**
 * @param {number} totalSeconds
 * @returns {string}
 */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
