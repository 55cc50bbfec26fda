// @ts-check
// Station tickets (取号叫号): residents take a numbered ticket for an item
// and sit down; the kiosk shows the waiting list and, when an agent is free
// for a ticket, calls its number loudly (big display, chime, speech) until
// the resident taps 我来了. The call itself is StationCall's, as for any
// other request; see docs/protocol.md (Station: tickets).

import { $, h } from '/lib/dom.js';
import { speak } from './speech.js';
import { messages } from './strings.js';

// How often the number is called again while nobody answers.
const recallMs = 12_000;
// How long the slip of a newly taken ticket stays before the waiting list.
const slipMs = 10_000;

/**
 * @typedef {{request_id: string, ticket: string, item_id: string, item_name: string,
 *   green_channel: string, position: number, estimated_wait_s: number,
 *   state: string, requeued: boolean}} Ticket
 * @typedef {{request_id: string, ticket: string, item_name: string,
 *   green_channel: string, answer_timeout_s: number, requeued: boolean}} TicketCall
 */

export class TicketBoard extends EventTarget {
  #sig;
  #i18n;
  #screens;
  #busy;
  /** @type {Ticket[]} */
  #tickets = [];
  /** @type {TicketCall | null} */
  #calling = null;
  #callEnds = 0;
  #countdown = 0;
  #recall = 0;
  #slipTimer = 0;
  /** @type {AudioContext | null} */
  #audio = null;

  /**
   * @param {{signaling: any, i18n: any, screens: any, busy: () => boolean}} opts
   *   busy reports whether the kiosk is taken up by a call or what follows
   *   it; a number called then is shown once it is free.
   */
  constructor({ signaling, i18n, screens, busy }) {
    super();
    this.#sig = signaling;
    this.#i18n = i18n;
    this.#screens = screens;
    this.#busy = busy;
    signaling.on('ticket.list', (/** @type {{tickets: Ticket[]}} */ d) => this.#onList(d.tickets ?? []));
    signaling.on('ticket.call', (/** @type {TicketCall} */ d) => this.#onCall(d));
    signaling.on('ticket.call_ended', (/** @type {{request_id: string, outcome: string}} */ d) => this.#onCallEnded(d));
    signaling.on('call.started', () => this.#stopCalling());
    $('#ticket-answer').addEventListener('click', () => this.#answer());
    $('#ticket-slip-ok').addEventListener('click', () => this.show());
    $('#tickets-take').addEventListener('click', () => this.dispatchEvent(new CustomEvent('take')));
    i18n.addEventListener('change', () => this.#render());
  }

  /** active reports whether the station holds tickets. */
  get active() {
    return this.#tickets.length > 0 || Boolean(this.#calling);
  }

  /** The number being called now, '' if none (for support and tests). */
  get calling() {
    return this.#calling?.ticket ?? '';
  }

  /**
   * take gets a ticket for the item and shows its slip.
   * @param {{id: string}} item
   * @param {string} green a green-channel reason or ''
   */
  async take(item, green) {
    let reply;
    try {
      reply = await this.#sig.request('ticket.take', { item_id: item.id, green_channel: green });
    } catch (err) {
      this.#failed(err);
      return;
    }
    /** @type {Ticket} */
    const t = reply.data;
    if (!this.#tickets.some((x) => x.request_id === t.request_id)) this.#tickets.push(t);
    $('#ticket-slip-number').textContent = t.ticket;
    $('#ticket-slip-item').textContent = t.item_name;
    const ahead = Math.max(0, t.position - 1);
    $('#ticket-slip-ahead').textContent = this.#i18n.t('ticket.ahead', { n: ahead });
    this.#screens.show('ticket-slip');
    speak(this.#zh('ticket.speech_taken', { ticket: spoken(t.ticket) }));
    clearTimeout(this.#slipTimer);
    this.#slipTimer = window.setTimeout(() => this.#screens.current === 'ticket-slip' && this.show(), slipMs);
  }

  /** @param {any} err */
  #failed(err) {
    console.warn('station: ticket.take', err);
    const key = {
      no_agents: 'notice.no_agents',
      queue_unavailable: 'notice.queue_unavailable',
      offline: 'notice.offline',
      timeout: 'notice.offline',
    }[err?.code ?? ''] ?? 'notice.error';
    $('#notice-title').textContent = this.#i18n.t(`${key}.title`);
    $('#notice-text').textContent = this.#i18n.t(`${key}.text`);
    $('#notice-hours').textContent = key === 'notice.no_agents' ? this.#i18n.t('notice.hours') : '';
    $('#notice-hours').hidden = key !== 'notice.no_agents';
    this.#screens.show('notice');
  }

  /**
   * show puts up the number being called or the waiting list; false when
   * the station holds no tickets (the caller shows its own screen).
   */
  show() {
    clearTimeout(this.#slipTimer);
    if (this.#calling && !this.#busy()) {
      this.#showCall();
      return true;
    }
    if (!this.active) return false;
    this.#render();
    this.#screens.show('tickets');
    return true;
  }

  /** refresh asks the server for the waiting list (after (re)connecting). */
  refresh() {
    this.#sig.request('ticket.list', {}).then(
      (/** @type {{data: {tickets: Ticket[]}}} */ m) => this.#onList(m.data.tickets ?? []),
      (/** @type {unknown} */ err) => console.warn('station: ticket.list', err),
    );
  }

  /** @param {Ticket[]} tickets */
  #onList(tickets) {
    this.#tickets = tickets;
    this.#render();
    const here = this.#screens.current;
    if (here === 'tickets' && !this.active) this.dispatchEvent(new CustomEvent('empty'));
    // A kiosk restarted while residents wait with numbers goes back to the list.
    else if (here === 'idle' && this.active) this.show();
  }

  /** @param {TicketCall} d */
  #onCall(d) {
    this.#calling = d;
    this.#callEnds = Date.now() + d.answer_timeout_s * 1000;
    this.#render();
    if (!this.#busy()) this.#showCall();
  }

  #showCall() {
    const d = this.#calling;
    if (!d) return;
    $('#ticket-call-number').textContent = d.ticket;
    $('#ticket-call-item').textContent = d.item_name;
    $('#ticket-answer').disabled = false;
    this.#screens.show('ticket-call');
    this.#announce();
    clearInterval(this.#recall);
    this.#recall = window.setInterval(() => this.#announce(), recallMs);
    clearInterval(this.#countdown);
    this.#tick();
    this.#countdown = window.setInterval(() => this.#tick(), 1000);
  }

  #tick() {
    const left = Math.max(0, Math.ceil((this.#callEnds - Date.now()) / 1000));
    const key = this.#calling?.requeued ? 'ticket.call_left_last' : 'ticket.call_left';
    $('#ticket-call-left').textContent = this.#i18n.t(key, { n: left });
  }

  #announce() {
    const d = this.#calling;
    if (!d) return;
    chime(this.#audioContext());
    const text = this.#zh('ticket.speech_call', { ticket: spoken(d.ticket) });
    // After the chime, so that the two do not talk over each other.
    window.setTimeout(() => speak(text), 900);
  }

  async #answer() {
    const d = this.#calling;
    if (!d) return;
    $('#ticket-answer').disabled = true;
    try {
      await this.#sig.request('ticket.answer', { request_id: d.request_id });
    } catch (err) {
      console.warn('station: ticket.answer', err);
      $('#ticket-answer').disabled = false;
      return;
    }
    this.#stopCalling();
    this.#screens.show('ticket-connecting');
  }

  /** @param {{request_id: string, outcome: string}} d */
  #onCallEnded(d) {
    if (this.#calling?.request_id !== d.request_id) return;
    const wasShown = this.#screens.current === 'ticket-call';
    this.#stopCalling();
    if (d.outcome === 'answered') {
      if (wasShown) this.#screens.show('ticket-connecting');
      return;
    }
    if (wasShown || this.#screens.current === 'ticket-connecting') {
      if (!this.show()) this.dispatchEvent(new CustomEvent('empty'));
    }
  }

  #stopCalling() {
    this.#calling = null;
    clearInterval(this.#recall);
    clearInterval(this.#countdown);
    window.speechSynthesis?.cancel();
  }

  #render() {
    const calling = this.#tickets.find((t) => t.state === 'calling' || t.state === 'answered');
    $('#tickets-calling-number').textContent = calling ? calling.ticket : '—';
    const rows = this.#tickets
      .filter((t) => t !== calling)
      .map((t) =>
        h('li', { class: 'ticket-row', 'data-ticket': t.ticket },
          h('strong', { class: 'ticket-row-number' }, t.ticket),
          h('span', { class: 'ticket-row-item' }, t.item_name),
          h('span', { class: 'ticket-row-pos muted' },
            t.requeued ? this.#i18n.t('ticket.requeued') : this.#i18n.t('ticket.position', { n: t.position }))));
    $('#tickets-list').replaceChildren(...rows);
    $('#tickets-empty').hidden = rows.length > 0;
  }

  /**
   * @param {string} key
   * @param {Record<string, string | number>} vars
   */
  #zh(key, vars) {
    const text = /** @type {Record<string, string>} */ (messages.zh)[key] ?? '';
    return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
  }

  #audioContext() {
    if (!this.#audio && typeof AudioContext !== 'undefined') {
      try {
        this.#audio = new AudioContext();
      } catch {
        this.#audio = null;
      }
    }
    return this.#audio;
  }
}

/**
 * spoken spells a ticket number for speech: "A003" as "A 0 0 3", so that
 * the voice reads each character instead of a number.
 * @param {string} ticket
 */
function spoken(ticket) {
  return ticket.split('').join(' ');
}

/**
 * chime plays a two-tone 叮咚 of about a second; silent without audio.
 * @param {AudioContext | null} ctx
 */
function chime(ctx) {
  if (!ctx) return;
  ctx.resume?.().catch(() => {});
  const start = ctx.currentTime;
  [[880, 0], [660, 0.45]].forEach(([freq, at]) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start + at);
    gain.gain.exponentialRampToValueAtTime(0.5, start + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.5);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + at);
    osc.stop(start + at + 0.55);
  });
}
