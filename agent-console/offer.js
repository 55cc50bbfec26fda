// @ts-check
// The ringing offer: who calls (station, island badge), about what, how long
// they have waited, whether it is green channel; answer or decline before
// the ring runs out. It disappears when the server withdraws it.

import { $ } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { Ringer } from './ringer.js';

export class OfferPanel extends EventTarget {
  #sig;
  #i18n;
  #offer = null;
  #shownAt = 0;
  #timer = 0;
  #busy = false;
  #title = document.title;
  ringer = new Ringer();

  constructor({ signaling, i18n }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    signaling.on('call.offer', (d) => this.#show(d));
    signaling.on('call.offer_withdrawn', (d) => this.#withdrawn(d));
    $('#offer-accept').addEventListener('click', () => this.accept());
    $('#offer-reject').addEventListener('click', () => this.reject());
    i18n.addEventListener('change', () => this.#render());
  }

  get ringing() {
    return Boolean(this.#offer);
  }

  async accept() {
    const offer = this.#offer;
    if (!offer || this.#busy) return;
    this.#busy = true;
    this.#setButtons(false);
    try {
      const reply = await this.#sig.request('call.accept', { request_id: offer.request_id });
      this.#hide();
      this.dispatchEvent(new CustomEvent('accepted', { detail: reply.data }));
    } catch (err) {
      this.#hide();
      this.#say(this.#i18n.t('offer.failed', { message: err.message }));
    } finally {
      this.#busy = false;
      this.#setButtons(true);
    }
  }

  async reject() {
    const offer = this.#offer;
    if (!offer || this.#busy) return;
    this.#hide();
    try {
      await this.#sig.request('call.reject', { request_id: offer.request_id });
    } catch (err) {
      console.warn('console: call.reject', err);
    }
  }

  // clear drops a ringing offer the server no longer knows about (e.g. after
  // a reconnect that started a new session).
  clear() {
    if (this.#offer) this.#hide();
  }

  #show(d) {
    this.#offer = d;
    this.#shownAt = Date.now();
    this.#render();
    $('#offer').hidden = false;
    this.ringer.start();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#tick(), 250);
    this.#tick();
    this.dispatchEvent(new CustomEvent('change', { detail: true }));
    $('#offer-accept').focus();
  }

  #render() {
    const d = this.#offer;
    if (!d) return;
    $('#offer-station').textContent = d.station?.name ?? '';
    $('#offer-region').textContent = d.station?.region ?? '';
    $('#offer-island').hidden = !d.station?.island;
    this.#renderLink(d.station?.link);
    $('#offer-audio-only').hidden = !d.station?.audio_only;
    $('#offer-item').textContent = this.#i18n.pick(d.item, 'name');
    $('#offer-green').hidden = !d.green_channel;
    $('#offer-green').textContent = d.green_channel ? this.#i18n.t(`green.${d.green_channel}`) : '';
    $('#offer').classList.toggle('is-green', Boolean(d.green_channel));
  }

  // #renderLink says how good the station's link is (the server's measure
  // of its round trip, and the kiosk's last pre-call check of loss and
  // bandwidth), so the agent knows what picture to expect.
  #renderLink(link) {
    const el = $('#offer-link');
    const quality = ['good', 'fair', 'poor'].includes(link?.quality) ? link.quality : 'unknown';
    const name = this.#i18n.t(`offer.link.${quality}`);
    let text = quality === 'unknown' ? name : this.#i18n.t('offer.link.rtt', { quality: name, ms: link.rtt_ms });
    if (link?.profile === 'low_bandwidth') text += ` · ${this.#i18n.t('offer.link.low_bandwidth')}`;
    if (link?.checked_at) {
      text += ` · ${this.#i18n.t('offer.link.check', { loss: link.loss_pct ?? 0, down: link.down_kbps ?? 0, up: link.up_kbps ?? 0 })}`;
    }
    el.textContent = text;
    el.dataset.quality = quality;
  }

  #tick() {
    const d = this.#offer;
    if (!d) return;
    const elapsed = (Date.now() - this.#shownAt) / 1000;
    $('#offer-waited').textContent = formatDuration((d.waited_s ?? 0) + elapsed);
    const ring = d.ring_timeout_s || 20;
    $('#offer-progress').style.width = `${Math.max(0, 100 - (elapsed / ring) * 100)}%`;
    // Flash the tab title so a ringing console is seen behind other windows.
    document.title = Math.floor(elapsed * 2) % 2 ? this.#title : this.#i18n.t('offer.tab_title');
  }

  #withdrawn(d) {
    if (!this.#offer || d.request_id !== this.#offer.request_id) return;
    this.#hide();
    const known = ['cancelled', 'timeout', 'taken'];
    this.#say(this.#i18n.t(`offer.withdrawn.${known.includes(d.reason) ? d.reason : 'other'}`));
    if (d.reason === 'timeout') this.dispatchEvent(new CustomEvent('missed'));
  }

  #hide() {
    this.#offer = null;
    clearInterval(this.#timer);
    this.ringer.stop();
    document.title = this.#title;
    $('#offer').hidden = true;
    this.dispatchEvent(new CustomEvent('change', { detail: false }));
  }

  #setButtons(enabled) {
    $('#offer-accept').disabled = !enabled;
    $('#offer-reject').disabled = !enabled;
  }

  #say(text) {
    this.dispatchEvent(new CustomEvent('notice', { detail: text }));
  }
}
