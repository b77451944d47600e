// The department network as a circle: each department a node on the circle
// (its size and label give its cooperative duties), each pair of departments
// that share cooperative duties a chord (its width and label give how many).
// A fixed layout, no physics: the same list always draws the same picture.
// Pointing at a node shows only its chords.

import { s } from './dom.js';

const SIZE = 760;
const CENTRE = SIZE / 2;
const RADIUS = 230;

/** Positions on the circle, heaviest node at the top, clockwise. */
function layout(nodes) {
  const at = new Map();
  nodes.forEach((node, i) => {
    const angle = (i / nodes.length) * 2 * Math.PI - Math.PI / 2;
    at.set(node.department.id, {
      angle,
      x: CENTRE + RADIUS * Math.cos(angle),
      y: CENTRE + RADIUS * Math.sin(angle),
    });
  });
  return at;
}

function chord(edge, at) {
  const a = at.get(edge.source.id);
  const b = at.get(edge.target.id);
  // Bend each chord towards the centre, so chords between neighbours stay visible.
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  const cx = CENTRE + (mx - CENTRE) * 0.35;
  const cy = CENTRE + (my - CENTRE) * 0.35;
  const path = s('path', {
    d: `M${a.x},${a.y} Q${cx},${cy} ${b.x},${b.y}`,
    class: 'edge', 'stroke-width': Math.min(1 + (edge.weight - 1) * 1.3, 9),
    dataset: { a: edge.source.id, b: edge.target.id },
  }, s('title', {}, `${edge.label}：共享 ${edge.weight} 项配合事项`));
  // The label sits on the curve's midpoint.
  const lx = 0.25 * a.x + 0.5 * cx + 0.25 * b.x;
  const ly = 0.25 * a.y + 0.5 * cy + 0.25 * b.y;
  const label = edge.labelled
    ? s('text', { x: lx, y: ly + 4, class: 'edge-label', dataset: { a: edge.source.id, b: edge.target.id } }, edge.weight)
    : null;
  return [path, label];
}

function node(n, at, href) {
  const p = at.get(n.department.id);
  const r = 4 + Math.sqrt(n.weight) * 2.2;
  const right = Math.cos(p.angle) >= -1e-9;
  const deg = (p.angle * 180) / Math.PI;
  // Labels run outwards along the radius; on the left half they are turned
  // round so that they still read left to right.
  const rotate = right ? deg : deg + 180;
  const lx = p.x + Math.cos(p.angle) * (r + 5);
  const ly = p.y + Math.sin(p.angle) * (r + 5);
  return s('a', { href: href(n.department.id), class: 'node', dataset: { id: n.department.id } },
    s('circle', { cx: p.x, cy: p.y, r }),
    s('text', {
      x: lx, y: ly, dy: '0.35em', 'text-anchor': right ? 'start' : 'end',
      transform: `rotate(${rotate} ${lx} ${ly})`,
    }, `${n.department.shortName} ${n.weight}`),
    s('title', {}, `${n.department.name}：${n.weight} 项配合事项`));
}

/**
 * The network's SVG. `edges` are those to draw, each with `label` (the pair's
 * names) and `labelled` (whether to print its weight); `href(id)` links a node.
 */
export function networkChart({ nodes, edges, href, caption }) {
  const at = layout(nodes);
  const svg = s('svg', {
    viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'network', role: 'img', 'aria-label': caption,
  },
  s('g', { class: 'edges' }, edges.map((e) => chord(e, at))),
  s('g', { class: 'nodes' }, nodes.map((n) => node(n, at, href))));
  const focus = (id) => {
    svg.classList.toggle('focus', id !== null);
    for (const el of svg.querySelectorAll('[data-a]')) {
      el.classList.toggle('on', el.dataset.a === id || el.dataset.b === id);
    }
  };
  for (const el of svg.querySelectorAll('.node')) {
    el.addEventListener('mouseenter', () => focus(el.dataset.id));
    el.addEventListener('focus', () => focus(el.dataset.id));
    el.addEventListener('mouseleave', () => focus(null));
    el.addEventListener('blur', () => focus(null));
  }
  return svg;
}
