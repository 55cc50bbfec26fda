// Recording review for supervisors and admins: a filtered, paged list of
// recorded calls, and a session page that plays both parties' videos (and
// the document camera) in step under one control, above the call's events
// and the supervisors' notes, with the legal hold.
//
// The page shares the console's sign-in (same storage key), so a supervisor
// who comes from the console in the same tab is already signed in. Videos
// play from play tickets: a <video> can't send the bearer token.
//
// Parts, top to bottom: texts, the synchronised player, the session page
// (with its bad-rating follow-up), the list, and the app that signs in and
// routes between the two screens.

import { $, h, Screens } from '/lib/dom.js';
import { I18n, formatDuration } from '/lib/i18n.js';
import { Session, signInFromForm } from '/lib/session.js';

const messages = {
  zh: {
    'app.title': '云窗口 · 录像回看',
    'nav.console': '返回工作台',
    'loading': '正在加载…',
    'logout': '退出',
    'login.title': '质检登录',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.failed': '用户名或密码不正确。',
    'login.rate_limited': '尝试次数过多，请稍后再试。',
    'login.network': '无法连接服务器，请检查网络。',
    'denied.title': '无权查看录像',
    'denied.text': '录像只对质检主管和管理员开放。请用主管账号登录。',
    'denied.switch': '换个账号登录',

    'list.title': '通话录像',
    'list.empty': '没有符合条件的录像。',
    'list.more': '加载更多',
    'list.failed': '录像列表加载失败：{message}',
    'filter.from': '开始日期',
    'filter.to': '结束日期',
    'filter.station': '帮办点',
    'filter.island': '海岛',
    'filter.island_only': '仅海岛帮办点',
    'filter.island_not': '非海岛',
    'filter.agent': '坐席',
    'filter.category': '类别',
    'filter.item': '事项',
    'filter.min_minutes': '最短（分钟）',
    'filter.max_minutes': '最长（分钟）',
    'filter.status': '录像状态',
    'filter.all': '全部',
    'filter.apply': '查询',
    'filter.reset': '重置',
    'col.started': '开始时间',
    'col.station': '帮办点',
    'col.agent': '坐席',
    'col.item': '事项',
    'col.duration': '时长',
    'col.status': '录像状态',
    'col.rating': '评价',
    'filter.rating': '居民评价',
    'filter.rating_bad': '差评（1–2 分）',
    'filter.rating_unrated': '未评价',
    'rating.score': '{n} 分',
    'rating.bad': '差评',
    'rating.none': '未评价',
    'rating.label': '居民评价：',
    'rating.no_comment': '未留言',

    'status.finished': '已完成',
    'status.repaired': '已修复',
    'status.failed': '录制失败',
    'status.recording': '录制中',
    'status.deleted': '已过期删除',
    'status_note.failed': '录制失败：{error}。已录下的部分仍可播放。',
    'failure.disk_full': '磁盘已满',
    'failure.permission_denied': '录像目录无写入权限',
    'failure.write_failed': '写入录像文件失败',
    'failure.muxer_error': '录像封装出错',
    'failure.repair_failed': '节点中断后无法修复',
    'status_note.repaired': '录像节点中途停止，录像已自动修复，结尾可能缺几秒。',
    'status_note.recording': '通话仍在录制中，只能看到目前为止的部分。',
    'status_note.deleted': '录像已按保存期限删除，只保留记录。',

    'badge.island': '海岛',
    'badge.green': '绿色通道',
    'badge.hold': '保全',
    'session.back': '← 返回列表',
    'session.meta': '坐席 {agent} · {item} · {start} · 时长 {duration}',
    'session.outcome': '办理结果：{outcome}',
    'session.not_found': '找不到这段录像。',
    'session.failed': '录像加载失败：{message}',
    'outcome.done': '当场办结',
    'outcome.forwarded': '受理转后台',
    'outcome.needs_materials': '需补正材料',
    'outcome.consultation': '仅咨询',

    'party.station': '居民（帮办点）',
    'party.agent': '坐席',
    'party.document': '高拍仪',
    'lane.empty': '此时段没有画面',
    'lane.download': '下载',
    'lane.missing': '没有这一路的录像',
    'lane.failed': '这一路录制失败：{error}',
    'lane.unplayable': '无法播放，请刷新页面重试。',

    'player.play': '播放',
    'player.pause': '暂停',
    'player.seek': '播放进度',
    'player.blocked': '浏览器阻止了自动播放，请再点一次“播放”。',

    'events.title': '事件时间轴',
    'events.empty': '没有事件记录。',
    'events.before': '录像前',
    'event.queued': '居民呼叫排队',
    'event.offered': '分配坐席振铃',
    'event.rejected': '坐席拒接',
    'event.ring_timeout': '振铃超时',
    'event.cancelled': '居民取消呼叫',
    'event.accepted': '坐席接通',
    'event.chat': '文字消息',
    'event.hangup': '挂断',
    'event.wrapup': '话后整理',
    'event.document.new': '高拍仪上传材料',
    'event.document.accepted': '材料已确认',
    'event.document.rescan_requested': '要求重新拍摄',
    'event.case.opened': '开立办件',
    'event.case.form_created': '推送确认表单',
    'event.case.signed': '居民签字确认',
    'event.case.material_attached': '材料归入办件',
    'event.case.other': '办件进展',
    'event.recording_failed': '录像中断',
    'event.recording_resumed': '录像恢复',
    'event.media_lost': '网络中断，音视频暂停',
    'event.media_restored': '网络恢复，音视频继续',
    'event.case.wrapped_up': '办件结论',
    'event.case.completed': '办件办结',
    'event.case.resident_updated': '更新居民信息',
    'event.rated': '居民评价',
    'actor.station_named': '居民（{name}）',
    'actor.agent_named': '坐席 {name}',
    'state.open': '办理中',
    'state.done': '已办结',
    'state.forwarded': '受理转后台',
    'state.needs_materials': '需补正',
    'state.consultation': '仅咨询',
    'detail.with_note': '{text}：{note}',
    'detail.due': '办结期限 {date}',
    'detail.missing': '缺少材料：{materials}',
    'actor.station': '居民',
    'actor.agent': '坐席',
    'actor.server': '系统',
    'reason.hangup': '主动挂断',
    'reason.disconnected': '网络断开未能恢复',
    'reason.shutdown': '服务器停机',

    'notes.title': '质检备注',
    'notes.placeholder': '写下发现的问题，备注会钉在当前播放时间',
    'notes.add': '在 {time} 处添加备注',
    'notes.empty': '还没有备注。',
    'notes.failed': '备注未保存：{message}',
    'hold.label': '法律保全',
    'hold.on': '{by} 于 {at} 设置保全：录像不会被自动删除。',
    'hold.off': '未保全：到期后按保存期限自动删除。',
    'hold.failed': '保全设置失败：{message}',

    'rect.title': '差评整改',
    'rect.placeholder': '写下整改措施；完成整改时必填',
    'rect.start': '开始整改',
    'rect.fix': '整改完成',
    'rect.status.open': '待整改',
    'rect.status.in_progress': '整改中',
    'rect.status.fixed': '已整改',
    'rect.step.open': '收到差评',
    'rect.step.in_progress': '开始整改',
    'rect.step.fixed': '整改完成',
    'rect.owner': '负责人：{name}',
    'rect.no_owner': '尚无负责人',
    'rect.due': '期限：{at}',
    'rect.overdue': '已超期（期限 {at}）',
    'rect.overdue_short': '超期',
    'rect.note_required': '请先写明整改措施，再点“整改完成”。',
    'rect.failed': '整改未保存：{message}',
    'rect.load_failed': '整改记录加载失败：{message}',
  },
  en: {
    'app.title': 'Cloud Window · Recordings',
    'nav.console': 'Back to console',
    'loading': 'Loading…',
    'logout': 'Sign out',
    'login.title': 'Supervisor sign-in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.failed': 'Wrong username or password.',
    'login.rate_limited': 'Too many attempts. Please try again later.',
    'login.network': 'Cannot reach the server. Check the network.',
    'denied.title': 'No access to recordings',
    'denied.text': 'Recordings are open to supervisors and admins only. Sign in with a supervisor account.',
    'denied.switch': 'Sign in as someone else',

    'list.title': 'Call recordings',
    'list.empty': 'No recordings match.',
    'list.more': 'Load more',
    'list.failed': 'Could not load recordings: {message}',
    'filter.from': 'From',
    'filter.to': 'To',
    'filter.station': 'Station',
    'filter.island': 'Island',
    'filter.island_only': 'Island stations only',
    'filter.island_not': 'Not on an island',
    'filter.agent': 'Agent',
    'filter.category': 'Category',
    'filter.item': 'Service item',
    'filter.min_minutes': 'Min (minutes)',
    'filter.max_minutes': 'Max (minutes)',
    'filter.status': 'Recording',
    'filter.all': 'All',
    'filter.apply': 'Search',
    'filter.reset': 'Reset',
    'col.started': 'Started',
    'col.station': 'Station',
    'col.agent': 'Agent',
    'col.item': 'Service item',
    'col.duration': 'Length',
    'col.status': 'Recording',
    'col.rating': 'Rating',
    'filter.rating': 'Resident rating',
    'filter.rating_bad': 'Bad (1–2)',
    'filter.rating_unrated': 'Not rated',
    'rating.score': '{n}/5',
    'rating.bad': 'Bad',
    'rating.none': 'Not rated',
    'rating.label': 'Resident rating: ',
    'rating.no_comment': 'no comment',

    'status.finished': 'Finished',
    'status.repaired': 'Repaired',
    'status.failed': 'Failed',
    'status.recording': 'Recording',
    'status.deleted': 'Deleted (expired)',
    'status_note.failed': 'Recording failed: {error}. What was recorded still plays.',
    'failure.disk_full': 'the disk was full',
    'failure.permission_denied': 'the recordings folder was not writable',
    'failure.write_failed': 'the recording file could not be written',
    'failure.muxer_error': 'the recording could not be packaged',
    'failure.repair_failed': 'it could not be repaired after the node stopped',
    'status_note.repaired': 'The recording node stopped during the call; the file was repaired and may miss its last seconds.',
    'status_note.recording': 'The call is still being recorded; you see it up to now.',
    'status_note.deleted': 'The recording was deleted when its retention ran out; only its record is kept.',

    'badge.island': 'Island',
    'badge.green': 'Green channel',
    'badge.hold': 'Hold',
    'session.back': '← Back to list',
    'session.meta': 'Agent {agent} · {item} · {start} · {duration}',
    'session.outcome': 'Outcome: {outcome}',
    'session.not_found': 'This recording does not exist.',
    'session.failed': 'Could not load the recording: {message}',
    'outcome.done': 'Done on the spot',
    'outcome.forwarded': 'Forwarded to back office',
    'outcome.needs_materials': 'Needs more materials',
    'outcome.consultation': 'Consultation only',

    'party.station': 'Resident (station)',
    'party.agent': 'Agent',
    'party.document': 'Document camera',
    'lane.empty': 'No picture at this time',
    'lane.download': 'Download',
    'lane.missing': 'Not recorded',
    'lane.failed': 'This recording failed: {error}',
    'lane.unplayable': 'Cannot play; reload the page to retry.',

    'player.play': 'Play',
    'player.pause': 'Pause',
    'player.seek': 'Position',
    'player.blocked': 'The browser blocked playback; press Play again.',

    'events.title': 'Timeline',
    'events.empty': 'No events recorded.',
    'events.before': 'Before',
    'event.queued': 'Resident queued',
    'event.offered': 'Offered to agent',
    'event.rejected': 'Agent declined',
    'event.ring_timeout': 'Ring timed out',
    'event.cancelled': 'Resident cancelled',
    'event.accepted': 'Agent answered',
    'event.chat': 'Chat message',
    'event.hangup': 'Hung up',
    'event.wrapup': 'Wrap-up',
    'event.document.new': 'Document scanned',
    'event.document.accepted': 'Document accepted',
    'event.document.rescan_requested': 'Rescan requested',
    'event.case.opened': 'Case opened',
    'event.recording_failed': 'Recording stopped',
    'event.recording_resumed': 'Recording resumed',
    'event.media_lost': 'Link lost, media paused',
    'event.media_restored': 'Link back, media resumed',
    'event.case.form_created': 'Form pushed',
    'event.case.signed': 'Form signed',
    'event.case.material_attached': 'Material attached',
    'event.case.other': 'Case update',
    'event.case.wrapped_up': 'Case outcome',
    'event.case.completed': 'Case completed',
    'event.case.resident_updated': 'Resident details updated',
    'event.rated': 'Resident rated',
    'actor.station_named': 'Resident ({name})',
    'actor.agent_named': 'Agent {name}',
    'state.open': 'in progress',
    'state.done': 'done',
    'state.forwarded': 'forwarded to back office',
    'state.needs_materials': 'needs materials',
    'state.consultation': 'consultation only',
    'detail.with_note': '{text}: {note}',
    'detail.due': 'due {date}',
    'detail.missing': 'missing: {materials}',
    'actor.station': 'Resident',
    'actor.agent': 'Agent',
    'actor.server': 'System',
    'reason.hangup': 'hung up',
    'reason.disconnected': 'connection lost for good',
    'reason.shutdown': 'server shut down',

    'notes.title': 'Supervisor notes',
    'notes.placeholder': 'Write what you found; the note is pinned to the current time',
    'notes.add': 'Add note at {time}',
    'notes.empty': 'No notes yet.',
    'notes.failed': 'Note not saved: {message}',
    'hold.label': 'Legal hold',
    'hold.on': 'Held by {by} since {at}: the recording is never deleted automatically.',
    'hold.off': 'Not held: deleted automatically when retention runs out.',
    'hold.failed': 'Could not change the hold: {message}',

    'rect.title': 'Bad-rating follow-up',
    'rect.placeholder': 'What was done about it; required to close',
    'rect.start': 'Start follow-up',
    'rect.fix': 'Mark fixed',
    'rect.status.open': 'To follow up',
    'rect.status.in_progress': 'In progress',
    'rect.status.fixed': 'Fixed',
    'rect.step.open': 'Bad rating received',
    'rect.step.in_progress': 'Follow-up started',
    'rect.step.fixed': 'Fixed',
    'rect.owner': 'Owner: {name}',
    'rect.no_owner': 'No owner yet',
    'rect.due': 'Due {at}',
    'rect.overdue': 'Overdue (due {at})',
    'rect.overdue_short': 'overdue',
    'rect.note_required': 'Write what was done before marking it fixed.',
    'rect.failed': 'Follow-up not saved: {message}',
    'rect.load_failed': 'Could not load the follow-up: {message}',
  },
};

const langKey = 'cloudwindow.console.lang'; // shared with the console
const credentialsKey = 'cloudwindow.console.credentials';
const reviewRoles = ['supervisor', 'admin'];
// Scores up to this are bad ratings (差评), as the server counts them.
const badRatingMax = 2;
const pageSize = 30;
const toastMs = 6000;

// ---------------------------------------------------------------------------
// Synchronised player

// maxDrift is how far a video may stray from the master clock before it is
// put back; below it, a seek would cost more than it fixes.
const maxDrift = 0.1;
const tickMs = 50;
// A lane this close to its end has no more data to wait for.
const endSlack = 0.3;
// A ticket that failed is renewed at most this often, so a file that can't
// play doesn't loop.
const renewEveryMs = 10_000;

// Lane is one party's video on the session's time line. A party whose
// camera joined late has several parts (files), each at its own offset.
class Lane extends EventTarget {
  #renewedAt = 0;
  #stop = new AbortController();

  // parts: [{file, offset, duration}] in seconds from the session's start;
  // ticket(file) resolves to a playable URL. The <video> outlives the lane:
  // the page reuses it for the next session.
  constructor({ el, parts, ticket }) {
    super();
    this.el = el;
    this.video = $('video', el);
    this.parts = parts;
    this.part = null;
    this.broken = false; // can't play: the others go on without it
    this.ticket = ticket;
    this.video.addEventListener('error', () => this.#failed(), { signal: this.#stop.signal });
  }

  get party() {
    return this.el.dataset.party;
  }

  // partAt is the part playing at t: the last one started by then.
  partAt(t) {
    let found = this.parts[0] ?? null;
    for (const p of this.parts) {
      if (p.offset <= t) found = p;
    }
    return found;
  }

  #length(p) {
    const d = this.part === p ? this.video.duration : NaN;
    return Number.isFinite(d) && d > 0 ? d : p.duration;
  }

  // local is t on the clock of the part that plays then, or null when the
  // lane shows nothing at t.
  local(t) {
    const p = this.partAt(t);
    if (!p) return null;
    const x = t - p.offset;
    return x >= 0 && x < this.#length(p) ? x : null;
  }

  // leads reports whether this lane can drive the master clock at t: it
  // plays there and its position is settled.
  leads(t) {
    const v = this.video;
    return this.local(t) !== null && this.part === this.partAt(t) && v.readyState >= 2 && !v.seeking && !v.ended;
  }

  // time is the lane's position on the session clock.
  time() {
    return this.part.offset + this.video.currentTime;
  }

  // stalled reports whether the lane is waiting for data it needs at t.
  stalled(t) {
    const x = this.local(t);
    if (x === null || this.broken || this.part !== this.partAt(t)) return false;
    const v = this.video;
    const nearEnd = x > this.#length(this.part) - endSlack;
    return v.seeking || (v.readyState < 3 && !v.ended && !nearEnd);
  }

  // follow puts the video where the master clock is: the right part, the
  // right position (within maxDrift), playing or paused.
  follow(t, playing, force) {
    const p = this.partAt(t);
    if (p && p !== this.part) this.#use(p);
    const x = this.local(t);
    this.el.dataset.active = String(x !== null);
    const v = this.video;
    if (x === null) {
      if (!v.paused) v.pause();
      return;
    }
    if (v.readyState === 0) return; // the next tick places it once loaded
    if ((force || Math.abs(v.currentTime - x) > maxDrift) && !v.seeking) {
      v.currentTime = x;
    }
    if (playing && v.paused && !v.ended) {
      v.play().catch((err) => this.#blocked(err));
    } else if (!playing && !v.paused) {
      v.pause();
    }
  }

  async #use(p) {
    this.part = p;
    this.el.dataset.offset = String(p.offset);
    this.video.dataset.offset = String(p.offset);
    try {
      const url = await this.ticket(p.file);
      if (this.part === p && !this.#stop.signal.aborted) {
        this.video.src = url;
        this.broken = false;
      }
    } catch (err) {
      if (!this.#stop.signal.aborted) this.#problem(err.message);
    }
  }

  #problem(message) {
    this.broken = true;
    this.dispatchEvent(new CustomEvent('problem', { detail: message }));
  }

  // #failed renews the ticket of a file that stopped loading: tickets
  // expire while a page stays open.
  #failed() {
    if (!this.part || Date.now() - this.#renewedAt < renewEveryMs) {
      this.#problem('unplayable');
      return;
    }
    this.#renewedAt = Date.now();
    const p = this.part;
    this.part = null;
    this.#use(p);
  }

  #blocked(err) {
    if (err.name === 'NotAllowedError') this.dispatchEvent(new CustomEvent('blocked'));
  }

  stop() {
    this.#stop.abort();
    this.part = null;
    this.video.pause();
    this.video.removeAttribute('src');
    this.video.load();
  }
}

// SyncPlayer drives every lane from one master clock. While a lane plays,
// the clock is the first playing lane's own position (so that one never
// needs correcting); in gaps it runs on the wall clock. Every other lane
// follows it, and when any lane waits for data all are held, so they
// stay in step instead of drifting apart.
class SyncPlayer extends EventTarget {
  #lanes = [];
  #duration = 0;
  #playing = false;
  #anchorT = 0; // master time, s, at #anchorWall
  #anchorWall = 0;
  #timer = 0;

  load(lanes, duration) {
    this.stop();
    this.#lanes = lanes;
    this.#duration = duration;
    this.#anchor(0);
    this.#timer = setInterval(() => this.#tick(false), tickMs);
    this.#tick(true);
  }

  get duration() {
    return this.#duration;
  }

  get playing() {
    return this.#playing;
  }

  get time() {
    return this.#anchorT;
  }

  play() {
    if (this.#anchorT >= this.#duration) this.seek(0);
    this.#playing = true;
    this.#anchor(this.#anchorT);
    this.#tick(false);
  }

  pause() {
    this.#playing = false;
    this.#tick(false);
  }

  seek(t) {
    this.#anchor(Math.min(Math.max(0, t), this.#duration));
    this.#tick(true);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = 0;
    this.#playing = false;
    for (const lane of this.#lanes) lane.stop();
    this.#lanes = [];
  }

  #anchor(t) {
    this.#anchorT = t;
    this.#anchorWall = performance.now();
  }

  // #clock is the master time while playing.
  #clock() {
    const lead = this.#lanes.find((l) => l.leads(this.#anchorT));
    if (lead && !lead.video.paused) return lead.time();
    if (lead) return this.#anchorT; // about to start
    return this.#anchorT + (performance.now() - this.#anchorWall) / 1000;
  }

  // #tick moves every lane to the master time. A seek (force) sets the
  // time; while any lane waits for data, the time stands still.
  #tick(force) {
    const held = this.#playing && this.#lanes.some((l) => l.stalled(this.#anchorT));
    let t = force || held || !this.#playing ? this.#anchorT : this.#clock();
    if (t >= this.#duration && this.#playing) {
      t = this.#duration;
      this.#playing = false;
    }
    for (const lane of this.#lanes) lane.follow(t, this.#playing && !held, force);
    this.#anchor(t);
    this.dispatchEvent(new CustomEvent('time', { detail: t }));
  }
}

// ---------------------------------------------------------------------------
// Session page

class SessionPage extends EventTarget {
  #app;
  #player = new SyncPlayer();
  #detail = null;
  #lanes = new Map(); // party → Lane, for the parties that have files
  #zero = 0; // ms, the session clock's origin
  #dragging = false;
  #opening = 0; // counts opens, so a slow answer for a page left behind is dropped

  constructor(app) {
    super();
    this.#app = app;
    this.#player.addEventListener('time', (e) => this.#renderTime(e.detail));
    $('#play').addEventListener('click', () => this.#togglePlay());
    const seek = $('#seek');
    seek.addEventListener('pointerdown', () => (this.#dragging = true));
    seek.addEventListener('pointerup', () => (this.#dragging = false));
    seek.addEventListener('change', () => (this.#dragging = false));
    seek.addEventListener('input', () => this.#player.seek(Number(seek.value)));
    $('#note-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#addNote();
    });
    $('#hold-toggle').addEventListener('change', (e) => this.#setHold(e.target.checked));
    this.rectification = new RectificationPanel(app);
  }

  get player() {
    return this.#player;
  }

  async open(callID) {
    this.close();
    const opening = this.#opening;
    this.#app.screens.show('loading');
    let detail;
    try {
      detail = await this.#app.api(`/api/v1/recordings/${encodeURIComponent(callID)}`);
    } catch (err) {
      if (opening !== this.#opening) return;
      const key = err.status === 404 ? 'session.not_found' : 'session.failed';
      this.#app.toast(this.#app.i18n.t(key, { message: err.message }));
      location.hash = '#/';
      return;
    }
    if (opening !== this.#opening) return;
    this.#detail = detail;
    this.#setUp();
    this.#app.screens.show('session');
  }

  close() {
    this.#opening++;
    this.#player.stop();
    this.#lanes.clear();
    this.#detail = null;
    this.rectification.clear();
  }

  #setUp() {
    const d = this.#detail;
    const starts = d.files.map((f) => Date.parse(f.started_at));
    this.#zero = Math.min(Date.parse(d.started_at), ...starts);
    const lanes = this.#makeLanes(d);
    const ends = d.files.map((f) => (Date.parse(f.started_at) - this.#zero + f.duration_ms) / 1000);
    const duration = Math.max(d.duration_ms / 1000, ...ends, 0);
    $('#seek').max = String(duration);
    this.#player.load(lanes, duration);
    this.render();
    this.rectification.load(d);
  }

  // #makeLanes gives each party's video its files; the document camera's
  // is shown only when there is one.
  #makeLanes(d) {
    this.#lanes.clear();
    for (const el of document.querySelectorAll('.lane')) {
      const files = playable(d.files, el.dataset.party);
      el.hidden = el.dataset.party === 'station-document' && files.length === 0;
      el.dataset.active = 'false';
      const download = $('.lane-download', el);
      download.hidden = files.length === 0;
      if (files.length === 0) continue;
      const parts = files.map((f) => ({
        file: f,
        offset: (Date.parse(f.started_at) - this.#zero) / 1000,
        duration: f.duration_ms / 1000,
      }));
      const lane = new Lane({ el, parts, ticket: (f) => this.#ticket(f) });
      lane.addEventListener('problem', () => this.#renderLaneProblem(el));
      lane.addEventListener('blocked', () => this.#app.toast(this.#app.i18n.t('player.blocked')));
      download.onclick = (e) => this.#download(e, lane);
      this.#lanes.set(el.dataset.party, lane);
    }
    return [...this.#lanes.values()];
  }

  async #ticket(file) {
    const t = await this.#app.api(
      `/api/v1/recordings/${encodeURIComponent(file.call_id)}/files/${encodeURIComponent(file.id)}/ticket`,
      { method: 'POST' },
    );
    return t.url;
  }

  // #download fetches a fresh ticket, so the link works however long the
  // page was open; the server audits it as a download.
  async #download(e, lane) {
    e.preventDefault();
    const part = lane.part ?? lane.parts[0];
    try {
      const url = await this.#ticket(part.file);
      location.assign(`${url}&download=1`);
    } catch (err) {
      this.#app.toast(this.#app.i18n.t('session.failed', { message: err.message }));
    }
  }

  #togglePlay() {
    if (this.#player.playing) this.#player.pause();
    else this.#player.play();
  }

  // render draws everything but the moving parts; called again on a
  // language change.
  render() {
    const d = this.#detail;
    if (!d) return;
    const { i18n } = this.#app;
    $('#s-station').textContent = d.station_name;
    $('#s-island').hidden = !d.island;
    $('#s-green').hidden = !d.call?.green;
    const meta = i18n.t('session.meta', {
      agent: d.agent_name,
      item: this.#app.itemName(d.item_id, d.item_name),
      start: this.#app.formatDate(d.started_at),
      duration: formatDuration(this.#player.duration),
    });
    const outcome = d.call?.outcome ? ` · ${i18n.t('session.outcome', { outcome: i18n.t(`outcome.${d.call.outcome}`) })}` : '';
    $('#s-meta').textContent = meta + outcome;
    this.#renderRating();
    renderStatus($('#s-status'), d.status, i18n);
    const note = $('#s-status-note');
    note.hidden = d.status === 'finished';
    note.dataset.status = d.status;
    note.textContent = note.hidden ? '' : i18n.t(`status_note.${d.status}`, { error: failureText(i18n, d.error) });
    this.#renderHold();
    this.rectification.render();
    this.#renderEvents();
    this.#renderNotes();
    this.#renderMarks();
    for (const el of document.querySelectorAll('.lane')) this.#renderLaneProblem(el);
    this.#renderTime(this.#player.time);
  }

  // #renderRating shows the resident's score and, in their words, why.
  #renderRating() {
    const { i18n } = this.#app;
    const r = this.#detail.rating;
    const el = $('#s-rating');
    el.classList.toggle('is-bad', Boolean(r) && r.score <= badRatingMax);
    let comment = null;
    if (r?.comment) comment = h('q', { class: 'rating-comment' }, r.comment);
    else if (r) comment = h('span', { class: 'rating-comment is-empty' }, i18n.t('rating.no_comment'));
    el.replaceChildren(...[i18n.t('rating.label'), ratingBadge(r, i18n), comment].filter(Boolean));
  }

  // #renderLaneProblem says plainly when a party's video is missing,
  // failed while recording, or can't be played.
  #renderLaneProblem(el) {
    if (!this.#detail) return;
    const { i18n } = this.#app;
    const files = playable(this.#detail.files, el.dataset.party);
    const failed = files.find((f) => f.status === 'failed');
    let text = '';
    if (files.length === 0) text = i18n.t('lane.missing');
    else if (this.#lanes.get(el.dataset.party)?.broken) text = i18n.t('lane.unplayable');
    else if (failed) text = i18n.t('lane.failed', { error: failureText(i18n, failed.error) });
    $('.lane-problem', el).textContent = text;
  }

  #renderTime(t) {
    const { i18n } = this.#app;
    const playing = this.#player.playing;
    $('#play').setAttribute('aria-pressed', String(playing));
    $('#clock').textContent = formatDuration(t);
    $('#total').textContent = formatDuration(this.#player.duration);
    if (!this.#dragging) $('#seek').value = String(t);
    $('#note-add').textContent = i18n.t('notes.add', { time: formatDuration(t) });
  }

  // #at is an event's time on the session clock, in seconds.
  #at(iso) {
    return (Date.parse(iso) - this.#zero) / 1000;
  }

  #renderEvents() {
    const { i18n } = this.#app;
    const list = $('#events');
    const events = inTimeOrder(this.#detail.events);
    const call = this.#detail.call ?? {};
    list.replaceChildren(
      ...events.map((e) => {
        const at = this.#at(e.at);
        const detail = eventDetail(e, i18n);
        const when = at < 0 ? i18n.t('events.before') : formatDuration(at);
        return h(
          'li',
          { dataset: { type: e.type } },
          h(
            'button',
            { type: 'button', class: 'event', onclick: () => this.#player.seek(at) },
            h('span', { class: 'at' }, when),
            h('span', { class: 'what' }, eventLabel(e.type, i18n)),
            h('span', { class: 'who' }, actorLabel(e, call, i18n)),
            detail ? h('span', { class: 'detail' }, detail) : null,
          ),
        );
      }),
    );
    if (events.length === 0) list.append(h('li', { class: 'empty' }, i18n.t('events.empty')));
  }

  #renderNotes() {
    const { i18n } = this.#app;
    const list = $('#notes');
    const notes = this.#detail.notes;
    list.replaceChildren(
      ...notes.map((n) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'note', onclick: () => this.#player.seek(n.at_ms / 1000) },
            h('span', { class: 'at' }, formatDuration(n.at_ms / 1000)),
            h('span', { class: 'text' }, n.text),
            h('span', { class: 'who' }, `${n.author_name} · ${this.#app.formatDate(n.created_at)}`),
          ),
        ),
      ),
    );
    if (notes.length === 0) list.append(h('li', { class: 'empty' }, i18n.t('notes.empty')));
  }

  // #renderMarks pins events and notes on the seek bar.
  #renderMarks() {
    const d = this.#detail;
    const duration = this.#player.duration || 1;
    const pos = (t) => `${(Math.min(Math.max(t, 0), duration) / duration) * 100}%`;
    $('#marks').replaceChildren(
      ...d.events.map((e) => h('span', { class: 'mark mark-event', style: `left: ${pos(this.#at(e.at))}` })),
      ...d.notes.map((n) => h('span', { class: 'mark mark-note', style: `left: ${pos(n.at_ms / 1000)}` })),
    );
  }

  #renderHold() {
    const d = this.#detail;
    const { i18n } = this.#app;
    const toggle = $('#hold-toggle');
    toggle.checked = d.legal_hold;
    toggle.disabled = d.status === 'deleted';
    $('#hold-info').textContent = d.legal_hold
      ? i18n.t('hold.on', { by: d.hold_by, at: this.#app.formatDate(d.hold_at) })
      : i18n.t('hold.off');
  }

  // #addNote pins the note at the current time (within the recording,
  // which is what the server accepts).
  async #addNote() {
    const d = this.#detail;
    const text = $('#note-text').value.trim();
    if (!d || !text) return;
    const maxMs = d.duration_ms > 0 ? d.duration_ms : Infinity;
    const atMs = Math.min(Math.round(this.#player.time * 1000), maxMs);
    $('#note-add').disabled = true;
    $('#note-error').textContent = '';
    try {
      const n = await this.#app.api(`/api/v1/recordings/${encodeURIComponent(d.call_id)}/notes`, {
        method: 'POST',
        body: { at_ms: atMs, text },
      });
      d.notes = [...d.notes, n].sort((a, b) => a.at_ms - b.at_ms);
      if (d !== this.#detail) return;
      $('#note-text').value = '';
      this.#renderNotes();
      this.#renderMarks();
    } catch (err) {
      $('#note-error').textContent = this.#app.i18n.t('notes.failed', { message: err.message });
    } finally {
      $('#note-add').disabled = false;
    }
  }

  async #setHold(hold) {
    const d = this.#detail;
    if (!d) return;
    $('#hold-toggle').disabled = true;
    try {
      const s = await this.#app.api(`/api/v1/recordings/${encodeURIComponent(d.call_id)}/hold`, {
        method: 'PUT',
        body: { hold },
      });
      Object.assign(d, s);
      this.dispatchEvent(new CustomEvent('changed', { detail: s }));
    } catch (err) {
      this.#app.toast(this.#app.i18n.t('hold.failed', { message: err.message }));
    } finally {
      if (d === this.#detail) this.#renderHold();
    }
  }
}

// playable are a party's files that still exist, in order.
function playable(files, party) {
  return files.filter((f) => f.party === party && f.status !== 'deleted').sort((a, b) => a.part - b.part);
}

function renderStatus(el, status, i18n) {
  el.className = `badge status status-${status}`;
  el.textContent = i18n.t(`status.${status}`);
}

function eventLabel(type, i18n) {
  return translated(i18n, `event.${type}`, type.startsWith('case.') ? i18n.t('event.case.other') : type);
}

// stepOrder breaks ties between events of the same millisecond in the order
// a call goes through them (the queue's offer is written as it enqueues).
const stepOrder = { queued: 0, offered: 1, ring_timeout: 2, rejected: 2, cancelled: 3, accepted: 3, hangup: 8, wrapup: 9, rated: 10 };

// inTimeOrder sorts events by time, so those before the recording come
// first and the call's steps read in the order they happened.
function inTimeOrder(events) {
  const step = (e) => stepOrder[e.type] ?? 5;
  return events
    .map((e, i) => ({ e, i, t: Date.parse(e.at) }))
    .sort((a, b) => a.t - b.t || step(a.e) - step(b.e) || a.i - b.i)
    .map((x) => x.e);
}

// stationSteps are the events a resident's kiosk makes; the others are the
// agents' (and the case's, which agents move on).
const stationSteps = new Set(['queued', 'cancelled', 'rated', 'case.signed']);

// roleOf says which side an event's actor is: chat and hang-up carry the
// side itself ("station", "agent", "server").
function roleOf(e) {
  if (e.type === 'chat' || e.type === 'hangup') return ['station', 'agent', 'server'].includes(e.actor) ? e.actor : '';
  if (stationSteps.has(e.type) || e.type.startsWith('document.')) return 'station';
  return 'agent';
}

// actorLabel names who did it by role and name: 居民（东海社区远程帮办点）,
// 坐席 王芳. A name that is a side or an id is never shown as such.
function actorLabel(e, call, i18n) {
  const role = roleOf(e);
  const own = isPersonName(e.actor) ? e.actor : '';
  if (role === 'station') {
    const name = call.station_name || own;
    return name ? i18n.t('actor.station_named', { name }) : i18n.t('actor.station');
  }
  if (role === 'agent') {
    // Offers, declines and timeouts may be another agent's than the one who answered.
    const name = own || (e.type === 'chat' || e.type === 'hangup' || e.type === 'accepted' ? call.agent_name : '');
    return name ? i18n.t('actor.agent_named', { name }) : i18n.t('actor.agent');
  }
  if (role === 'server') return i18n.t('actor.server');
  return own;
}

const idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isPersonName(s) {
  return Boolean(s) && !idPattern.test(s) && !['station', 'agent', 'server'].includes(s);
}

// eventDetail translates the details that are codes: a wrap-up's outcome,
// a hang-up's reason, a case's move from one state to another. Ids (a
// form's, a document's) are left out: nobody typed them.
function eventDetail(e, i18n) {
  const d = e.detail ?? '';
  if (!d || idPattern.test(d)) return '';
  if (e.type === 'wrapup') return translated(i18n, `outcome.${d}`, d);
  if (e.type === 'hangup') return translated(i18n, `reason.${d}`, d);
  if (e.type === 'recording_failed') return failureText(i18n, d);
  const move = /^([a-z_]+) → ([a-z_]+)(?:: (.*))?$/s.exec(d);
  if (e.type.startsWith('case.') && move) {
    const text = `${translated(i18n, `state.${move[1]}`, move[1])} → ${translated(i18n, `state.${move[2]}`, move[2])}`;
    return move[3] ? i18n.t('detail.with_note', { text, note: caseNote(move[3], i18n) }) : text;
  }
  return d;
}

// caseNote words the note of a case's move: its due date or the materials
// still missing.
function caseNote(note, i18n) {
  const due = /^due (\S+)$/.exec(note);
  if (due) return i18n.t('detail.due', { date: due[1] });
  const missing = /^missing: (.*)$/s.exec(note);
  return missing ? i18n.t('detail.missing', { materials: missing[1] }) : note;
}

// failureText explains a recording failure code.
function failureText(i18n, code) {
  return code ? translated(i18n, `failure.${code}`, code) : '';
}

// translated is the text for key, or fallback when there is none.
function translated(i18n, key, fallback) {
  const text = i18n.t(key);
  return text === key ? fallback : text;
}

// ---------------------------------------------------------------------------
// Bad-rating follow-up (差评整改)

// RectificationPanel shows the follow-up of a badly rated session and moves
// it on: open → in progress → fixed, a note being required to close. It
// fires 'changed' with the rectification after each change.
class RectificationPanel extends EventTarget {
  #app;
  #rect = null;
  #loading = 0; // counts loads, so a slow answer for a session left behind is dropped

  constructor(app) {
    super();
    this.#app = app;
    $('#rect-form').addEventListener('submit', (e) => e.preventDefault());
    $('#rect-start').addEventListener('click', () => this.#update('in_progress'));
    $('#rect-fix').addEventListener('click', () => this.#update('fixed'));
  }

  // load fetches the follow-up of a session with a bad rating; other
  // sessions have none and show no panel.
  async load(detail) {
    this.clear();
    const loading = this.#loading;
    if (!detail.rating || detail.rating.score > badRatingMax) return;
    try {
      const rect = await this.#app.api(`/api/v1/rectifications/${encodeURIComponent(detail.call_id)}`);
      if (loading !== this.#loading) return;
      this.#rect = rect;
      this.render();
    } catch (err) {
      if (loading !== this.#loading || err.status === 404) return;
      this.#app.toast(this.#app.i18n.t('rect.load_failed', { message: err.message }));
    }
  }

  clear() {
    this.#loading++;
    this.#rect = null;
    $('#rect-note').value = '';
    $('#rect-error').textContent = '';
    this.render();
  }

  render() {
    const r = this.#rect;
    $('#rectification').hidden = !r;
    if (!r) return;
    const { i18n } = this.#app;
    const status = $('#rect-status');
    status.dataset.rect = r.status;
    status.textContent = i18n.t(`rect.status.${r.status}`);
    const owner = r.owner_name ? i18n.t('rect.owner', { name: r.owner_name }) : i18n.t('rect.no_owner');
    const due = i18n.t(r.overdue ? 'rect.overdue' : 'rect.due', { at: this.#app.formatDate(r.due_at) });
    const info = $('#rect-info');
    info.textContent = r.status === 'fixed' ? owner : `${owner} · ${due}`;
    info.classList.toggle('is-overdue', r.overdue);
    $('#rect-steps').replaceChildren(...(r.steps || []).map((step) => this.#step(step)));
    $('#rect-form').hidden = r.status === 'fixed';
    $('#rect-start').hidden = r.status !== 'open';
  }

  #step(step) {
    const { i18n } = this.#app;
    return h(
      'li',
      { dataset: { status: step.status } },
      h('span', { class: 'at' }, this.#app.formatDate(step.at)),
      h('span', { class: 'what' }, i18n.t(`rect.step.${step.status}`)),
      h('span', { class: 'who' }, step.actor_name),
      step.note ? h('span', { class: 'text' }, step.note) : null,
    );
  }

  async #update(status) {
    const r = this.#rect;
    if (!r) return;
    const note = $('#rect-note').value.trim();
    const error = $('#rect-error');
    if (status === 'fixed' && !note) {
      error.textContent = this.#app.i18n.t('rect.note_required');
      $('#rect-note').focus();
      return;
    }
    error.textContent = '';
    const buttons = [$('#rect-start'), $('#rect-fix')];
    for (const b of buttons) b.disabled = true;
    try {
      const next = await this.#app.api(`/api/v1/rectifications/${encodeURIComponent(r.call_id)}`, {
        method: 'POST',
        body: { status, note },
      });
      if (r !== this.#rect) return;
      this.#rect = next;
      $('#rect-note').value = '';
      this.render();
      this.dispatchEvent(new CustomEvent('changed', { detail: next }));
    } catch (err) {
      if (r === this.#rect) error.textContent = this.#app.i18n.t('rect.failed', { message: err.message });
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }
}

// ---------------------------------------------------------------------------
// Session list

class SessionList {
  #app;
  #query = null; // the filters of the rows shown
  #cursor = '';
  #sessions = new Map(); // call id → session, in the order shown
  #stations = new Map(); // id → {name, island}, from every row seen
  #agents = new Map(); // id → name
  #pending = new Map(); // call id → its unfinished rectification

  constructor(app) {
    this.#app = app;
    $('#filters').addEventListener('submit', (e) => {
      e.preventDefault();
      const hash = `#/?${this.#formQuery()}`;
      if (location.hash === hash) this.#load(false); // the same search again: refresh
      else location.hash = hash;
    });
    $('#filters').addEventListener('reset', () => {
      setTimeout(() => (location.hash = '#/'), 0);
    });
    $('#f-category').addEventListener('change', () => this.renderItems($('#f-category').value, ''));
    $('#list-more').addEventListener('click', () => this.#load(true));
  }

  // show opens the list with the filters in query; rows already loaded for
  // the same filters stay, so coming back from a session keeps the place.
  show(query) {
    this.#app.screens.show('list');
    const changed = query.toString() !== this.#query?.toString();
    this.#query = query;
    this.#fillForm(query);
    if (changed) this.#load(false);
  }

  // update refreshes a row after the session page changed it.
  update(s) {
    const old = this.#sessions.get(s.call_id);
    if (!old) return;
    Object.assign(old, s);
    this.renderRows();
  }

  // setRectification keeps a row's follow-up marker in step with the
  // session page.
  setRectification(r) {
    if (r.status === 'fixed') this.#pending.delete(r.call_id);
    else this.#pending.set(r.call_id, r);
    this.renderRows();
  }

  // #loadPending marks the rows whose bad rating still waits for a fix;
  // without it the list still works, just unmarked.
  async #loadPending() {
    try {
      const { rectifications } = await this.#app.api('/api/v1/rectifications?status=open,in_progress');
      this.#pending = new Map(rectifications.map((r) => [r.call_id, r]));
      this.renderRows();
    } catch {
      this.#pending.clear();
    }
  }

  async #load(more) {
    if (!more) this.#loadPending();
    const q = new URLSearchParams(this.#query);
    q.set('limit', String(pageSize));
    if (more && this.#cursor) q.set('cursor', this.#cursor);
    $('#list-error').textContent = '';
    $('#list-more').disabled = true;
    try {
      const page = await this.#app.api(`/api/v1/recordings?${q}`);
      if (!more) this.#sessions.clear();
      for (const s of page.sessions) this.#remember(s);
      this.#cursor = page.next_cursor || '';
      this.renderRows();
      this.renderOptions();
    } catch (err) {
      $('#list-error').textContent = this.#app.i18n.t('list.failed', { message: err.message });
    } finally {
      $('#list-more').disabled = false;
    }
  }

  #remember(s) {
    this.#sessions.set(s.call_id, s);
    if (s.station_id) this.#stations.set(s.station_id, { name: s.station_name, island: s.island });
    if (s.agent_id) this.#agents.set(s.agent_id, s.agent_name);
  }

  #formQuery() {
    const q = new URLSearchParams();
    for (const el of $('#filters').elements) {
      if (!el.name || !el.value) continue;
      const minutes = el.name.endsWith('_duration');
      q.set(el.name, minutes ? String(Math.round(Number(el.value) * 60)) : el.value);
    }
    return q;
  }

  #fillForm(query) {
    for (const el of $('#filters').elements) {
      if (!el.name) continue;
      const v = query.get(el.name) ?? '';
      el.value = el.name.endsWith('_duration') && v ? String(Number(v) / 60) : v;
    }
    this.renderOptions(query.get('station') ?? '', query.get('agent') ?? '');
    this.renderItems(query.get('category') ?? '', query.get('item') ?? '');
  }

  renderRows() {
    const { i18n } = this.#app;
    const rows = [...this.#sessions.values()].map((s) => this.#row(s, i18n));
    $('#session-rows').replaceChildren(...rows);
    $('#list-empty').hidden = rows.length > 0;
    $('#list-more').hidden = !this.#cursor;
  }

  #row(s, i18n) {
    const href = `#/call/${encodeURIComponent(s.call_id)}`;
    const status = h('span', {});
    renderStatus(status, s.status, i18n);
    return h(
      'tr',
      { dataset: { call: s.call_id }, onclick: () => (location.hash = href) },
      h('td', {}, h('a', { href }, this.#app.formatDate(s.started_at))),
      h('td', {}, s.station_name, ' ', s.island ? islandBadge(i18n) : null),
      h('td', {}, s.agent_name),
      h('td', {}, this.#app.itemName(s.item_id, s.item_name)),
      h('td', { class: 'num' }, formatDuration(s.duration_ms / 1000)),
      h('td', {}, status, s.legal_hold ? h('span', { class: 'badge badge-soft' }, i18n.t('badge.hold')) : null),
      h(
        'td',
        { class: 'rating', title: s.rating?.comment || null },
        ratingBadge(s.rating, i18n),
        rectBadge(this.#pending.get(s.call_id), i18n),
      ),
    );
  }

  // renderOptions offers every station and agent seen so far; the API has
  // no directory of them for supervisors.
  renderOptions(station = $('#f-station').value, agent = $('#f-agent').value) {
    const { i18n } = this.#app;
    const stations = [...this.#stations].map(([id, s]) =>
      h('option', { value: id }, s.island ? `${s.name}（${i18n.t('badge.island')}）` : s.name),
    );
    const agents = [...this.#agents].map(([id, name]) => h('option', { value: id }, name));
    fillSelect($('#f-station'), stations, station, i18n);
    fillSelect($('#f-agent'), agents, agent, i18n);
  }

  // renderItems offers the catalog's categories, and the items of the
  // chosen one.
  renderItems(category = $('#f-category').value, item = $('#f-item').value) {
    const { i18n } = this.#app;
    const catalog = this.#app.catalog;
    const categories = catalog.categories.map((c) => h('option', { value: c.id }, i18n.pick(c, 'name')));
    fillSelect($('#f-category'), categories, category, i18n);
    const items = catalog.items
      .filter((it) => !category || it.category === category)
      .map((it) => h('option', { value: it.id }, i18n.pick(it, 'name')));
    fillSelect($('#f-item'), items, item, i18n);
  }
}

// ratingBadge shows a score as stars and a number; a bad one (1–2,
// 差评) stands out, since each of those is followed up.
function ratingBadge(r, i18n) {
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

// rectBadge marks a session whose bad rating is not fixed yet.
function rectBadge(r, i18n) {
  if (!r) return null;
  const text = i18n.t(`rect.status.${r.status}`);
  const overdue = r.overdue ? ` · ${i18n.t('rect.overdue_short')}` : '';
  return h('span', { class: 'badge rect-marker', dataset: { rect: r.status } }, text + overdue);
}

function islandBadge(i18n) {
  return h('span', { class: 'badge badge-island' }, i18n.t('badge.island'));
}

// fillSelect replaces a select's options after "all", keeping the choice.
function fillSelect(select, options, chosen, i18n) {
  const all = h('option', { value: '' }, i18n.t('filter.all'));
  select.replaceChildren(all, ...options);
  select.value = chosen && [...select.options].some((o) => o.value === chosen) ? chosen : '';
}

// ---------------------------------------------------------------------------
// App

class ReviewApp {
  i18n = new I18n(messages, localStorage.getItem(langKey) || 'zh');
  screens = new Screens();
  session = new Session({ storage: sessionStorage, key: credentialsKey });
  catalog = { categories: [], items: [] };
  #items = new Map();
  #role = '';
  #toastTimer = 0;
  list = new SessionList(this);
  page = new SessionPage(this);

  start() {
    this.#wire();
    this.i18n.apply();
    this.#renderLang();
    if (this.session.hasCredentials) this.#enter();
    else this.screens.show('login');
  }

  #wire() {
    $('#login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#login();
    });
    $('#logout').addEventListener('click', () => this.#logout());
    $('#denied-logout').addEventListener('click', () => this.#logout());
    for (const b of document.querySelectorAll('[data-lang]')) {
      b.addEventListener('click', () => this.i18n.setLang(b.dataset.lang));
    }
    this.i18n.addEventListener('change', () => {
      localStorage.setItem(langKey, this.i18n.lang);
      this.#renderLang();
      this.list.renderRows();
      this.list.renderOptions();
      this.list.renderItems();
      this.page.render();
    });
    this.page.addEventListener('changed', (e) => this.list.update(e.detail));
    this.page.rectification.addEventListener('changed', (e) => this.list.setRectification(e.detail));
    window.addEventListener('hashchange', () => this.#route());
  }

  // api is an authorised request; a lost sign-in goes back to the login.
  async api(path, opts) {
    try {
      return await this.session.api(path, opts);
    } catch (err) {
      if (err.status === 401) this.#signedOut();
      throw err;
    }
  }

  async #login() {
    if (await signInFromForm(this.session, this.i18n)) await this.#enter();
  }

  async #enter() {
    this.screens.show('loading');
    let me;
    try {
      me = await this.session.api('/api/v1/me');
    } catch {
      this.#signedOut();
      return;
    }
    $('#who').textContent = me.display_name || me.username;
    $('#logout').hidden = false;
    this.#role = me.role;
    if (!reviewRoles.includes(me.role)) {
      this.screens.show('denied');
      return;
    }
    await this.#loadCatalog();
    this.#route();
  }

  async #loadCatalog() {
    try {
      this.catalog = await this.session.api('/api/v1/catalog');
      this.#items = new Map(this.catalog.items.map((it) => [it.id, it]));
    } catch {
      // Filters by item only; the list works without names.
    }
  }

  #route() {
    if (!reviewRoles.includes(this.#role)) return;
    const hash = location.hash.replace(/^#\/?/, '');
    const call = hash.match(/^call\/(.+)$/);
    if (call) {
      this.page.open(decodeURIComponent(call[1]));
      return;
    }
    this.page.close();
    this.list.show(new URLSearchParams(hash.replace(/^\?/, '')));
  }

  async #logout() {
    this.page.close();
    await this.session.logout();
    this.#signedOut();
  }

  #signedOut() {
    this.#role = '';
    this.session.forget();
    this.page.close();
    $('#who').textContent = '';
    $('#logout').hidden = true;
    this.screens.show('login');
  }

  itemName(id, fallback) {
    const it = this.#items.get(id);
    return it ? this.i18n.pick(it, 'name') : fallback;
  }

  formatDate(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return '';
    const locale = this.i18n.lang === 'zh' ? 'zh-CN' : 'en-GB';
    return new Date(ms).toLocaleString(locale, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
  }

  toast(text) {
    const t = $('#toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(this.#toastTimer);
    this.#toastTimer = setTimeout(() => (t.hidden = true), toastMs);
  }

  #renderLang() {
    for (const b of document.querySelectorAll('[data-lang]')) {
      b.setAttribute('aria-pressed', String(b.dataset.lang === this.i18n.lang));
    }
    document.title = this.i18n.t('app.title');
  }
}

const app = new ReviewApp();
// Reachable from DevTools for support and from the browser tests.
window.cloudWindowReview = app;
app.start();
