// @ts-check
// The scan viewer: one scan at full resolution, to zoom (buttons, Ctrl +
// wheel), pan (drag) and rotate, with the two decisions an agent makes on
// it — ask the station for a re-scan, or accept it as one of the item's
// materials. It emits 'accept' {id, material} and 'rescan' {id}.

import { $, h } from '/lib/dom.js';

const zoomStep = 1.25;
const zoomMin = 0.1;
const zoomMax = 8;

export class ScanViewer extends EventTarget {
  #i18n;
  #entry = null; // {doc, blob, url}
  #bitmap = null;
  #rotation = 0; // quarter turns clockwise
  #zoom = 0; // 0 fits the scan to the stage
  #drag = null;
  #busy = false;

  constructor({ i18n }) {
    super();
    this.#i18n = i18n;
    $('#viewer-close').addEventListener('click', () => this.close());
    $('#viewer-zoom-in').addEventListener('click', () => this.#zoomBy(zoomStep));
    $('#viewer-zoom-out').addEventListener('click', () => this.#zoomBy(1 / zoomStep));
    $('#viewer-fit').addEventListener('click', () => this.#setZoom(0));
    $('#viewer-rotate-left').addEventListener('click', () => this.#rotate(-1));
    $('#viewer-rotate-right').addEventListener('click', () => this.#rotate(1));
    $('#viewer-accept').addEventListener('click', () => this.#decide('accept'));
    $('#viewer-rescan').addEventListener('click', () => this.#decide('rescan'));
    $('#viewer-stage').addEventListener('wheel', (e) => this.#wheel(e), { passive: false });
    $('#viewer-stage').addEventListener('pointerdown', (e) => this.#dragStart(e));
    $('#viewer-stage').addEventListener('pointermove', (e) => this.#dragMove(e));
    $('#viewer-stage').addEventListener('pointerup', () => {
      this.#drag = null;
    });
    window.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.#entry) this.close();
    });
    window.addEventListener('resize', () => this.#bitmap && this.#applyZoom());
    i18n.addEventListener('change', () => this.#renderStatus());
  }

  // open shows a scan; materials is the item's list to accept it as.
  open(entry, materials) {
    this.#entry = entry;
    this.#rotation = 0;
    this.#zoom = 0;
    this.#busy = false;
    $('#viewer-title').textContent = entry.doc.filename;
    $('#viewer-error').textContent = '';
    this.#renderMaterials(materials, entry.doc.material);
    this.#renderStatus();
    $('#scan-viewer').hidden = false;
    this.#show();
  }

  close() {
    this.#entry = null;
    this.#bitmap?.close();
    this.#bitmap = null;
    $('#scan-viewer').hidden = true;
  }

  // clear closes the viewer and drops the call's PDF from it: a resident's
  // papers do not stay in the page after the call.
  clear() {
    this.close();
    const frame = $('#viewer-pdf');
    frame.src = 'about:blank';
    delete frame.dataset.url;
  }

  #loadPDF(url) {
    const frame = $('#viewer-pdf');
    frame.hidden = false;
    if (frame.dataset.url !== url) {
      frame.dataset.url = url;
      frame.src = url;
    }
  }

  // loaded is told when a scan's content has arrived. A PDF is loaded into
  // the closed viewer at once, so that the browser's PDF viewer, which takes
  // seconds to start, is ready by the time the agent opens it.
  loaded(entry) {
    if (entry === this.#entry) this.#show();
    else if (!this.#entry && isPDF(entry) && entry.url) this.#loadPDF(entry.url);
  }

  // update refreshes the status of the scan on screen.
  update(doc) {
    if (this.#entry?.doc.id !== doc.id) return;
    this.#entry.doc = doc;
    this.#renderStatus();
  }

  // failed shows why a decision did not go through.
  failed(message) {
    this.#busy = false;
    $('#viewer-error').textContent = message;
    this.#renderStatus();
  }

  async #show() {
    const entry = this.#entry;
    const pdf = isPDF(entry);
    $('#viewer-canvas').hidden = true; // until drawn
    // Zoom and rotate work on images; a PDF brings its own viewer's tools.
    $('#viewer-tools').hidden = pdf;
    $('#viewer-pdf').hidden = !pdf || !entry.url;
    $('#viewer-loading').hidden = Boolean(entry.blob);
    $('#viewer-loading').textContent = this.#i18n.t(entry.failed ? 'viewer.failed' : 'viewer.loading');
    if (!entry.blob) return;
    if (pdf) {
      this.#loadPDF(entry.url);
      return;
    }
    try {
      const bitmap = await createImageBitmap(entry.blob);
      if (this.#entry !== entry) {
        bitmap.close();
        return;
      }
      this.#bitmap?.close();
      this.#bitmap = bitmap;
      this.#draw();
    } catch (err) {
      console.warn('console: decode scan', err);
      $('#viewer-loading').hidden = false;
      $('#viewer-loading').textContent = this.#i18n.t('viewer.failed');
    }
  }

  // draw paints the scan turned by the rotation, at full resolution; zoom
  // only changes how large the canvas is shown.
  #draw() {
    const b = this.#bitmap;
    if (!b) return;
    const canvas = $('#viewer-canvas');
    const sideways = this.#rotation % 2 !== 0;
    canvas.width = sideways ? b.height : b.width;
    canvas.height = sideways ? b.width : b.height;
    const c = canvas.getContext('2d');
    c.save();
    c.translate(canvas.width / 2, canvas.height / 2);
    c.rotate((this.#rotation * Math.PI) / 2);
    c.drawImage(b, -b.width / 2, -b.height / 2);
    c.restore();
    canvas.hidden = false;
    this.#applyZoom();
  }

  #rotate(quarters) {
    this.#rotation = (this.#rotation + quarters + 4) % 4;
    this.#draw();
  }

  #fitZoom() {
    const canvas = $('#viewer-canvas');
    const stage = $('#viewer-stage');
    if (!canvas.width || !canvas.height) return 1;
    return Math.min(stage.clientWidth / canvas.width, stage.clientHeight / canvas.height, 1);
  }

  #zoomBy(factor) {
    this.#setZoom((this.#zoom || this.#fitZoom()) * factor);
  }

  #setZoom(z) {
    this.#zoom = z === 0 ? 0 : Math.min(zoomMax, Math.max(zoomMin, z));
    this.#applyZoom();
  }

  #applyZoom() {
    const canvas = $('#viewer-canvas');
    const fit = this.#zoom === 0;
    const z = fit ? this.#fitZoom() : this.#zoom;
    canvas.style.width = `${Math.round(canvas.width * z)}px`;
    canvas.style.height = `${Math.round(canvas.height * z)}px`;
    $('#viewer-stage').classList.toggle('is-zoomed', !fit);
    $('#viewer-zoom').textContent = `${Math.round(z * 100)}%`;
  }

  #wheel(e) {
    if (!e.ctrlKey || !this.#bitmap) return;
    e.preventDefault();
    this.#zoomBy(e.deltaY < 0 ? zoomStep : 1 / zoomStep);
  }

  #dragStart(e) {
    const stage = $('#viewer-stage');
    if (this.#zoom === 0 || e.button !== 0) return;
    this.#drag = { x: e.clientX, y: e.clientY, left: stage.scrollLeft, top: stage.scrollTop };
    stage.setPointerCapture(e.pointerId);
  }

  #dragMove(e) {
    if (!this.#drag) return;
    const stage = $('#viewer-stage');
    stage.scrollLeft = this.#drag.left - (e.clientX - this.#drag.x);
    stage.scrollTop = this.#drag.top - (e.clientY - this.#drag.y);
  }

  #decide(what) {
    const entry = this.#entry;
    if (!entry || this.#busy) return;
    const material = $('#viewer-material').value;
    if (what === 'accept' && !material) {
      $('#viewer-error').textContent = this.#i18n.t('viewer.pick_material');
      return;
    }
    this.#busy = true;
    $('#viewer-error').textContent = '';
    this.#renderStatus();
    this.dispatchEvent(new CustomEvent(what, { detail: { id: entry.doc.id, material } }));
  }

  #renderMaterials(materials, current = '') {
    const options = materials.map((m) => {
      const label = `${m.received ? '✓ ' : ''}${this.#i18n.pick(m, 'name')}`;
      return h('option', { value: m.name_zh, selected: m.name_zh === current }, label);
    });
    // Preselect what is still missing: usually the paper just scanned.
    const firstMissing = materials.find((m) => !m.received);
    if (!current && firstMissing) options[materials.indexOf(firstMissing)].selected = true;
    $('#viewer-material').replaceChildren(h('option', { value: '' }, this.#i18n.t('viewer.choose')), ...options);
  }

  #renderStatus() {
    const doc = this.#entry?.doc;
    if (!doc) return;
    const badge = $('#viewer-status');
    badge.textContent = doc.status === 'accepted'
      ? this.#i18n.t('scan.status_accepted', { material: doc.material ?? '' })
      : this.#i18n.t(`scan.status_${doc.status}`);
    badge.dataset.status = doc.status;
    $('#viewer-accept').disabled = this.#busy;
    $('#viewer-rescan').disabled = this.#busy || doc.status === 'accepted' || doc.status === 'rescan_requested';
  }
}

function isPDF(entry) {
  return entry.doc.content_type === 'application/pdf';
}
