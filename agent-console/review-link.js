// @ts-check
// The station's link in the review: the samples the media server kept during
// the call (round trip, loss, bitrate, good / fair / poor), as a row of
// coloured cells under the timeline and a line per sample a supervisor can
// click to jump to that moment of the recording. A frozen picture or a
// repeated question then has its cause next to it.

import { h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';

/**
 * @typedef {{at: string, party: string, rtt_ms: number, loss_pct: number, bitrate_kbps: number, quality: string}} LinkSample
 * @typedef {{at: (iso: string) => number, seek: (t: number) => void, lang: string}} ReviewHooks
 */

const strings = {
  zh: {
    title: '帮办点网络',
    empty: '本次通话没有网络记录。',
    good: '良好',
    fair: '一般',
    poor: '较差',
    summary: '较差 {poor} 次 · 一般 {fair} 次 · 良好 {good} 次（每 10 秒一次）',
    sample: '延迟 {rtt} 毫秒 · 丢包 {loss}% · {kbps} kbit/s',
    before: '录像前',
  },
  en: {
    title: 'Station link',
    empty: 'No link figures for this call.',
    good: 'good',
    fair: 'fair',
    poor: 'poor',
    summary: 'poor {poor} · fair {fair} · good {good} (one every 10 s)',
    sample: '{rtt} ms · {loss}% loss · {kbps} kbit/s',
    before: 'Before',
  },
};

/**
 * @param {string} lang
 * @param {keyof typeof strings.zh} key
 * @param {Record<string, string | number>} [vars]
 */
function t(lang, key, vars = {}) {
  const table = lang === 'en' ? strings.en : strings.zh;
  return table[key].replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/**
 * renderLinkSamples puts the station's link samples after the timeline list,
 * replacing what an earlier call of it put there.
 * @param {HTMLElement} after the timeline list
 * @param {LinkSample[]} samples
 * @param {ReviewHooks} hooks
 */
export function renderLinkSamples(after, samples, hooks) {
  after.parentElement?.querySelector('.review-link')?.remove();
  const { lang } = hooks;
  const counts = { good: 0, fair: 0, poor: 0 };
  for (const s of samples) if (s.quality in counts) counts[/** @type {'good'} */ (s.quality)]++;
  const section = h(
    'div',
    { class: 'review-link', id: 'review-link' },
    h('h3', {}, t(lang, 'title')),
    samples.length ? h('p', { class: 'review-link-summary' }, t(lang, 'summary', counts)) : h('p', { class: 'empty' }, t(lang, 'empty')),
    h('div', { class: 'review-link-strip', 'aria-hidden': 'true' }, ...samples.map((s) => h('span', { dataset: { quality: s.quality } }))),
    h('ol', { class: 'review-link-list' }, ...samples.map((s) => sampleItem(s, hooks))),
  );
  after.after(section);
}

/**
 * @param {LinkSample} s
 * @param {ReviewHooks} hooks
 */
function sampleItem(s, { at, seek, lang }) {
  const time = at(s.at);
  const quality = ['good', 'fair', 'poor'].includes(s.quality) ? /** @type {'good'} */ (s.quality) : 'fair';
  return h(
    'li',
    { dataset: { quality } },
    h(
      'button',
      { type: 'button', class: 'event', onclick: () => seek(Math.max(time, 0)) },
      h('span', { class: 'at' }, time < 0 ? t(lang, 'before') : formatDuration(time)),
      h('span', { class: 'what' }, t(lang, quality)),
      h('span', { class: 'detail' }, t(lang, 'sample', { rtt: s.rtt_ms || '–', loss: s.loss_pct.toFixed(1), kbps: s.bitrate_kbps })),
    ),
  );
}
