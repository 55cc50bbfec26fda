// @ts-check
// The time line of a recorded session: the call's events in the order they
// happened, worded for a reader (who did what, with codes translated), and
// the marks of events and notes on the seek bar. A click on an event seeks
// the player there.

import { h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { failureText, translated } from './review-badges.js';

/** @typedef {import('/lib/i18n.js').I18n} I18n */
/** @typedef {{type: string, at: string, actor?: string, detail?: string}} CallEvent */
/** @typedef {{station_name?: string, agent_name?: string}} CallNames */

/**
 * renderEvents lists the session's events, in time order, into list.
 * @param {HTMLElement} list
 * @param {CallEvent[]} all
 * @param {CallNames} call
 * @param {(iso: string) => number} at an event's time on the session clock, in seconds
 * @param {(t: number) => void} seek
 * @param {I18n} i18n
 */
export function renderEvents(list, all, call, at, seek, i18n) {
  const events = inTimeOrder(all);
  list.replaceChildren(
    ...events.map((e) => {
      const t = at(e.at);
      const detail = eventDetail(e, i18n);
      const when = t < 0 ? i18n.t('events.before') : formatDuration(t);
      return h(
        'li',
        { dataset: { type: e.type } },
        h(
          'button',
          { type: 'button', class: 'event', onclick: () => seek(t) },
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

/**
 * renderMarks pins events and notes on the seek bar.
 * @param {HTMLElement} el
 * @param {number[]} events the events' times, in seconds
 * @param {number[]} notes the notes' times, in seconds
 * @param {number} duration
 */
export function renderMarks(el, events, notes, duration) {
  const pos = (/** @type {number} */ t) => `${(Math.min(Math.max(t, 0), duration) / duration) * 100}%`;
  el.replaceChildren(
    ...events.map((t) => h('span', { class: 'mark mark-event', style: `left: ${pos(t)}` })),
    ...notes.map((t) => h('span', { class: 'mark mark-note', style: `left: ${pos(t)}` })),
  );
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
  if (e.type === 'transfer_returned') return 'server';
  if (e.type.startsWith('supervisor_') || (['joined', 'left'].includes(e.type) && e.detail === 'supervisor')) return 'supervisor';
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
  if (role === 'supervisor') return own ? i18n.t('actor.supervisor_named', { name: own }) : i18n.t('actor.supervisor');
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
  if (e.type === 'joined' || e.type === 'left') return translated(i18n, `role.${d}`, d);
  if (e.type === 'transfer' || e.type === 'consult') return translated(i18n, `group.${d}`, d);
  if (e.type === 'transfer_returned') return translated(i18n, `returned.${d}`, d);
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
