// Tiny DOM helpers. Every string passed as a child becomes a text node, so
// user data can never be parsed as HTML. No innerHTML anywhere in the UI.
import { formatDate, formatDateTime, timeZone } from './format.js';

const BOOL_PROPS = new Set(['checked', 'disabled', 'selected', 'required', 'hidden', 'multiple', 'readOnly']);

/**
 * h('a', {href: '/x', class: 'btn', onclick: fn}, 'text', otherNode, [more])
 * Props: class (string or array), dataset (object), on* (listeners),
 * value (applied after children, so <select> options exist), boolean props,
 * everything else as an attribute. `style` is refused: the CSP forbids it.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'style') throw new Error('inline styles are blocked by the CSP; use a class');
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') value = v;
    else if (BOOL_PROPS.has(k)) el[k] = true;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  if (value !== undefined) el.value = String(value);
  return el;
}

/** Appends children (strings, numbers, nodes, nested arrays; null/false skipped). */
export function append(parent, children) {
  for (const c of [children].flat(Infinity)) {
    if (c == null || c === false) continue;
    parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return parent;
}

/** Replaces all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A 20×20 stroked icon from static path data (never from user input). */
export function icon(d, cls = 'icon') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const part of [d].flat()) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', part);
    svg.appendChild(path);
  }
  return svg;
}

let uid = 0;
/** A document-unique id with a readable prefix. */
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Calls fn after `ms` of quiet; `.cancel()` drops a pending call. */
export function debounce(fn, ms) {
  let timer = null;
  const d = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  d.cancel = () => clearTimeout(timer);
  return d;
}

// Times are shown in the member's time zone and formats (format.js: their
// localization; the server stores and sends UTC), the UTC value and the
// zone in the tooltip.
/** An ISO timestamp as a <time> element in the member's formats and time zone. */
export function timeEl(iso, { dateOnly = false } = {}) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h('time', { datetime: iso, title: `${iso} (${timeZone()})` }, dateOnly ? formatDate(d) : formatDateTime(d));
}

/** An <h1> that receives focus after client-side navigation. */
export function pageTitle(text, ...extra) {
  return h('h1', { class: 'page-title', tabindex: '-1' }, text, ...extra);
}
