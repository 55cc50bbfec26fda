// Plays the agent, a supervisor watching live, and then a supervisor
// reviewing the recording, in Firefox ESR driven over WebDriver BiDi, for
// e2e/firefox_test.go. The Go test is the station: it queues a call once
// the agent is ready, sends real VP8 and Opus and a scan, signs the form,
// and tells this script on stdin ("recorded") when the call's recording is
// finished.
//
// Environment: CLOUDWINDOW_URL (the node), FIREFOX (the browser binary).
// stdout: progress lines "step <name> [value]"; the Go test waits for
// "step ready" and requires "step done". Exit status 0 when everything the
// agent and the supervisors should see was seen.
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';

const base = process.env.CLOUDWINDOW_URL;
const executablePath = process.env.FIREFOX || '/usr/bin/firefox-esr';
const waitLimit = 30_000;
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const step = (name, value = '') => console.log(`step ${name} ${value}`.trim());

// Firefox's own switches for what Chromium's --use-fake-*-for-media-stream
// do: a fake camera and microphone, and no permission prompt.
//
// The node offers media on 127.0.0.1 only. Firefox gathers loopback
// candidates only with ice.loopback, and only when it gathers on every
// interface: without a stored camera/microphone permission (which the fake
// devices never create) it keeps to the default route's address. Allowing
// camera and microphone for every site stands in for that permission.
// Firefox still checks from its other addresses too (the node ignores
// those); without ICE-TCP no connection is even opened from them.
const prefs = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.tcp': false,
};

const browser = await puppeteer.launch({
  browser: 'firefox',
  protocol: 'webDriverBiDi',
  executablePath,
  headless: true,
  extraPrefsFirefox: prefs,
  defaultViewport: { width: 1920, height: 1080 },
});
let failed = false;
try {
  const callId = await agent();
  await waitForLine('recorded');
  await supervisor(callId);
  step('done');
} catch (err) {
  failed = true;
  console.error(`FAIL: ${err.stack ?? err}`);
} finally {
  await browser.close().catch(() => {});
}
process.exit(failed ? 1 : 0);

async function waitForLine(want) {
  for (;;) {
    const { value, done } = await stdinLines.next();
    if (done) throw new Error(`stdin closed before "${want}"`);
    if (value.trim() === want) return;
  }
}

// openPage opens url in a fresh browser context (its own storage, like a
// separate PC) and copies the page's console to stderr.
async function openPage(name, url) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.on('console', (m) => console.error(`[${name}] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => console.error(`[${name}] page error: ${err.message ?? err}`));
  await page.goto(url);
  return page;
}

async function until(page, what, fn, ...args) {
  try {
    await page.waitForFunction(fn, { timeout: waitLimit, polling: 100 }, ...args);
  } catch (err) {
    throw new Error(`waiting for ${what}: ${err.message}`);
  }
}

function onScreen(page, name) {
  return until(page, `screen ${name}`, (n) => document.body.dataset.view === n, name);
}

async function signIn(page, username) {
  await onScreen(page, 'login');
  await page.type('#login-username', username);
  await page.type('#login-password', 'demo');
  await page.click('#login-submit');
}

// videoPlays waits until a video shows pictures that the browser decodes
// anew: its clock runs and new frames reach the screen.
async function videoPlays(page, sel) {
  await until(page, `${sel} to have a picture`, (s) => document.querySelector(s).videoWidth > 0, sel);
  const frames = await page.$eval(sel, (v) => new Promise((resolve) => {
    let count = 0;
    const start = v.currentTime;
    const onFrame = () => {
      if (++count < 10) v.requestVideoFrameCallback(onFrame);
      else resolve({ count, advanced: v.currentTime - start });
    };
    v.requestVideoFrameCallback(onFrame);
    setTimeout(() => resolve({ count, advanced: v.currentTime - start }), 10_000);
  }));
  if (frames.count < 10 || !(frames.advanced > 0)) {
    throw new Error(`${sel}: ${frames.count} new frames shown, clock advanced ${frames.advanced} s`);
  }
}

// inboundGrows waits until the call's PeerConnection keeps decoding video
// frames or receiving audio.
async function inboundGrows(page, kind) {
  const sample = () => page.evaluate(async (k) => {
    const pc = window.cloudWindow.call.connection?.pc;
    let n = 0;
    for (const s of (await pc?.getStats())?.values() ?? []) {
      if (s.type === 'inbound-rtp' && s.kind === k) n += k === 'video' ? s.framesDecoded : s.bytesReceived;
    }
    return n;
  }, kind);
  const first = await sample();
  const deadline = Date.now() + waitLimit;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await sample();
    if (first > 0 && now > first) return;
  }
  throw new Error(`inbound ${kind} did not grow (first sample ${first})`);
}

// mediaOnLoopback checks that the call's media flows between 127.0.0.1 on
// both ends: the agent's Firefox and the node never leave this machine's
// loopback.
async function mediaOnLoopback(page) {
  const pair = await page.evaluate(async () => {
    const stats = await window.cloudWindow.call.connection.pc.getStats();
    for (const s of stats.values()) {
      if (s.type === 'candidate-pair' && s.selected) {
        const [local, remote] = [stats.get(s.localCandidateId), stats.get(s.remoteCandidateId)];
        return { local: `${local?.address}:${local?.port}/${local?.protocol}`, remote: `${remote?.address}:${remote?.port}/${remote?.protocol}` };
      }
    }
    return null;
  });
  if (!pair?.local.startsWith('127.') || !pair?.remote.startsWith('127.')) {
    throw new Error(`media not on loopback: selected candidate pair ${JSON.stringify(pair)}`);
  }
  step('loopback', `${pair.local} ${pair.remote}`);
}

async function agent() {
  const page = await openPage('agent', `${base}/console/`);
  await signIn(page, 'agent1');
  await onScreen(page, 'desk');
  await page.click('[data-state="ready"]');
  await until(page, 'state ready', () => document.querySelector('[data-state="ready"]').getAttribute('aria-checked') === 'true');
  step('ready');

  await page.waitForSelector('#offer', { visible: true, timeout: waitLimit });
  await page.click('#offer-accept');
  await onScreen(page, 'call');
  const callId = await page.evaluate(() => window.cloudWindow.call.data.call_id);
  step('call', callId);

  await videoPlays(page, '#station-video');
  await videoPlays(page, '#document-video');
  await videoPlays(page, '#self-video');
  await inboundGrows(page, 'video');
  await inboundGrows(page, 'audio');
  await mediaOnLoopback(page);
  step('video');
  const watcher = await watch(callId);
  await page.bringToFront();
  step('watch');

  await scan(page);
  step('scan');
  await form(page);
  step('form');

  await page.click('#hangup');
  step('hangup');
  await until(watcher, 'the watch to end with the call', () => document.querySelector('#watch').dataset.state === 'ended');
  await onScreen(page, 'wrapup');
  await page.click('#wrapup-form input[value="forwarded"]');
  await page.click('#wrapup-submit');
  await onScreen(page, 'desk');
  await until(page, 'the case number of the wrapped-up call', () => document.querySelector('#last-case-number').textContent !== '');
  step('wrapup');
  return callId;
}

// watch has a supervisor watch the call live from the console: both
// parties' video plays, the agent's being what Firefox sends.
async function watch(callId) {
  const page = await openPage('watch', `${base}/console/`);
  await signIn(page, 'supervisor1');
  await onScreen(page, 'supervise');
  const row = `#live-rows tr[data-call="${callId}"]`;
  await page.waitForSelector(row, { visible: true, timeout: waitLimit });
  await page.click(`${row} button[data-action="watch"]`);
  await until(page, 'the watch to start', () => document.querySelector('#watch').dataset.state === 'live');
  await videoPlays(page, '#watch-station-video');
  await videoPlays(page, '#watch-agent-video');
  return page;
}

// scan opens the scan the station sent and takes it in as the ID card.
async function scan(page) {
  await until(page, 'the scan in the list', () => document.querySelector('#scan-list [data-doc] img')?.naturalWidth > 0);
  await page.click('#scan-list [data-doc]');
  await until(page, 'the scan in the viewer', () => {
    const c = document.querySelector('#viewer-canvas');
    return !c.hidden && c.width > 0;
  });
  await page.select('#viewer-material', '居民身份证');
  await page.click('#viewer-accept');
  await until(page, 'the viewer to close', () => document.querySelector('#scan-viewer').hidden);
  await until(page, 'the ID card ticked', () => document.querySelector('#guide-materials [data-material="居民身份证"]')?.classList.contains('is-received'));
}

// form fills in the resident, pushes the confirmation sheet and waits for
// the station's signature.
async function form(page) {
  await page.click('#resident-details summary');
  await page.type('#resident-name', '王建国');
  await page.click('#push-form');
  await until(page, 'the form pushed', () => ['waiting', 'signed'].includes(document.querySelector('#form-status').dataset.state));
  await until(page, 'the signature', () => {
    const img = document.querySelector('#signature-image');
    return document.querySelector('#form-status').dataset.state === 'signed' && !img.hidden && img.naturalWidth > 0;
  });
}

// supervisor opens the call's recording, plays it and seeks to the middle:
// both parties' videos play on from there, in step.
async function supervisor(callId) {
  const page = await openPage('supervisor', `${base}/console/review.html`);
  await signIn(page, 'supervisor1');
  await onScreen(page, 'list');
  await page.waitForSelector(`#session-rows tr[data-call="${callId}"] a`, { visible: true, timeout: waitLimit });
  await page.click(`#session-rows tr[data-call="${callId}"] a`);
  await onScreen(page, 'session');
  await until(page, 'both videos loaded', () => ['video-station', 'video-agent']
    .every((id) => document.getElementById(id).readyState >= 2));

  await page.click('#play');
  await until(page, 'the player to run', () => window.cloudWindowReview.page.player.time > 0.5);
  await page.click('#seek');
  const mid = await page.evaluate(() => window.cloudWindowReview.page.player.duration / 2);
  await until(page, 'the seek to the middle', (m) => Math.abs(window.cloudWindowReview.page.player.time - m) < 1, mid);
  const start = await page.evaluate(() => ['video-station', 'video-agent'].map((id) => document.getElementById(id).currentTime));
  await until(page, 'both videos to play on after the seek', (s) => ['video-station', 'video-agent'].every((id, i) => {
    const v = document.getElementById(id);
    return !v.seeking && !v.paused && v.videoWidth > 0 && v.currentTime > s[i] + 0.5;
  }), start);
  const lanes = await page.evaluate(() => ({
    master: window.cloudWindowReview.page.player.time,
    at: ['video-station', 'video-agent'].map((id) => {
      const v = document.getElementById(id);
      return v.currentTime + Number(v.dataset.offset);
    }),
  }));
  for (const [i, at] of lanes.at.entries()) {
    if (Math.abs(at - lanes.master) > 0.3) {
      throw new Error(`${['station', 'agent'][i]} video at ${at.toFixed(2)} s of the call, player at ${lanes.master.toFixed(2)} s`);
    }
  }
  if (lanes.master < mid - 1) throw new Error(`player at ${lanes.master} s after seeking to ${mid} s`);
  step('review');
}
