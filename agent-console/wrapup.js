// @ts-check
// Wrap-up after a call: the case outcome (with what is missing when the
// resident must bring more) and notes, with a visible countdown until the
// server puts the agent back to ready by itself; afterwards the desk shows
// the case number and due date the wrap-up gave. The same form gives the
// outcome of an unfinished case (未结办件), whose call ended without one,
// through the case API instead of the call.

import { $, h } from '/lib/dom.js';
import { formatDuration } from '/lib/i18n.js';
import { callEndedText } from './unfinished.js';

// The last call is kept so a reload during wrap-up can still submit it.
const lastCallKey = 'cloudwindow.console.lastcall';

export class WrapUp extends EventTarget {
  #sig;
  #session;
  #i18n;
  #call = null;
  #case = null; // an unfinished case being wrapped up, with its materials
  #deadline = 0;
  #timer = 0;
  #result = null; // case.updated data of the last wrap-up

  constructor({ signaling, session, i18n }) {
    super();
    this.#sig = signaling;
    this.#session = session;
    this.#i18n = i18n;
    $('#wrapup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#submit();
    });
    $('#wrapup-form').addEventListener('change', (e) => {
      if (e.target.name === 'outcome') this.#renderMissing();
    });
    $('#wrapup-cancel').addEventListener('click', () => {
      this.#case = null;
      this.dispatchEvent(new CustomEvent('cancel'));
    });
    i18n.addEventListener('change', () => {
      this.#render();
      this.#renderMissingChoices(new FormData($('#wrapup-form')).getAll('missing'));
      this.#renderResult();
    });
  }

  // open: the wrap-up of the call that just ended is under way.
  get open() {
    return Boolean(this.#call);
  }

  // callID is the call whose wrap-up is under way, if any.
  get callID() {
    return this.#call?.call?.call_id ?? '';
  }

  // followUp names the case and item being wrapped up, for booking the
  // resident's return with what is missing (followup.js).
  get followUp() {
    if (this.#case) return { caseId: this.#case.id, itemId: this.#case.item_id };
    const c = this.#call?.call;
    return c?.case_id ? { caseId: c.case_id, itemId: c.item?.id ?? '' } : null;
  }

  // editingCase: the form is open for an unfinished case.
  get editingCase() {
    return Boolean(this.#case);
  }

  // begin opens the form for an ended call: {call: call.started data,
  // ended: call.ended data, materials: the case's materials list}.
  begin(summary) {
    this.#call = summary;
    this.#case = null;
    sessionStorage.setItem(lastCallKey, JSON.stringify(summary));
    this.#reset();
  }

  // beginCase opens the form for an unfinished case (an entry of
  // GET /api/v1/cases/unfinished) with its materials.
  beginCase(unfinished, materials) {
    this.#case = { ...unfinished, materials };
    this.#reset();
  }

  #reset() {
    $('#wrapup-form').reset();
    $('#wrapup-error').textContent = '';
    this.#render();
    this.#renderMissingChoices();
    this.#renderMissing();
  }

  // restore reopens the form after a reload, if the ended call is known.
  restore() {
    try {
      const summary = JSON.parse(sessionStorage.getItem(lastCallKey) || 'null');
      if (summary) this.begin(summary);
    } catch {
      // Nothing usable to restore; the server's timeout ends wrap-up.
    }
    return this.open;
  }

  // setDeadline starts the countdown from agent.status wrapup_deadline_s.
  setDeadline(seconds) {
    if (!seconds) return;
    this.#deadline = Date.now() + seconds * 1000;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#renderCountdown(), 500);
    this.#renderCountdown();
  }

  // close ends wrap-up (submitted, or the server's timeout made the agent ready).
  close() {
    this.#call = null;
    this.#case = null;
    this.#deadline = 0;
    clearInterval(this.#timer);
    sessionStorage.removeItem(lastCallKey);
    this.#renderCountdown();
  }

  async #submit() {
    const call = this.#call?.call;
    const form = new FormData($('#wrapup-form'));
    const outcome = form.get('outcome');
    if (!(call || this.#case) || !outcome) return;
    const missing = outcome === 'needs_materials' ? form.getAll('missing') : [];
    if (outcome === 'needs_materials' && missing.length === 0) {
      $('#wrapup-error').textContent = this.#i18n.t('wrapup.missing_none');
      return;
    }
    $('#wrapup-submit').disabled = true;
    try {
      const body = { outcome, missing, notes: $('#wrapup-notes').value.trim() };
      let result;
      if (this.#case) {
        result = await this.#session.api(`/api/v1/cases/${encodeURIComponent(this.#case.id)}/wrapup`, { method: 'POST', body });
        this.#case = null;
      } else {
        result = (await this.#sig.request('call.wrapup', { call_id: call.call_id, ...body })).data;
        this.close();
      }
      this.#result = result;
      this.#renderResult();
      this.dispatchEvent(new CustomEvent('done', { detail: result }));
    } catch (err) {
      $('#wrapup-error').textContent = this.#i18n.t('wrapup.failed', { message: err.message });
    } finally {
      $('#wrapup-submit').disabled = false;
    }
  }

  #render() {
    const c = this.#case;
    $('#wrapup-cancel').hidden = !c;
    for (const [sel, key] of [['#wrapup-title', 'wrapup.title'], ['#wrapup-submit', 'wrapup.submit']]) {
      $(sel).dataset.i18n = c ? `${key}_case` : key;
      $(sel).textContent = this.#i18n.t($(sel).dataset.i18n);
    }
    if (c) {
      $('#wrapup-summary').textContent = this.#i18n.t('wrapup.case_summary', {
        number: c.number, station: c.station_name, item: c.item_name, when: callEndedText(this.#i18n, c),
      });
      this.#renderCountdown();
      return;
    }
    const s = this.#call;
    if (!s) return;
    const how = { station: 'ended_by_station', agent: 'ended_by_agent' }[s.ended?.by] ?? 'ended_disconnected';
    const text = this.#i18n.t('wrapup.summary', {
      station: s.call.station?.name ?? s.call.peer?.name ?? '',
      item: this.#i18n.pick(s.call.item, 'name'),
      duration: formatDuration(s.ended?.duration_s ?? 0),
      how: this.#i18n.t(`wrapup.${how}`),
    });
    $('#wrapup-summary').textContent = text;
    this.#renderCountdown();
  }

  // renderMissingChoices lists the item's materials to tick what the
  // resident must still bring: the ticked names, or else the required
  // ones not received.
  #renderMissingChoices(ticked = null) {
    const s = this.#case ?? this.#call;
    if (!s) return;
    const materials = s.materials?.length ? s.materials : s.call?.item?.materials ?? [];
    const isTicked = (m) => (ticked ? ticked.includes(m.name_zh) : m.required && !m.received);
    $('#wrapup-missing-list').replaceChildren(...materials.map((m) =>
      h('label', {},
        h('input', { type: 'checkbox', name: 'missing', value: m.name_zh, checked: isTicked(m) }),
        h('span', {}, this.#i18n.pick(m, 'name')))));
  }

  #renderMissing() {
    const outcome = new FormData($('#wrapup-form')).get('outcome');
    $('#wrapup-missing').hidden = outcome !== 'needs_materials';
  }

  // renderResult shows the last wrap-up's case on the desk: the number a
  // resident quotes and, for forwarded work, the promised date.
  #renderResult() {
    const r = this.#result;
    // A call handed on to a colleague is theirs to wrap up: no case here.
    $('#last-case').hidden = !r?.number;
    if (!r?.number) return;
    $('#last-case-number').textContent = r.number ?? '';
    $('#last-case-state').textContent = this.#i18n.t(`outcome.${r.state}`);
    $('#last-case-due').hidden = !r.due_date;
    $('#last-case-due').textContent = r.due_date ? this.#i18n.t('lastcase.due', { date: r.due_date }) : '';
    $('#last-case-missing').hidden = !r.missing?.length;
    $('#last-case-missing').textContent = r.missing?.length ? this.#i18n.t('lastcase.missing', { list: r.missing.join('、') }) : '';
  }

  #renderCountdown() {
    const left = Math.max(0, Math.ceil((this.#deadline - Date.now()) / 1000));
    const shown = Boolean(this.#deadline) && !this.#case;
    $('#wrapup-countdown').hidden = !shown;
    $('#wrapup-countdown').textContent = shown ? this.#i18n.t('wrapup.countdown', { n: left }) : '';
  }
}
