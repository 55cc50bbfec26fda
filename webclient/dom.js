// @ts-check
// Small DOM helpers shared by the two apps; no framework.

// $ finds one element; it throws when a screen is missing a part it needs,
// which is a bug in the page, not a runtime condition. The page knows what
// kind of element it named, so the result is not narrowed.
/**
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any}
 */
export function $(selector, root = document) {
  const el = root.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
}

// h builds an element: h('li', {class: 'x', onclick: fn}, 'text', child).
/**
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...any} children strings, nodes, or arrays of them; null, undefined and false are skipped
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}

// Screens shows one <section data-screen="name"> at a time.
export class Screens extends EventTarget {
  #current = '';
  #root;

  /** @param {ParentNode} [root] */
  constructor(root = document) {
    super();
    this.#root = root;
  }

  get current() {
    return this.#current;
  }

  /** @param {string} name */
  show(name) {
    for (const s of /** @type {NodeListOf<HTMLElement>} */ (this.#root.querySelectorAll('[data-screen]'))) {
      s.hidden = s.dataset.screen !== name;
    }
    document.body.dataset.view = name;
    const changed = name !== this.#current;
    this.#current = name;
    if (changed) this.dispatchEvent(new CustomEvent('change', { detail: name }));
    const focus = /** @type {HTMLElement | null} */ (this.#root.querySelector(`[data-screen="${name}"] [autofocus]`));
    focus?.focus();
  }
}
