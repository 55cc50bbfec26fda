// @ts-check
// OtherTiles shows the video of everyone in a call beyond the main party
// (a supervisor who barged in, a consulted agent after a merge) as small
// tiles with their names. CallConnection tells of these streams
// ('otherstream'); their voices already play there, so the tiles are muted.
// A party without a live camera track has no tile.

import { h } from './dom.js';

export class OtherTiles {
  #box;
  /** @type {Map<string, string>} party → name, from call.participants */
  #names = new Map();

  /** @param {HTMLElement} box where the tiles go */
  constructor(box) {
    this.#box = box;
  }

  /**
   * show adds, updates or removes the tile of one stream.
   * @param {{streamId: string, stream: MediaStream | null}} d
   */
  show({ streamId, stream }) {
    let tile = /** @type {HTMLElement | null} */ (this.#box.querySelector(`[data-stream="${CSS.escape(streamId)}"]`));
    const live = stream?.getVideoTracks().some((t) => t.readyState === 'live') ?? false;
    if (!stream || !live) {
      tile?.remove();
      this.#render();
      return;
    }
    if (!tile) {
      const party = streamId.replace(/-main$/, '');
      tile = h('figure', { class: 'other-tile', dataset: { stream: streamId, party } },
        h('video', { autoplay: true, muted: true, playsinline: true }), h('figcaption', {}));
      this.#box.append(tile);
    }
    const video = /** @type {HTMLVideoElement} */ (tile.querySelector('video'));
    video.muted = true;
    if (video.srcObject !== stream) video.srcObject = stream;
    video.play().catch((err) => console.debug('tiles: play', streamId, err.message));
    this.#render();
  }

  /**
   * names takes who is in the call, to caption the tiles.
   * @param {Array<{name: string, party: string}>} people
   */
  names(people) {
    this.#names = new Map(people.map((p) => [p.party, p.name]));
    this.#render();
  }

  clear() {
    this.#box.replaceChildren();
    this.#names.clear();
    this.#render();
  }

  #render() {
    for (const tile of /** @type {NodeListOf<HTMLElement>} */ (this.#box.querySelectorAll('.other-tile'))) {
      const caption = /** @type {HTMLElement} */ (tile.querySelector('figcaption'));
      caption.textContent = this.#names.get(tile.dataset.party ?? '') ?? '';
    }
    this.#box.hidden = this.#box.childElementCount === 0;
  }
}
