// @ts-check
// Weak-link notice: while the server has paused video to one side of the call
// because its link cannot carry it (call.video_paused), both screens say so,
// and the notice goes once video is back or the call ends.

/**
 * @param {import('./signaling.js').Signaling} signaling
 * @param {HTMLElement} el where the notice shows
 * @param {(d: any) => boolean} isCurrent whether a message is about this screen's call
 */
export function watchVideoPause(signaling, el, isCurrent) {
  const show = (text) => {
    el.hidden = !text;
    el.textContent = text;
  };
  signaling.on('call.video_paused', (d) => isCurrent(d) && show(d.paused ? d.message : ''));
  signaling.on('call.started', () => show(''));
  signaling.on('call.ended', () => show(''));
}
