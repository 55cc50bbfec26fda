// @ts-check
// Encoder limits from the station's link profile (welcome.link_profile) and
// the server's caps (call.bitrate_limit). A station an admin marked as
// island / low bandwidth starts its encoders low instead of probing down from
// high; its limits stay the ceiling, and a cap from the server lowers them.
// On a weak link the document camera's live picture drops to a slideshow:
// scans go as full-resolution stills through the upload, not through video.

/**
 * @typedef {{max_bitrate: number, max_framerate?: number, scale_resolution_down_by?: number}} EncodingLimits
 * @typedef {{profile: string, camera?: EncodingLimits, document?: EncodingLimits}} LinkProfile
 * @typedef {{maxBitrate?: number, maxFramerate?: number, scaleResolutionDownBy?: number}} SendEncoding
 */

// A station marked low-bandwidth sends its microphone at a speech rate: Opus's
// default (~32 kbit/s, doubled by RED, ~100 kbit/s on the wire with 50
// packets a second of headers) took so much of a 256 kbit/s uplink that the
// browser held the camera's packets up to 2 s before sending them.
const voiceBitrate = 20_000;
// A station whose uplink turns thin in a call (after a check that found it
// good, or with no check) goes to the speech rate too: when its camera's
// packets wait in the browser (its pacer holds what the link cannot take)
// while its own send estimate is low, in samplesToChange samples running.
// It goes back once the estimate is well over that, or over the thin line
// while the pacer holds nothing, samplesToChange samples running: the
// browser's estimate climbs back slowly (~8 % a second, much slower on a busy
// machine), and the node's REMB may hold it under the upper line on a link
// that is good again.
// Nothing counts in the camera's first uplinkSettleMs of sending: then the
// browser's estimate is still climbing from its start and the first keyframes
// wait in its pacer on any link. On a busy machine a good link looked thin
// for over 4 s of that, two samples running. A link thin from the start is
// the pre-call check's to find.
const cameraHeldMs = 250;
const cameraClearMs = 100;
const samplesToChange = 2;
const uplinkSettleMs = 12_000;
const thinUplinkBelow = 350_000;
const thinUplinkAbove = 700_000;
// Below this cap the document camera's live picture is a slideshow.
const documentSlowBelow = 300_000;
const documentSlowFps = 2;
const documentMinBitrate = 30_000;
// Below this cap the camera sends 320×180 at 15 fps: at a weak link's rate
// (island-weak's caps are 140–230 kbit/s) the encoder would otherwise shrink
// the picture below that. Not higher: the receiver's estimate grows only with
// what it is sent, and a small camera that cannot fill a higher cap would hold
// the cap, and itself, small after the link got better.
const cameraSmallBelow = 250_000;
const cameraSmallWidth = 320;
const cameraSmallFps = 15;

/**
 * limitsFor returns the profile's limits for a video source, or null.
 * @param {LinkProfile | null | undefined} profile
 * @param {string} source "camera" or "document"
 * @returns {EncodingLimits | null}
 */
function limitsFor(profile, source) {
  if (!profile) return null;
  if (source === 'document') return profile.document ?? null;
  if (source === 'camera') return profile.camera ?? null;
  return null;
}

/**
 * startEncoding is the encoding a sender starts with, or null to let the
 * browser start as it likes: video within the profile's limits, the
 * microphone at a speech rate on a station marked low-bandwidth.
 * @param {LinkProfile | null | undefined} profile
 * @param {string} source "camera", "document" or "audio"
 * @returns {SendEncoding | null}
 */
export function startEncoding(profile, source) {
  if (source === 'audio') return speechRate(false, profile) ? { maxBitrate: voiceBitrate } : null;
  const l = limitsFor(profile, source);
  if (!l) return null;
  /** @type {SendEncoding} */
  const e = { maxBitrate: l.max_bitrate };
  if (l.max_framerate) e.maxFramerate = l.max_framerate;
  if (l.scale_resolution_down_by) e.scaleResolutionDownBy = l.scale_resolution_down_by;
  return e;
}

/**
 * voiceRateWanted tells whether a station's microphone should be at a speech
 * rate, from whether it is now, one sample of the browser's own figures and
 * how many samples running before this one said to change. It returns the
 * answer and the new count.
 * @param {boolean} now
 * @param {{heldMs: number, sendBps: number, sendingMs: number}} sample the
 *   camera's packets' mean wait in the browser since the last sample, the
 *   browser's send estimate, and how long the camera has been sending
 * @param {number} runBefore
 * @returns {{slow: boolean, run: number}}
 */
export function voiceRateWanted(now, { heldMs, sendBps, sendingMs }, runBefore) {
  let change;
  if (now) {
    if (sendBps >= thinUplinkAbove) return { slow: false, run: 0 };
    change = heldMs < cameraClearMs && sendBps >= thinUplinkBelow;
  } else {
    if (sendingMs < uplinkSettleMs) return { slow: false, run: 0 };
    change = heldMs > cameraHeldMs && sendBps < thinUplinkBelow;
  }
  const run = change ? runBefore + 1 : 0;
  if (run < samplesToChange) return { slow: now, run };
  return { slow: !now, run: 0 };
}

/**
 * voiceEncoding sets or clears the speech rate on the microphone's encoding;
 * a station marked low-bandwidth keeps it. The server's cap, if any, holds
 * it lower still.
 * @param {SendEncoding} e the encoding, changed in place
 * @param {boolean} slow
 * @param {LinkProfile | null | undefined} profile
 * @param {number} [cap] bit/s, 0 for none
 */
export function voiceEncoding(e, slow, profile, cap = 0) {
  const rates = [speechRate(slow, profile) ? voiceBitrate : 0, cap].filter((r) => r > 0);
  if (rates.length) e.maxBitrate = Math.min(...rates);
  else delete e.maxBitrate;
}

/**
 * speechRate: the microphone goes at voiceBitrate on a thin uplink and, all
 * call long, on a station marked low-bandwidth.
 * @param {boolean} thin
 * @param {LinkProfile | null | undefined} profile
 */
function speechRate(thin, profile) {
  return thin || profile?.profile === 'low_bandwidth';
}

/**
 * capEncoding applies the server's cap (bit/s) to one encoding of a video
 * sender: the camera gets the cap and, under cameraSmallBelow, 320 px wide at
 * 15 fps; the document camera a third of it and, on a weak link, a
 * slideshow's frame rate; the profile's limits stay the ceiling.
 * @param {SendEncoding} e the encoding, changed in place
 * @param {string} source
 * @param {number} bps
 * @param {LinkProfile | null | undefined} profile
 * @param {number} [width] the width the source captures at, if known
 */
export function capEncoding(e, source, bps, profile, width) {
  const l = limitsFor(profile, source);
  let max = source === 'document' ? Math.max(documentMinBitrate, Math.round(bps / 3)) : bps;
  if (l) max = Math.min(max, l.max_bitrate);
  e.maxBitrate = max;
  if (source === 'document') {
    const slow = bps < documentSlowBelow ? documentSlowFps : undefined;
    const fps = l?.max_framerate ?? slow;
    if (fps !== undefined) e.maxFramerate = Math.min(fps, slow ?? fps);
    else delete e.maxFramerate;
  } else if (source === 'camera') {
    capCamera(e, bps < cameraSmallBelow, l, width);
  }
}

/**
 * cameraDegradation is how the camera's encoder should give way when it
 * cannot keep up under a cap of bps: small (320×180) and still short of bits
 * or CPU, it drops frames rather than go below 320×180 (Chromium's default
 * for a camera keeps the frame rate and shrinks the picture).
 * @param {number} bps
 * @returns {RTCDegradationPreference | undefined} undefined: the browser's default
 */
export function cameraDegradation(bps) {
  return bps < cameraSmallBelow ? 'maintain-resolution' : undefined;
}

/**
 * capCamera makes the camera's encoding small (or no longer) within the
 * profile's limits.
 * @param {SendEncoding} e
 * @param {boolean} small
 * @param {EncodingLimits | null} l
 * @param {number | undefined} width
 */
function capCamera(e, small, l, width) {
  const scale = small && width ? Math.max(1, width / cameraSmallWidth) : 1;
  const fps = small ? Math.min(cameraSmallFps, l?.max_framerate ?? cameraSmallFps) : l?.max_framerate;
  const profileScale = l?.scale_resolution_down_by ?? 1;
  if (Math.max(scale, profileScale) > 1) e.scaleResolutionDownBy = Math.max(scale, profileScale);
  else delete e.scaleResolutionDownBy;
  if (fps !== undefined) e.maxFramerate = fps;
  else delete e.maxFramerate;
}
