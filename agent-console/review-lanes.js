// @ts-check
// The tiles of a recorded call with more than two people: the resident,
// the agent and the document camera have their own tiles in the page; every
// other party that was recorded (the back office consulted, a supervisor
// who whispered or barged, the agent a transfer went to under a new label)
// gets one more tile in the grid, in the order they first appear. While
// the clock is inside a whisper, the supervisor's tile says so: the
// resident did not hear that voice.

import { $ } from '/lib/dom.js';

/** @typedef {{party: string, status: string, started_at: string}} LaneFile */
/** @typedef {{type: string, at: string}} LaneEvent */

// The parties whose tiles are in review.html.
const fixed = new Set(['station', 'agent', 'station-document']);

/**
 * addPartyTiles puts a tile in the grid for every recorded party beyond the
 * fixed ones, after removing those of the call shown before.
 * @param {HTMLElement} grid
 * @param {LaneFile[]} files
 * @param {(key: string) => string} t
 */
export function addPartyTiles(grid, files, t) {
  for (const el of grid.querySelectorAll('.lane[data-extra]')) el.remove();
  const firstSeen = new Map();
  for (const f of files) {
    if (fixed.has(f.party) || f.status === 'deleted') continue;
    const at = Date.parse(f.started_at);
    if (!firstSeen.has(f.party) || at < firstSeen.get(f.party)) firstSeen.set(f.party, at);
  }
  const parties = [...firstSeen.keys()].sort((a, b) => firstSeen.get(a) - firstSeen.get(b));
  const template = /** @type {HTMLElement} */ ($('.lane[data-party="agent"]', grid));
  const before = $('.lane[data-party="station-document"]', grid);
  for (const party of parties) {
    const el = /** @type {HTMLElement} */ (template.cloneNode(true));
    el.dataset.party = party;
    el.dataset.extra = '';
    const video = $('video', el);
    video.id = `video-${party}`;
    video.removeAttribute('src');
    const label = /** @type {HTMLElement} */ ($('figcaption span', el));
    label.dataset.i18n = `party.${baseParty(party)}`;
    label.textContent = t(label.dataset.i18n);
    const whisper = document.createElement('span');
    whisper.className = 'lane-whisper';
    whisper.hidden = true;
    whisper.dataset.i18n = 'lane.whisper';
    whisper.textContent = t('lane.whisper');
    label.after(' ', whisper);
    grid.insertBefore(el, before);
  }
  const documentCamera = files.some((f) => f.party === 'station-document' && f.status !== 'deleted');
  grid.dataset.tiles = String(2 + parties.length + (documentCamera ? 1 : 0));
}

// baseParty is the role a party label names ("supervisor-2" → "supervisor").
function baseParty(/** @type {string} */ party) {
  return party.replace(/-\d+$/, '');
}

/**
 * whispers are the spans, in seconds on the session clock, during which a
 * supervisor whispered to the agent: from supervisor_whisper to their next
 * step (watch, barge, take-over), their leaving, or the end.
 * @param {LaneEvent[]} events
 * @param {(iso: string) => number} at
 * @param {number} end
 * @returns {Array<[number, number]>}
 */
export function whispers(events, at, end) {
  /** @type {Array<[number, number]>} */
  const out = [];
  /** @type {number | null} */
  let from = null; // a whisper may start before the recording: below zero
  const sorted = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const e of sorted) {
    const stops = e.type.startsWith('supervisor_') || e.type === 'left' || e.type === 'hangup';
    if (from !== null && stops) {
      out.push([from, at(e.at)]);
      from = null;
    }
    if (e.type === 'supervisor_whisper') from = at(e.at);
  }
  if (from !== null) out.push([from, end]);
  return out;
}

/**
 * markWhispers shows the whisper mark on the supervisors' tiles while t is
 * inside a whisper.
 * @param {HTMLElement} grid
 * @param {Array<[number, number]>} spans
 * @param {number} t
 */
export function markWhispers(grid, spans, t) {
  const on = spans.some(([a, b]) => t >= a && t < b);
  for (const el of grid.querySelectorAll('.lane[data-party^="supervisor"] .lane-whisper')) {
    /** @type {HTMLElement} */ (el).hidden = !on;
  }
}
