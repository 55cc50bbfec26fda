// @ts-check
// Case work during a call: the scans the station sends (shown at once, opened
// in the viewer to zoom, rotate, ask for a re-scan or accept as one of the
// item's materials), the materials checklist with what is in, the
// resident's stated details, and the confirmation sheet pushed to the
// station with the resident's signature coming back.

import { $, h } from '/lib/dom.js';
import { ScanViewer } from './scanviewer.js';

const residentFields = ['name', 'id_number', 'phone', 'address', 'request'];

export class CasePanel extends EventTarget {
  #session;
  #i18n;
  #viewer;
  #call = null; // call.started data
  #materials = [];
  #scans = new Map(); // document id → {doc, blob, url}
  #form = null; // {id, signature: {image_url, signed_at} | null}
  #signatureURL = '';
  #residentSaved = '';

  constructor({ signaling, session, i18n }) {
    super();
    this.#session = session;
    this.#i18n = i18n;
    this.#viewer = new ScanViewer({ i18n });
    this.#viewer.addEventListener('accept', (/** @type {CustomEvent} */ e) => this.#accept(e.detail.id, e.detail.material));
    this.#viewer.addEventListener('rescan', (/** @type {CustomEvent} */ e) => this.#rescan(e.detail.id));
    signaling.on('document.updated', (d) => this.#isCurrent(d) && this.#scanUpdated(d.document ?? {}));
    signaling.on('form.signed', (d) => this.#isCurrent(d) && this.#signed(d));
    $('#scan-list').addEventListener('click', (e) => this.#open(e.target.closest('[data-doc]')?.dataset.doc));
    $('#resident-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#saveResident().catch(() => {});
    });
    $('#push-form').addEventListener('click', () => this.#pushForm());
    i18n.addEventListener('change', () => this.#render());
  }

  // materials is the item's materials list with what the case has, for
  // the wrap-up's "what is missing".
  get materials() {
    return this.#materials;
  }

  // start shows the case of a call (call.started data) and loads what it
  // already holds, so a reload mid-call loses nothing on screen.
  start(call) {
    this.stop();
    this.#call = call;
    this.#materials = (call.item?.materials ?? []).map((m) => ({ ...m, received: false, document_ids: [] }));
    $('#resident-form').reset();
    $('#resident-details').open = false;
    this.#setCaseStatus('');
    this.#residentSaved = JSON.stringify(this.#resident());
    this.#render();
    this.#load(call).catch((err) => console.warn('console: load case', err));
  }

  stop() {
    this.#call = null;
    this.#viewer.clear();
    for (const s of this.#scans.values()) if (s.url) URL.revokeObjectURL(s.url);
    this.#scans.clear();
    this.#form = null;
    this.#setSignature(null);
    this.#materials = [];
  }

  async #load(call) {
    const id = encodeURIComponent(call.call_id);
    const [detail, list] = await Promise.all([
      this.#session.api(`/api/v1/calls/${id}/case`),
      this.#session.api(`/api/v1/calls/${id}/documents`),
    ]);
    if (this.#call !== call) return;
    // What the agent typed while the case loaded is newer than what it holds.
    if (JSON.stringify(this.#resident()) === this.#residentSaved) this.#fillResident(detail.resident ?? {});
    if (detail.materials?.length) this.#materials = detail.materials;
    const form = detail.forms?.at(-1);
    const sig = form && detail.signatures?.find((s) => s.form_id === form.id);
    this.#form = form ? { id: form.id, signature: sig ?? null } : null;
    if (sig) this.#loadSignature(sig.image_url);
    for (const doc of list.documents ?? []) this.#scanUpdated(doc, { quiet: true });
    this.#render();
  }

  // scanUpdated adds or refreshes a scan; a new one is fetched at once so
  // the agent can open it without waiting.
  #scanUpdated(doc, { quiet = false } = {}) {
    if (!doc.id) return;
    const known = this.#scans.get(doc.id);
    const entry = known ?? { doc, blob: null, url: '' };
    entry.doc = doc;
    this.#scans.set(doc.id, entry);
    if (!known) {
      this.#fetchScan(entry);
      if (!quiet) this.#notice(this.#i18n.t('scan.arrived', { name: doc.filename }));
    }
    this.#viewer.update(doc);
    this.#renderScans(known ? '' : doc.id);
  }

  async #fetchScan(entry) {
    try {
      entry.blob = await this.#session.blob(`/api/v1/documents/${encodeURIComponent(entry.doc.id)}`);
      entry.url = URL.createObjectURL(entry.blob);
    } catch (err) {
      console.warn('console: fetch scan', err);
      entry.failed = true;
    }
    if (this.#scans.get(entry.doc.id) !== entry) {
      if (entry.url) URL.revokeObjectURL(entry.url);
      return;
    }
    this.#renderScans();
    this.#viewer.loaded(entry);
  }

  #open(id) {
    const entry = id && this.#scans.get(id);
    if (!entry) return;
    if (entry.failed) {
      entry.failed = false;
      this.#fetchScan(entry);
    }
    this.#viewer.open(entry, this.#materials);
  }

  async #accept(id, material) {
    try {
      const r = await this.#session.api(`/api/v1/documents/${encodeURIComponent(id)}/accept`, {
        method: 'POST',
        body: { material },
      });
      if (!this.#call) return;
      this.#materials = r.materials ?? this.#materials;
      this.#scanUpdated(r.document);
      this.#renderMaterials();
      this.#viewer.close();
    } catch (err) {
      this.#viewer.failed(this.#i18n.t('scan.accept_failed', { message: err.message }));
    }
  }

  async #rescan(id) {
    try {
      const doc = await this.#session.api(`/api/v1/documents/${encodeURIComponent(id)}/rescan`, { method: 'POST' });
      if (!this.#call) return;
      this.#scanUpdated(doc);
      this.#viewer.close();
      this.#notice(this.#i18n.t('scan.rescan_sent'));
    } catch (err) {
      this.#viewer.failed(this.#i18n.t('scan.rescan_failed', { message: err.message }));
    }
  }

  #resident() {
    const out = {};
    for (const f of residentFields) out[f] = $(`#resident-${f}`).value.trim();
    return out;
  }

  #fillResident(r) {
    for (const f of residentFields) $(`#resident-${f}`).value = r[f] ?? '';
    this.#residentSaved = JSON.stringify(this.#resident());
    this.#renderResidentSummary();
  }

  // saveResident stores what the resident stated, if it changed.
  async #saveResident() {
    const r = this.#resident();
    if (!this.#call || JSON.stringify(r) === this.#residentSaved) return;
    $('#resident-save').disabled = true;
    try {
      await this.#session.api(`/api/v1/cases/${encodeURIComponent(this.#call.case_id)}/resident`, { method: 'PUT', body: r });
      this.#residentSaved = JSON.stringify(r);
      this.#setCaseStatus('case.resident_saved');
      this.#renderResidentSummary();
    } catch (err) {
      this.#setCaseStatus('case.resident_failed', { message: err.message }, true);
      throw err;
    } finally {
      $('#resident-save').disabled = false;
    }
  }

  // pushForm saves the resident's details first: the sheet is generated
  // from the case as it stands.
  async #pushForm() {
    const call = this.#call;
    if (!call) return;
    $('#push-form').disabled = true;
    try {
      await this.#saveResident();
      await this.#createForm(call);
    } catch (err) {
      console.warn('console: push form', err); // the message is on screen
    } finally {
      $('#push-form').disabled = false;
    }
  }

  async #createForm(call) {
    let f;
    try {
      f = await this.#session.api(`/api/v1/cases/${encodeURIComponent(call.case_id)}/forms`, { method: 'POST' });
    } catch (err) {
      this.#setCaseStatus('case.push_failed', { message: err.message }, true);
      throw err;
    }
    if (this.#call !== call) return;
    // A quick station signs before this answer is back: keep its signature.
    if (this.#form?.id !== f.id || !this.#form.signature) {
      this.#form = { id: f.id, signature: null };
      this.#setSignature(null);
    }
    this.#setCaseStatus('');
    $('#resident-details').open = false; // the sheet holds them now
    this.#renderForm();
  }

  #signed(d) {
    if (this.#form?.id !== d.form_id) this.#form = { id: d.form_id, signature: null };
    this.#form.signature = { image_url: d.image_url, signed_at: d.signed_at };
    this.#renderForm();
    this.#loadSignature(d.image_url);
    this.#notice(this.#i18n.t('case.signed_notice'));
  }

  async #loadSignature(path) {
    const call = this.#call;
    try {
      const blob = await this.#session.blob(path);
      if (this.#call === call) this.#setSignature(blob);
    } catch (err) {
      console.warn('console: signature image', err);
    }
  }

  #setSignature(blob) {
    if (this.#signatureURL) URL.revokeObjectURL(this.#signatureURL);
    this.#signatureURL = blob ? URL.createObjectURL(blob) : '';
    const img = $('#signature-image');
    img.src = this.#signatureURL;
    img.hidden = !this.#signatureURL;
    if (this.#signatureURL) img.addEventListener('load', () => img.scrollIntoView({ block: 'nearest' }), { once: true });
  }

  #notice(text) {
    this.dispatchEvent(new CustomEvent('notice', { detail: text }));
  }

  #isCurrent(d) {
    return Boolean(this.#call) && d.call_id === this.#call.call_id;
  }

  #render() {
    if (!this.#call) return;
    $('#case-number').textContent = this.#call.case_number ?? '';
    this.#renderMaterials();
    this.#renderScans();
    this.#renderForm();
    this.#renderResidentSummary();
  }

  #renderMaterials() {
    const have = this.#materials.filter((m) => m.received).length;
    $('#materials-count').textContent = this.#materials.length
      ? this.#i18n.t('guide.materials_count', { have, total: this.#materials.length })
      : '';
    $('#guide-materials').replaceChildren(...this.#materials.map((m) =>
      h('li', { class: m.received ? 'is-received' : '', dataset: { material: m.name_zh } },
        h('span', { class: 'tick', 'aria-hidden': 'true' }, m.received ? '✓' : ''),
        h('span', { class: 'material-name' }, this.#i18n.pick(m, 'name')),
        h('span', { class: m.required ? 'badge badge-amber' : 'badge badge-soft' },
          this.#i18n.t(m.required ? 'guide.required' : 'guide.optional')))));
  }

  #renderScans(fresh = '') {
    const entries = [...this.#scans.values()];
    $('#scans-empty').hidden = entries.length > 0;
    $('#scans-count').textContent = entries.length ? String(entries.length) : '';
    $('#scan-list').replaceChildren(...entries.map((s) => this.#scanItem(s, s.doc.id === fresh)));
  }

  #scanItem({ doc, url }, fresh) {
    const image = doc.content_type?.startsWith('image/');
    const thumb = image && url
      ? h('img', { src: url, alt: '' })
      : h('span', { class: 'scan-kind' }, image ? '…' : 'PDF');
    const status = doc.status === 'accepted'
      ? this.#i18n.t('scan.status_accepted', { material: doc.material ?? '' })
      : this.#i18n.t(`scan.status_${doc.status}`);
    return h('li', {},
      h('button', { type: 'button', class: fresh ? 'scan is-new' : 'scan', dataset: { doc: doc.id, status: doc.status } },
        thumb,
        h('span', { class: 'scan-name' }, doc.filename),
        h('span', { class: `scan-badge scan-${doc.status}` }, status)));
  }

  #renderForm() {
    const f = this.#form;
    let text = this.#i18n.t('case.form_none');
    if (f?.signature) {
      const at = new Date(f.signature.signed_at);
      const time = Number.isNaN(at.getTime()) ? '' : at.toLocaleTimeString(this.#locale(), { hour: '2-digit', minute: '2-digit' });
      text = this.#i18n.t('case.form_signed', { time });
    } else if (f) {
      text = this.#i18n.t('case.form_waiting');
    }
    $('#form-status').textContent = text;
    $('#form-status').dataset.state = f?.signature ? 'signed' : f ? 'waiting' : '';
    $('#push-form-label').textContent = this.#i18n.t(f ? 'case.push_again' : 'case.push');
  }

  #renderResidentSummary() {
    const name = $('#resident-name').value.trim();
    $('#resident-summary').textContent = name || this.#i18n.t('case.resident_empty');
  }

  #setCaseStatus(key, vars = {}, error = false) {
    const el = $('#case-message');
    el.textContent = key ? this.#i18n.t(key, vars) : '';
    el.classList.toggle('is-error', error);
  }

  #locale() {
    return this.#i18n.lang === 'zh' ? 'zh-CN' : 'en-GB';
  }
}
