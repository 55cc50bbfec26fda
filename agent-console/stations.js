// @ts-check
// The supervisor's station list (帮办点状态): every station, online or
// offline since when, the devices its kiosk misses and its app version,
// from the kiosks' heartbeats (GET /api/v1/stations/health).

import { $, h } from '/lib/dom.js';

const deviceKeys = ['camera', 'document_camera', 'microphone', 'printer'];

export class StationList {
  #session;
  #i18n;
  #stations = [];

  constructor({ session, i18n }) {
    this.#session = session;
    this.#i18n = i18n;
    i18n.addEventListener('change', () => this.#render());
  }

  get stations() {
    return this.#stations;
  }

  async refresh() {
    try {
      this.#stations = (await this.#session.api('/api/v1/stations/health')).stations ?? [];
      $('#stations-error').textContent = '';
    } catch (err) {
      $('#stations-error').textContent = this.#i18n.t('stations.failed', { message: err.message });
    }
    this.#render();
  }

  #render() {
    const rows = this.#stations.map((s) => this.#row(s));
    $('#station-rows').replaceChildren(...rows);
    const offline = this.#stations.filter((s) => !s.online).length;
    $('#stations-offline').textContent = this.#i18n.t('stations.offline_count', { n: offline });
    $('#stations-offline').hidden = offline === 0;
  }

  #row(s) {
    const t = (key, vars) => this.#i18n.t(key, vars);
    const missing = (s.missing ?? []).filter((d) => deviceKeys.includes(d));
    return h(
      'tr',
      { dataset: { station: s.username, online: String(s.online) } },
      h('td', {}, s.name, ' ', s.island ? h('span', { class: 'badge badge-island' }, t('badge.island')) : null),
      h('td', { class: s.online ? 'st-online' : 'st-offline' }, this.#state(s)),
      h('td', { class: missing.length ? 'st-missing' : '' }, missing.map((d) => t(`stations.device.${d}`)).join('、') || '—'),
      h('td', { class: 'num' }, s.version || '—'),
    );
  }

  #state(s) {
    if (s.online) return this.#i18n.t('stations.online');
    if (!s.offline_since) return this.#i18n.t('stations.never');
    return this.#i18n.t('stations.offline_since', { when: when(s.offline_since, this.#i18n.lang) });
  }
}

// when shows today's times as HH:MM and older ones with their date.
function when(iso, lang) {
  const d = new Date(iso);
  const locale = lang === 'en' ? 'en-GB' : 'zh-CN';
  const time = d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.toLocaleDateString(locale, { month: 'numeric', day: 'numeric' })} ${time}`;
}
