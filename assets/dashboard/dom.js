// Building DOM and SVG elements. Text always goes in as text nodes, never as
// HTML, so nothing in the data (item text, names, search words) can become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Set attributes, properties and listeners on `el`, then append `children`. */
function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Append children: nodes, strings (as text), arrays of either; null is skipped. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: `h('a', { href: '#/' }, '概览')`. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, same arguments as `h`. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace the content of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Whole-number and percent formatting for labels. */
export const fmt = {
  int: (n) => String(n),
  pct: (x) => `${Math.round(x * 100)}%`,
};
