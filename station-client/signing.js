// @ts-check
// Signing a confirmation sheet (办件确认单): when the agent pushes one, the
// kiosk shows exactly the page the server generated, full screen, and the
// resident signs under it with a finger. The signature goes back with the
// SHA-256 of the page shown, so the case records what was signed.

import { $ } from '/lib/dom.js';
import { SignaturePad } from './signpad.js';
import { sha256Hex } from './upload.js';

const doneMs = 2500;

export class FormSigning {
  #session;
  #i18n;
  #pad;
  #callId = '';
  #form = null; // {id, number, sha256} of the sheet on screen
  #sending = false;
  #doneTimer = 0;
  #error = '';

  constructor({ signaling, session, i18n }) {
    this.#session = session;
    this.#i18n = i18n;
    this.#pad = new SignaturePad($('#sign-pad'));
    this.#pad.addEventListener('change', () => {
      $('#sign-pad-hint').hidden = !this.#pad.isEmpty;
      if (!this.#pad.isEmpty && this.#error === 'sign.empty') this.#setError('');
    });
    signaling.on('form.pushed', (d) => d.call_id === this.#callId && this.#show(d));
    $('#sign-clear').addEventListener('click', () => this.#pad.clear());
    $('#sign-confirm').addEventListener('click', () => this.#submit());
    $('#sign-back').addEventListener('click', () => this.#close());
    i18n.addEventListener('change', () => this.#setError(this.#error));
  }

  // open reports whether a sheet is on screen.
  get open() {
    return !$('#sign-layer').hidden;
  }

  start(callId) {
    this.stop();
    this.#callId = callId;
  }

  stop() {
    this.#callId = '';
    this.#close();
  }

  // show fetches the pushed sheet and puts it on screen, after checking
  // that it is the very page the agent's push announced.
  async #show(pushed) {
    const id = pushed.form_id;
    this.#form = { id, number: pushed.case_number ?? '', sha256: '' };
    clearTimeout(this.#doneTimer);
    this.#open();
    let form;
    try {
      form = await this.#session.api(`/api/v1/forms/${encodeURIComponent(id)}`);
    } catch (err) {
      console.warn('station: fetch form', err);
      if (this.#form?.id === id) this.#failed('sign.load_failed');
      return;
    }
    const sum = await sha256Hex(form.html ?? '');
    if (this.#form?.id !== id) return; // another sheet came meanwhile
    if (sum !== pushed.sha256 || sum !== form.sha256) {
      this.#failed('sign.mismatch');
      return;
    }
    this.#form.sha256 = sum;
    // The frame may run no scripts, submit nothing and follow no links. It
    // keeps the kiosk's origin only to be drawn in the kiosk's own process:
    // Chromium showed an opaque-origin frame here as a blank page.
    $('#sign-form').srcdoc = form.html;
    $('#sign-confirm').disabled = false;
  }

  #open() {
    $('#sign-number').textContent = this.#form.number;
    $('#sign-form').srcdoc = '';
    $('#sign-done').hidden = true;
    $('#sign-back').hidden = true;
    $('#sign-confirm').disabled = true;
    this.#setError('');
    $('#sign-layer').hidden = false;
    this.#pad.fit();
  }

  #failed(key) {
    this.#setError(key);
    $('#sign-confirm').disabled = true;
    $('#sign-back').hidden = false;
  }

  async #submit() {
    const form = this.#form;
    if (!form?.sha256 || this.#sending) return;
    if (this.#pad.isEmpty) {
      this.#setError('sign.empty');
      return;
    }
    this.#sending = true;
    $('#sign-confirm').disabled = true;
    this.#setError('');
    try {
      await this.#session.api(`/api/v1/forms/${encodeURIComponent(form.id)}/signature`, {
        method: 'POST',
        body: { png_base64: this.#pad.pngBase64(), content_sha256: form.sha256 },
      });
      this.#signed(form);
    } catch (err) {
      console.warn('station: sign', err);
      this.#signFailed(form, err);
    } finally {
      this.#sending = false;
      if (this.#form === form && $('#sign-done').hidden) $('#sign-confirm').disabled = false;
    }
  }

  #signed(form) {
    if (this.#form !== form) return;
    $('#sign-done').hidden = false;
    this.#doneTimer = setTimeout(() => this.#form === form && this.#close(), doneMs);
  }

  #signFailed(form, err) {
    if (this.#form !== form) return;
    if (err.code === 'conflict') {
      this.#signed(form); // signed already: an earlier try got through
    } else if (err.code === 'content_changed') {
      this.#failed('sign.changed');
    } else if (err.code === 'invalid') {
      this.#setError('sign.invalid');
    } else {
      this.#setError('sign.failed');
    }
  }

  #close() {
    clearTimeout(this.#doneTimer);
    this.#form = null;
    $('#sign-layer').hidden = true;
    $('#sign-form').srcdoc = '';
    this.#pad.clear();
  }

  #setError(key) {
    this.#error = key;
    $('#sign-error').textContent = key ? this.#i18n.t(key) : '';
  }
}
