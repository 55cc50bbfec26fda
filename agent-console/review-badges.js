// @ts-check
// Small marks the recording review shows in its list and on a session
// page (the recording's status, the resident's rating, a bad rating's
// follow-up, the island station), and the wording of codes.

import { h } from '/lib/dom.js';

/** @typedef {import('/lib/i18n.js').I18n} I18n */
/** @typedef {{score: number, comment?: string}} Rating */
/** @typedef {{call_id: string, status: string, overdue?: boolean}} RectMark */

// Scores up to this are bad ratings (差评), as the server counts them.
export const badRatingMax = 2;

/**
 * renderStatus shows a recording's status as a badge.
 * @param {HTMLElement} el
 * @param {string} status
 * @param {I18n} i18n
 */
export function renderStatus(el, status, i18n) {
  el.className = `badge status status-${status}`;
  el.textContent = i18n.t(`status.${status}`);
}

/**
 * ratingBadge shows a score as stars and a number; a bad one (1–2,
 * 差评) stands out, since each of those is followed up.
 * @param {Rating | null | undefined} r
 * @param {I18n} i18n
 * @returns {HTMLElement}
 */
export function ratingBadge(r, i18n) {
  if (!r) return h('span', { class: 'rating-none' }, i18n.t('rating.none'));
  const bad = r.score <= badRatingMax;
  return h(
    'span',
    { class: bad ? 'rating-score is-bad' : 'rating-score', dataset: { score: String(r.score) } },
    h('span', { class: 'stars', 'aria-hidden': 'true' }, '★'.repeat(r.score) + '☆'.repeat(5 - r.score)),
    ' ',
    i18n.t('rating.score', { n: r.score }),
    bad ? h('span', { class: 'badge badge-bad' }, i18n.t('rating.bad')) : null,
  );
}

/**
 * rectBadge marks a session whose bad rating is not fixed yet.
 * @param {RectMark | undefined} r
 * @param {I18n} i18n
 * @returns {HTMLElement | null}
 */
export function rectBadge(r, i18n) {
  if (!r) return null;
  const text = i18n.t(`rect.status.${r.status}`);
  const overdue = r.overdue ? ` · ${i18n.t('rect.overdue_short')}` : '';
  return h('span', { class: 'badge rect-marker', dataset: { rect: r.status } }, text + overdue);
}

/**
 * @param {I18n} i18n
 * @returns {HTMLElement}
 */
export function islandBadge(i18n) {
  return h('span', { class: 'badge badge-island' }, i18n.t('badge.island'));
}

/**
 * failureText explains a recording failure code.
 * @param {I18n} i18n
 * @param {string | undefined} code
 * @returns {string}
 */
export function failureText(i18n, code) {
  return code ? translated(i18n, `failure.${code}`, code) : '';
}

/**
 * translated is the text for key, or fallback when there is none.
 * @param {I18n} i18n
 * @param {string} key
 * @param {string} fallback
 * @returns {string}
 */
export function translated(i18n, key, fallback) {
  const text = i18n.t(key);
  return text === key ? fallback : text;
}
