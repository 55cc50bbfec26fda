// @ts-check
// Statistics for supervisors and admins: pick a period (day, week, month
// or custom days, in the center's time zone), see the headline figures,
// outcome and rating bars, and one breakdown (station, item, category,
// agent) as a bar chart over its table; download the period as XLSX (one
// sheet per breakdown) or the shown breakdown as CSV.
//
// Charts are plain SVG built from the figures; the page shares the
// console's sign-in (same storage key) like the recording review.

import { $, h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { loginZh } from './login-strings.js';
import { SidePage } from './pageshell.js';

const messages = {
  zh: {
    'app.title': '云窗口 · 统计报表',
    'nav.console': '返回工作台',
    'loading': '正在加载…',
    'logout': '退出',
    'login.title': '主管登录',
    ...loginZh,
    'denied.title': '无权查看统计',
    'denied.text': '统计报表只对主管和管理员开放。请用主管账号登录。',
    'denied.switch': '换个账号登录',
    'stats.title': '统计报表',
    'stats.failed': '统计加载失败：{message}',
    'period.kind': '统计周期',
    'period.day': '日',
    'period.week': '周',
    'period.month': '月',
    'period.custom': '自定义',
    'period.date': '日期',
    'period.from': '开始日期',
    'period.to': '结束日期',
    'period.apply': '查询',
    'period.shown': '{from} 至 {to}',
    'download.xlsx': '下载 Excel',
    'download.csv': '下载 CSV（当前分组）',
    'download.failed': '下载失败：{message}',
    'download.done': '已下载 {name}',
    'tile.requests': '呼叫请求',
    'tile.answered': '接通',
    'tile.service_level': '服务水平（30 秒内接通）',
    'tile.abandon': '放弃率',
    'tile.wait': '平均等待',
    'tile.p90': 'P90 等待',
    'tile.handle': '平均处理时长',
    'tile.satisfaction': '满意率',
    'tile.bad': '差评已整改',
    'tile.bad_on_time': '{n} 件按时',
    'tile.overdue': '逾期办件',
    'tile.rated': '{n} 条评价',
    'chart.outcomes': '办理结果',
    'chart.ratings': '居民评价（1–5 分）',
    'chart.answered': '接通',
    'chart.abandoned': '放弃',
    'outcome.done': '当场办结',
    'outcome.forwarded': '受理转后台',
    'outcome.needs_materials': '需补正',
    'outcome.consultation': '仅咨询',
    'outcome.none': '未登记结果',
    'rating.1': '1 非常不满意',
    'rating.2': '2 不满意',
    'rating.3': '3 基本满意',
    'rating.4': '4 满意',
    'rating.5': '5 非常满意',
    'by.station': '按帮办点',
    'by.item': '按事项',
    'by.category': '按类别',
    'by.agent': '按坐席',
    'badge.island': '海岛',
    'figures.empty': '此期间没有通话。',
    'col.name': '名称',
    'col.requests': '请求',
    'col.answered': '接通',
    'col.abandoned': '放弃',
    'col.sl': '服务水平',
    'col.abandon': '放弃率',
    'col.wait': '平均等待',
    'col.p90': 'P90 等待',
    'col.handle': '平均处理',
    'col.done': '当场办结',
    'col.forwarded': '转后台',
    'col.needs': '需补正',
    'col.consult': '仅咨询',
    'col.none': '未登记结果',
    'col.ratings': '评价 1–5 分',
    'col.satisfaction': '满意率',
    'col.rated': '评价数',
    'col.bad': '差评',
    'col.followed': '已整改',
    'col.on_time': '按时整改',
    'col.overdue': '逾期办件',
    'bookings.gap': '预约与爽约：暂无数据。',
    'bookings.line': '预约 {booked}，到达 {arrived}，爽约 {no_shows}（爽约率 {pct}%），取消 {cancelled}。',
  },
  en: {
    'app.title': 'Cloud Window · Statistics',
    'nav.console': 'Back to the console',
    'loading': 'Loading…',
    'logout': 'Sign out',
    'login.title': 'Supervisor sign-in',
    'login.username': 'User name',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.failed': 'Wrong user name or password.',
    'login.rate_limited': 'Too many tries; please wait a moment.',
    'login.network': 'Cannot reach the server; check the network.',
    'denied.title': 'Statistics are not available to you',
    'denied.text': 'Only supervisors and admins see the statistics. Sign in with a supervisor account.',
    'denied.switch': 'Sign in as someone else',
    'stats.title': 'Statistics',
    'stats.failed': 'Could not load the statistics: {message}',
    'period.kind': 'Period',
    'period.day': 'Day',
    'period.week': 'Week',
    'period.month': 'Month',
    'period.custom': 'Custom',
    'period.date': 'Date',
    'period.from': 'From',
    'period.to': 'To',
    'period.apply': 'Show',
    'period.shown': '{from} to {to}',
    'download.xlsx': 'Download Excel',
    'download.csv': 'Download CSV (this breakdown)',
    'download.failed': 'Download failed: {message}',
    'download.done': 'Downloaded {name}',
    'tile.requests': 'Requests',
    'tile.answered': 'Answered',
    'tile.service_level': 'Service level (answered in 30 s)',
    'tile.abandon': 'Abandon rate',
    'tile.wait': 'Average wait',
    'tile.p90': 'P90 wait',
    'tile.handle': 'Average handle time',
    'tile.satisfaction': 'Satisfaction',
    'tile.bad': 'Bad ratings followed up',
    'tile.bad_on_time': '{n} on time',
    'tile.overdue': 'Overdue cases',
    'tile.rated': '{n} ratings',
    'chart.outcomes': 'Outcomes',
    'chart.ratings': 'Ratings (1–5)',
    'chart.answered': 'Answered',
    'chart.abandoned': 'Abandoned',
    'outcome.done': 'Done on the spot',
    'outcome.forwarded': 'Forwarded',
    'outcome.needs_materials': 'Needs materials',
    'outcome.consultation': 'Consultation',
    'outcome.none': 'No outcome yet',
    'rating.1': '1 very unsatisfied',
    'rating.2': '2 unsatisfied',
    'rating.3': '3 fair',
    'rating.4': '4 satisfied',
    'rating.5': '5 very satisfied',
    'by.station': 'By station',
    'by.item': 'By item',
    'by.category': 'By category',
    'by.agent': 'By agent',
    'badge.island': 'Island',
    'figures.empty': 'No calls in this period.',
    'col.name': 'Name',
    'col.requests': 'Requests',
    'col.answered': 'Answered',
    'col.abandoned': 'Abandoned',
    'col.sl': 'Service level',
    'col.abandon': 'Abandon rate',
    'col.wait': 'Avg wait',
    'col.p90': 'P90 wait',
    'col.handle': 'Avg handle',
    'col.done': 'Done',
    'col.forwarded': 'Forwarded',
    'col.needs': 'Needs materials',
    'col.consult': 'Consultation',
    'col.none': 'No outcome yet',
    'col.ratings': 'Ratings 1–5',
    'col.satisfaction': 'Satisfaction',
    'col.rated': 'Rated',
    'col.bad': 'Bad',
    'col.followed': 'Followed up',
    'col.on_time': 'On time',
    'col.overdue': 'Overdue cases',
    'bookings.gap': 'Bookings and no-shows: no figures.',
    'bookings.line': 'Bookings {booked}, arrived {arrived}, no-shows {no_shows} ({pct}%), cancelled {cancelled}.',
  },
};

const toastMs = 4000;
const chartRows = 15; // bars per breakdown chart; the table has them all

const pct = (v) => `${v.toFixed(1)}%`;
const secs = (v) => formatDuration(Math.round(v));

// The table's columns: message key and how to show a row's value.
/** @type {Array<[string, (f: any) => string | number]>} */
const columns = [
  ['col.requests', (f) => f.requests],
  ['col.answered', (f) => f.answered],
  ['col.abandoned', (f) => f.abandoned],
  ['col.sl', (f) => pct(f.service_level_pct)],
  ['col.abandon', (f) => pct(f.abandon_rate_pct)],
  ['col.wait', (f) => secs(f.avg_wait_s)],
  ['col.p90', (f) => secs(f.p90_wait_s)],
  ['col.handle', (f) => secs(f.avg_handle_s)],
  ['col.done', (f) => f.outcomes.done],
  ['col.forwarded', (f) => f.outcomes.forwarded],
  ['col.needs', (f) => f.outcomes.needs_materials],
  ['col.consult', (f) => f.outcomes.consultation],
  ['col.none', (f) => f.outcomes.none],
  ['col.rated', (f) => f.rated],
  ['col.ratings', (f) => f.ratings.join(' / ')],
  ['col.satisfaction', (f) => pct(f.satisfaction_pct)],
  ['col.bad', (f) => f.bad_ratings],
  ['col.followed', (f) => f.bad_followed_up],
  ['col.on_time', (f) => f.bad_followed_up_on_time],
  ['col.overdue', (f) => f.overdue_cases],
];

// barChart draws labelled horizontal bars; each row has one or two
// stacked values ({label, values: [a, b?]}), scaled to the largest total.
function barChart(rows, classes = ['bar', 'bar-2']) {
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const labelW = 190;
  const barW = 440;
  const rowH = 26;
  const svg = el('svg', { viewBox: `0 0 ${labelW + barW + 70} ${rows.length * rowH + 4}`, role: 'img' });
  const top = Math.max(1, ...rows.map((r) => r.values.reduce((a, b) => a + b, 0)));
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    const label = r.label.length > 14 ? `${r.label.slice(0, 13)}…` : r.label;
    svg.append(el('text', { x: labelW - 8, y: y + 17, 'text-anchor': 'end' }, label));
    let x = labelW;
    r.values.forEach((v, j) => {
      const w = (v / top) * barW;
      svg.append(el('rect', { x, y: y + 4, width: w, height: rowH - 8, rx: 3, class: classes[j] ?? 'bar' }));
      x += w;
    });
    svg.append(el('text', { x: x + 6, y: y + 17, class: 'value' }, r.values.join(' / ')));
  });
  return svg;
}

class StatsApp {
  #frame = new SidePage(messages, toastMs);
  i18n = this.#frame.i18n;
  screens = this.#frame.screens;
  session = this.#frame.session;
  shell = this.#frame.shell;
  report = null;
  by = 'station';

  start() {
    this.#wire();
    $('#p-date').value = today();
    $('#p-kind').value = 'month';
    this.#frame.start({ enter: () => this.#enter(), leave: () => (this.report = null) });
  }

  #wire() {
    this.i18n.addEventListener('change', () => this.render());
    $('#p-kind').addEventListener('change', () => this.#showPeriodFields());
    $('#period-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.load();
    });
    for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-by]'))) {
      b.addEventListener('click', () => {
        this.by = b.dataset.by;
        this.render();
      });
    }
    $('#dl-xlsx').addEventListener('click', () => this.download('xlsx'));
    $('#dl-csv').addEventListener('click', () => this.download('csv'));
  }

  #showPeriodFields() {
    const custom = $('#p-kind').value === 'custom';
    $('#p-date-label').hidden = custom;
    $('#p-from-label').hidden = !custom;
    $('#p-to-label').hidden = !custom;
    if (custom && !$('#p-from').value) {
      $('#p-from').value = $('#p-date').value.slice(0, 8) + '01';
      $('#p-to').value = $('#p-date').value;
    }
  }

  // query is the period as the API takes it.
  query() {
    const kind = $('#p-kind').value;
    const q = new URLSearchParams({ period: kind });
    if (kind === 'custom') {
      q.set('from', $('#p-from').value);
      q.set('to', $('#p-to').value);
    } else {
      q.set('date', $('#p-date').value);
    }
    return q;
  }

  async load() {
    $('#stats-error').textContent = '';
    $('#p-apply').disabled = true;
    try {
      this.report = await this.api(`/api/v1/stats?${this.query()}`);
      this.render();
    } catch (err) {
      $('#stats-error').textContent = this.i18n.t('stats.failed', { message: err.message });
    } finally {
      $('#p-apply').disabled = false;
    }
  }

  render() {
    const r = this.report;
    for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-by]'))) {
      b.setAttribute('aria-selected', String(b.dataset.by === this.by));
    }
    if (!r) return;
    $('#period-shown').textContent = this.i18n.t('period.shown', { from: r.period.from, to: r.period.to });
    this.#renderTiles(r.total);
    const b = r.bookings;
    $('#bookings-note').textContent = b.available
      ? this.i18n.t('bookings.line', { booked: b.booked, arrived: b.arrived, no_shows: b.no_shows, pct: b.no_show_pct, cancelled: b.cancelled })
      : this.i18n.t('bookings.gap');
    const o = r.total.outcomes;
    $('#chart-outcomes').replaceChildren(barChart(
      ['done', 'forwarded', 'needs_materials', 'consultation', 'none'].map((k) => ({ label: this.i18n.t(`outcome.${k}`), values: [o[k]] })),
    ));
    $('#chart-ratings').replaceChildren(barChart(
      r.total.ratings.map((n, i) => ({ label: this.i18n.t(`rating.${i + 1}`), values: [n] })),
      [null],
    ));
    this.#renderBreakdown(r[`by_${this.by}`] ?? []);
  }

  #renderTiles(f) {
    const { i18n } = this;
    const tile = (key, value, note) => h('div', { dataset: { tile: key } }, h('dt', {}, i18n.t(`tile.${key}`)), h('dd', {}, String(value), note ? h('small', {}, note) : null));
    $('#tiles').replaceChildren(
      tile('requests', f.requests),
      tile('answered', f.answered),
      tile('service_level', pct(f.service_level_pct)),
      tile('abandon', pct(f.abandon_rate_pct)),
      tile('wait', secs(f.avg_wait_s)),
      tile('p90', secs(f.p90_wait_s)),
      tile('handle', secs(f.avg_handle_s)),
      tile('satisfaction', pct(f.satisfaction_pct), i18n.t('tile.rated', { n: f.rated })),
      tile('bad', `${f.bad_followed_up} / ${f.bad_ratings}`, i18n.t('tile.bad_on_time', { n: f.bad_followed_up_on_time })),
      tile('overdue', f.overdue_cases),
    );
  }

  #renderBreakdown(rows) {
    const { i18n } = this;
    const legend = h('p', { class: 'legend' }, h('span', {}, h('i'), i18n.t('chart.answered')), h('span', {}, h('i', { class: 'l-2' }), i18n.t('chart.abandoned')));
    const chart = barChart(rows.slice(0, chartRows).map((f) => ({ label: f.island ? `${f.name}·${i18n.t('badge.island')}` : f.name, values: [f.answered, f.abandoned] })));
    $('#chart-breakdown').replaceChildren(legend, chart);
    $('#figures-head').replaceChildren(h('th', {}, i18n.t('col.name')), ...columns.map(([k]) => h('th', {}, i18n.t(k))));
    $('#figures-rows').replaceChildren(...rows.map((f) => h('tr', { dataset: { key: f.key } },
      h('td', {}, f.name, f.island ? h('span', { class: 'badge-island' }, i18n.t('badge.island')) : null),
      ...columns.map(([, v]) => h('td', {}, String(v(f)))),
    )));
    $('#figures-empty').hidden = rows.length > 0;
  }

  // download fetches an export with the token (a link cannot carry it)
  // and saves it under the server's file name.
  async download(format) {
    const q = this.query();
    q.set('format', format);
    q.set('lang', this.i18n.lang);
    if (format === 'csv') q.set('by', this.by);
    try {
      const res = await this.session.fetch(`/api/v1/stats/export?${q}`, { headers: { Accept: '*/*' } });
      if (!res.ok) {
        const e = await res.json().catch(() => ({}));
        throw new Error(e.error?.message || res.statusText);
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || `stats.${format}`;
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.shell.toast(this.i18n.t('download.done', { name }));
    } catch (err) {
      this.shell.toast(this.i18n.t('download.failed', { message: err.message }));
    }
  }

  /** @param {string} path */
  api(path) {
    return this.#frame.api(path);
  }

  async #enter() {
    this.screens.show('stats');
    await this.load();
  }

}

// today is the browser's date as YYYY-MM-DD (the center's, in practice).
function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const app = new StatsApp();
// Reachable from DevTools for support and from the browser tests.
/** @type {any} */ (window).cloudwindowStats = app;
app.start();
