// @ts-check
// Video encoder limits from the station's link profile (welcome.link_profile)
// and the server's caps (call.bitrate_limit). A station an admin marked as
// island / low bandwidth starts its encoders low instead of probing down from
// high; its limits stay the ceiling, and a cap from the server lowers them.
// On a weak link the document camera's live picture drops to a slideshow:
// scans go as full-resolution stills through the upload, not through video.

/**
 * @typedef {{max_bitrate: number, max_framerate?: number, scale_resolution_down_by?: number}} EncodingLimits
 * @typedef {{profile: string, camera?: EncodingLimits, document?: EncodingLimits}} LinkProfile
 * @typedef {{maxBitrate?: number, maxFramerate?: number, scaleResolutionDownBy?: number}} SendEncoding
 */

// Below this cap the document camera's live picture is a slideshow.
const documentSlowBelow = 300_000;
const documentSlowFps = 2;
const documentMinBitrate = 30_000;

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
 * startEncoding is the encoding a video sender starts with, or null to let
 * the browser start as it likes.
 * @param {LinkProfile | null | undefined} profile
 * @param {string} source
 * @returns {SendEncoding | null}
 */
export function startEncoding(profile, source) {
  const l = limitsFor(profile, source);
  if (!l) return null;
  /** @type {SendEncoding} */
  const e = { maxBitrate: l.max_bitrate };
  if (l.max_framerate) e.maxFramerate = l.max_framerate;
  if (l.scale_resolution_down_by) e.scaleResolutionDownBy = l.scale_resolution_down_by;
  return e;
}

/**
 * capEncoding applies the server's cap (bit/s) to one encoding of a video
 * sender: the camera gets the cap, the document camera a third of it and, on a
 * weak link, a slideshow's frame rate; the profile's limits stay the ceiling.
 * @param {SendEncoding} e the encoding, changed in place
 * @param {string} source
 * @param {number} bps
 * @param {LinkProfile | null | undefined} profile
 */
export function capEncoding(e, source, bps, profile) {
  const l = limitsFor(profile, source);
  let max = source === 'document' ? Math.max(documentMinBitrate, Math.round(bps / 3)) : bps;
  if (l) max = Math.min(max, l.max_bitrate);
  e.maxBitrate = max;
  if (source === 'document') {
    const slow = bps < documentSlowBelow ? documentSlowFps : undefined;
    const fps = l?.max_framerate ?? slow;
    if (fps !== undefined) e.maxFramerate = Math.min(fps, slow ?? fps);
    else delete e.maxFramerate;
  }
}
