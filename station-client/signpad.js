// @ts-check
// A signature pad on the touchscreen: one finger (or a pen, or a mouse)
// draws dark ink on a transparent canvas, which becomes the PNG stored with
// the case. Nothing else is drawn on the canvas, so the PNG holds only the
// signature.

// The server refuses images larger than this on either side.
const maxSide = 2048;
const inkColor = '#10151c';
const inkWidth = 5; // CSS pixels

export class SignaturePad extends EventTarget {
  #canvas;
  #ctx;
  #scale = 1;
  #last = null;
  #pointer = null;
  #strokes = 0;

  constructor(canvas) {
    super();
    this.#canvas = canvas;
    this.#ctx = canvas.getContext('2d');
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
      canvas.addEventListener(type, (e) => this.#up(e));
    }
  }

  get isEmpty() {
    return this.#strokes === 0;
  }

  // fit sizes the drawing surface to the canvas's box on screen, sharp on
  // high-density screens; it clears the pad. Call it once the pad is shown.
  fit() {
    const box = this.#canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.#scale = Math.min(dpr, maxSide / Math.max(1, box.width), maxSide / Math.max(1, box.height));
    this.#canvas.width = Math.max(1, Math.round(box.width * this.#scale));
    this.#canvas.height = Math.max(1, Math.round(box.height * this.#scale));
    this.clear();
  }

  clear() {
    this.#ctx.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
    this.#strokes = 0;
    this.#last = null;
    this.#pointer = null;
    this.dispatchEvent(new CustomEvent('change'));
  }

  // pngBase64 returns the signature as base64 PNG, without the data: prefix.
  pngBase64() {
    return this.#canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
  }

  #down(e) {
    if (this.#pointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.#pointer = e.pointerId;
    this.#canvas.setPointerCapture?.(e.pointerId);
    this.#last = this.#point(e);
    this.#dot(this.#last);
    this.#strokes++;
    this.dispatchEvent(new CustomEvent('change'));
  }

  #move(e) {
    if (e.pointerId !== this.#pointer) return;
    e.preventDefault();
    // Coalesced events keep a fast stroke smooth between frames.
    const events = e.getCoalescedEvents?.() ?? [];
    for (const ev of events.length ? events : [e]) this.#lineTo(this.#point(ev));
  }

  #up(e) {
    if (e.pointerId !== this.#pointer) return;
    this.#pointer = null;
    this.#last = null;
  }

  #point(e) {
    const box = this.#canvas.getBoundingClientRect();
    const sx = this.#canvas.width / Math.max(1, box.width);
    const sy = this.#canvas.height / Math.max(1, box.height);
    return { x: (e.clientX - box.left) * sx, y: (e.clientY - box.top) * sy };
  }

  #dot(p) {
    const c = this.#ctx;
    c.fillStyle = inkColor;
    c.beginPath();
    c.arc(p.x, p.y, (inkWidth * this.#scale) / 2, 0, Math.PI * 2);
    c.fill();
  }

  #lineTo(p) {
    const c = this.#ctx;
    c.strokeStyle = inkColor;
    c.lineWidth = inkWidth * this.#scale;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(this.#last.x, this.#last.y);
    c.lineTo(p.x, p.y);
    c.stroke();
    this.#last = p;
  }
}
