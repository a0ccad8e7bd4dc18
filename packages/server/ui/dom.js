// Small DOM helpers of the console: build elements, set a shown number with its test id and raw
// value, and keyed table rows that are built once and then only have their text updated (a
// refresh of a 200-member table touches text nodes, not the tree).

/** An element: h('td', { class: 'num', testid: 'x' }, 'text', child, ...). */
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'testid') el.setAttribute('data-testid', v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/**
 * Shows a value: the text as formatted, and data-value the JSON value itself (a browser test
 * compares data-value with the endpoint's field; '' stands for null). Writes only on change.
 */
export function show(el, value, text = value === null || value === undefined ? '–' : String(value)) {
  const raw = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (el.getAttribute('data-value') !== raw) el.setAttribute('data-value', raw);
  if (el.textContent !== text) el.textContent = text;
}

/** Sets a class on or off, touching the element only on change. */
export function flag(el, cls, on) {
  if (el.classList.contains(cls) !== on) el.classList.toggle(cls, on);
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
}

/**
 * Rows of a table body kept by key: `build(key)` makes a row once and returns it with an
 * `update(item)` that sets its cells; a key that disappears loses its row. Order follows `items`.
 */
export class KeyedRows {
  constructor(tbody, keyOf, build) {
    this.tbody = tbody;
    this.keyOf = keyOf;
    this.build = build;
    this.rows = new Map();
  }

  update(items) {
    const seen = new Set();
    let prev = null;
    for (const item of items) {
      const key = this.keyOf(item);
      seen.add(key);
      let row = this.rows.get(key);
      if (!row) {
        row = this.build(key, item);
        this.rows.set(key, row);
      }
      row.update(item);
      // Move only rows out of place: a steady table is not re-ordered at all.
      const want = prev ? prev.nextSibling : this.tbody.firstChild;
      if (want !== row.el) this.tbody.insertBefore(row.el, want);
      prev = row.el;
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.el.remove();
        this.rows.delete(key);
      }
    }
  }
}

/** A test id part from a member id or error code: anything outside [A-Za-z0-9_.-] becomes '_'. */
export function idPart(s) {
  return String(s).replace(/[^A-Za-z0-9_.-]/g, '_');
}
