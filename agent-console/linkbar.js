// @ts-check
// The station's link during a call, as a plain good / fair / poor bar over
// the station's video: round trip, loss and bitrate from the media server's
// own figures (call.link, every 2 s). A weak link explains a frozen or blurry
// picture before the agent asks the resident to repeat themselves.

/**
 * @typedef {{call_id: string, party: string, rtt_ms: number, loss_pct: number, bitrate_kbps: number, quality: string}} CallLink
 * @typedef {{on: (type: string, fn: (d: any) => void) => () => void}} SignalingLike
 * @typedef {{t: (key: string, vars?: object) => string, addEventListener: (type: string, fn: () => void) => void}} I18nLike
 */

const qualities = ['good', 'fair', 'poor'];

/**
 * watchStationLink shows call.link figures of the current call in a bar
 * inside stage, and hides it when a call starts or ends.
 * @param {SignalingLike} signaling
 * @param {I18nLike} i18n
 * @param {HTMLElement} stage
 * @param {(d: CallLink) => boolean} isCurrent
 */
export function watchStationLink(signaling, i18n, stage, isCurrent) {
  const bar = document.createElement('div');
  bar.className = 'link-bar';
  bar.id = 'call-link';
  bar.setAttribute('role', 'status');
  bar.hidden = true;
  const meter = document.createElement('span');
  meter.className = 'link-bar-meter';
  meter.setAttribute('aria-hidden', 'true');
  meter.append(...qualities.map(() => document.createElement('i')));
  const text = document.createElement('span');
  text.className = 'link-bar-text';
  bar.append(meter, text);
  stage.append(bar);

  /** @type {CallLink | null} */
  let last = null;
  const render = () => {
    bar.hidden = !last;
    if (!last) return;
    const quality = qualities.includes(last.quality) ? last.quality : 'fair';
    bar.dataset.quality = quality;
    text.textContent = i18n.t('link.bar', {
      quality: i18n.t(`offer.link.${quality}`),
      rtt: last.rtt_ms || '–',
      loss: last.loss_pct.toFixed(1),
      kbps: last.bitrate_kbps,
    });
  };
  signaling.on('call.link', (d) => {
    if (d.party !== 'station' || !isCurrent(d)) return;
    last = d;
    render();
  });
  const reset = () => {
    last = null;
    render();
  };
  signaling.on('call.started', reset);
  signaling.on('call.ended', reset);
  i18n.addEventListener('change', render);
}
