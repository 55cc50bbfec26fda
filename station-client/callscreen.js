// @ts-check
// The station's video screen: the agent large, the resident small, the
// document camera's preview, captions of the agent's chat messages, and the
// two buttons an elderly resident needs — mute and hang up.

import { $, h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { playInto } from '/lib/media.js';

const maxCaptions = 3;

export class CallScreen {
  #i18n;
  #timer = 0;
  #startedAt = 0;
  #peerTrouble = '';
  #mediaTrouble = false;
  #data = null;

  constructor({ i18n, onMute }) {
    this.#i18n = i18n;
    $('#mute').addEventListener('click', () => {
      const muted = $('#mute').getAttribute('aria-pressed') !== 'true';
      $('#mute').setAttribute('aria-pressed', String(muted));
      onMute(muted);
    });
    $('#sound-on').addEventListener('click', () => {
      const v = $('#remote-video');
      v.muted = false;
      v.play().catch(() => {});
      $('#sound-on').hidden = true;
    });
    $('#remote-video').addEventListener('resize', () => this.#videoArrived());
    i18n.addEventListener('change', () => this.#renderText());
    // The captions' room changes with the window, banners, and the status
    // above them; the stage's size does not depend on the captions, so
    // showing them all again here cannot loop.
    new ResizeObserver(() => this.#fitCaptions(true)).observe($('.call-stage'));
    new ResizeObserver(() => this.#fitCaptions(false)).observe($('#captions'));
  }

  // open fills the screen for a call (call.started data) and the local media.
  open(data, media, documentStream) {
    this.#data = data;
    const started = Date.parse(data.started_at);
    // A kiosk clock may be off; never show a negative or huge timer.
    this.#startedAt = Number.isNaN(started) || started > Date.now() ? Date.now() : started;
    $('#mute').setAttribute('aria-pressed', 'false');
    $('#captions').replaceChildren();
    $('#call-waiting').hidden = false;
    $('#sound-on').hidden = true;
    this.#peerTrouble = '';
    this.#mediaTrouble = false;
    this.setLocal(media, documentStream);
    this.#renderText();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#tick();
  }

  setLocal(media, documentStream) {
    const hasVideo = Boolean(media?.getVideoTracks().length);
    $('.pip-self').hidden = !hasVideo;
    if (hasVideo) playInto($('#self-video'), media);
    $('#document-pip').hidden = !documentStream;
    if (documentStream) playInto($('#document-video'), documentStream);
  }

  // remote shows the agent's stream ("main"); an agent's document stream is
  // not expected and not shown.
  remote({ role, stream }) {
    if (role !== 'main') return;
    playInto($('#remote-video'), stream, () => {
      $('#sound-on').hidden = false;
    });
    if (!stream.getVideoTracks().length) this.#renderWaiting();
  }

  peerState(state) {
    this.#peerTrouble = state === 'connected' ? '' : state;
    this.#renderTrouble();
  }

  mediaState(state) {
    this.#mediaTrouble = state === 'disconnected' || state === 'failed';
    this.#renderTrouble();
  }

  caption({ name, text }) {
    const list = $('#captions');
    list.append(h('li', {}, h('strong', {}, `${name}：`), text));
    while (list.children.length > maxCaptions) list.firstElementChild.remove();
    this.#fitCaptions(false);
  }

  // fitCaptions hides the older captions that no longer fit above the
  // newest, whole, rather than cut through a line; the newest always shows.
  // With showAll it first gives every caption its chance again.
  #fitCaptions(showAll) {
    const list = $('#captions');
    const items = /** @type {HTMLElement[]} */ ([...list.children]);
    if (showAll) for (const li of items) li.hidden = false;
    const top = list.getBoundingClientRect().top;
    for (const li of items.slice(0, -1)) {
      if (li.getBoundingClientRect().top < top - 0.5) li.hidden = true;
    }
  }

  close() {
    clearInterval(this.#timer);
    this.#timer = 0;
    this.#data = null;
    for (const id of ['#remote-video', '#self-video', '#document-video']) {
      $(id).srcObject = null;
    }
    $('#remote-video').muted = false;
  }

  #videoArrived() {
    if ($('#remote-video').videoWidth > 0) $('#call-waiting').hidden = true;
  }

  #tick() {
    $('#call-timer').textContent = formatDuration((Date.now() - this.#startedAt) / 1000);
  }

  #renderText() {
    const d = this.#data;
    if (!d) return;
    $('#call-agent').textContent = d.peer?.name ?? '';
    $('#call-item').textContent = this.#i18n.pick(d.item, 'name');
    this.#renderWaiting();
    this.#renderTrouble();
  }

  #renderWaiting() {
    const stream = $('#remote-video').srcObject;
    const audioOnly = stream && !stream.getVideoTracks().length;
    $('#call-waiting').classList.toggle('voice', Boolean(audioOnly));
    $('#call-waiting p').textContent = this.#i18n.t(audioOnly ? 'call.audio_only' : 'call.connecting');
  }

  #renderTrouble() {
    const el = $('#call-peer-state');
    let key = '';
    if (this.#mediaTrouble) key = 'call.media_reconnecting';
    else if (this.#peerTrouble === 'reconnecting') key = 'call.peer_reconnecting';
    else if (this.#peerTrouble) key = 'call.peer_disconnected';
    el.hidden = !key;
    el.textContent = key ? this.#i18n.t(key) : '';
  }
}
