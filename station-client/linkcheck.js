// @ts-check
// The pre-call network check. Before the station joins the queue it measures
// its link: the round trip of a few pings over the signaling socket, the share
// of them not answered within a second (over TCP a lost packet shows up as a
// late reply), and a timed download and upload of a small payload from the
// authorised probe endpoint. It reports the figures (station.link_check), so
// that the agent sees them on the offer, and tells the resident only when the
// link is poor.
//
// The bandwidth probe is a plain HTTP transfer, not a data channel burst: it
// takes the path scans take, needs no PeerConnection before there is a call,
// goes through every proxy the kiosk's HTTP does, and costs about a second
// and a half on a 256 kbit/s island link.

import { sayPrompt } from './speech.js';

const pings = 5;
const pingTimeout = 1000;
const downBytes = 32 * 1024;
const upBytes = 16 * 1024;
// A transfer still going after this is rated by what this time allows.
const transferTimeout = 4000;
// How long a poor-link notice stays on screen before the queue shows.
const noticeMs = 3500;

/**
 * @typedef {{rtt_ms: number, loss_pct: number, down_kbps: number, up_kbps: number}} LinkFigures
 * @typedef {{request: (type: string, data?: object, timeout?: number) => Promise<any>}} SignalingLike
 * @typedef {{fetch: (path: string, options?: object) => Promise<Response>}} SessionLike
 * @typedef {{t: (key: string, vars?: object) => string}} I18nLike
 */

/**
 * measureLink runs the check and returns its figures (0: not measured).
 * @param {SignalingLike} signaling
 * @param {SessionLike} session
 * @returns {Promise<LinkFigures>}
 */
export async function measureLink(signaling, session) {
  const rtts = [];
  let lost = 0;
  for (let i = 0; i < pings; i++) {
    const start = performance.now();
    try {
      await signaling.request('ping', {}, pingTimeout);
      rtts.push(performance.now() - start);
    } catch {
      lost++;
    }
  }
  rtts.sort((a, b) => a - b);
  const rtt = rtts.length ? rtts[Math.floor(rtts.length / 2)] : 0;
  const down = await timed(rtt, downBytes, () =>
    session.fetch(`/api/v1/station/link-probe?bytes=${downBytes}`, { headers: { Accept: '*/*' } }).then((r) => r.arrayBuffer()),
  );
  const payload = new Uint8Array(upBytes);
  crypto.getRandomValues(payload);
  const up = await timed(rtt, upBytes, () =>
    session.fetch('/api/v1/station/link-probe', { method: 'POST', body: payload.buffer }).then((r) => r.arrayBuffer()),
  );
  return { rtt_ms: Math.round(rtt), loss_pct: Math.round((1000 * lost) / pings) / 10, down_kbps: down, up_kbps: up };
}

/**
 * timed runs a transfer of bytes and returns its rate in kbit/s, the request's
 * own round trip taken off; 0 when it failed.
 * @param {number} rtt
 * @param {number} bytes
 * @param {() => Promise<unknown>} transfer
 * @returns {Promise<number>}
 */
async function timed(rtt, bytes, transfer) {
  const start = performance.now();
  let timer = 0;
  const timeout = new Promise((resolve) => {
    timer = window.setTimeout(() => resolve('timeout'), transferTimeout);
  });
  try {
    const r = await Promise.race([transfer(), timeout]);
    const ms = r === 'timeout' ? transferTimeout : Math.max(performance.now() - start - rtt, 1);
    return Math.max(1, Math.round((bytes * 8) / ms));
  } catch (err) {
    console.warn('station: link probe', err);
    return 0;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * checkLinkBeforeCall measures the link, reports it, and on a poor link shows
 * and says so on the preparing screen for a moment. It never stops the call:
 * a failed check only goes unreported. On a poor link the server says how
 * to start the encoders (link_profile: low, as for a station marked
 * low-bandwidth).
 * @param {{signaling: SignalingLike, session: SessionLike, i18n: I18nLike}} deps
 * @returns {Promise<{quality: string, linkProfile: import('/lib/linkprofile.js').LinkProfile | null}>}
 *   the link's grade ('' when unknown) and the profile to start with, if any
 */
export async function checkLinkBeforeCall({ signaling, session, i18n }) {
  let quality = '';
  let linkProfile = null;
  try {
    const figures = await measureLink(signaling, session);
    const reply = await signaling.request('station.link_check', figures);
    quality = reply?.data?.quality ?? '';
    linkProfile = reply?.data?.link_profile ?? null;
    console.info('station: link check', figures, quality);
  } catch (err) {
    console.warn('station: link check', err);
  }
  if (quality === 'poor') {
    showNotice(i18n.t('link.poor'));
    sayPrompt('speech.weak_link');
    await new Promise((resolve) => setTimeout(resolve, noticeMs));
  }
  showNotice('');
  return { quality, linkProfile };
}

/** @param {string} text */
function showNotice(text) {
  const screen = document.querySelector('[data-screen="preparing"]');
  if (!screen) return;
  let p = screen.querySelector('.link-check-notice');
  if (!p) {
    p = document.createElement('p');
    p.className = 'link-check-notice lead';
    p.setAttribute('role', 'status');
    screen.append(p);
  }
  p.textContent = text;
  /** @type {HTMLElement} */ (p).hidden = !text;
}
