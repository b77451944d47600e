// Horizontal bar charts in SVG. Every bar carries its value as text, and series
// differ by fill pattern (solid, hatched) as well as by hue, so a chart reads
// the same without colour — printed in black and white, or by someone who
// cannot tell the hues apart. Each chart scales to its container's width.

import { s, fmt } from './dom.js';

const WIDTH = 640;
const LABEL = 150; // room for a department's short name or a category
const VALUE = 64; // room for the value after the longest bar
const BAR = 14;
const GAP = 8;

let chartCount = 0;

/** The fills of a chart's series: `solid` and `hatch`, unique to the chart. */
function fills(id) {
  const hatch = s('pattern', {
    id: `${id}-hatch`, width: 6, height: 6,
    patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)',
  },
  s('rect', { width: 6, height: 6, class: 'fill-b-bg' }),
  s('rect', { width: 2.5, height: 6, class: 'fill-b' }));
  return {
    defs: s('defs', {}, hatch),
    solid: { class: 'fill-a' },
    hatch: { fill: `url(#${id}-hatch)`, class: 'fill-b-edge' },
  };
}

/** The legend: each series' swatch, in its pattern, and its name. */
function legend(series, paint) {
  let x = 0;
  return s('g', { class: 'legend' }, series.map((name, i) => {
    const g = s('g', { transform: `translate(${x},0)` },
      s('rect', { width: 22, height: 12, y: 0, ...paint[i] }),
      s('text', { x: 28, y: 10 }, name));
    x += 40 + name.length * 14;
    return g;
  }));
}

/** A row's label, a link when the row has one. */
function rowLabel(row, y) {
  const text = s('text', { x: LABEL - 8, y, 'text-anchor': 'end', class: 'row-label' }, row.label);
  if (row.title) text.append(s('title', {}, row.title));
  return row.href ? s('a', { href: row.href }, text) : text;
}

/**
 * Grouped bars: for each row one bar per series, each labelled with its value.
 * `rows`: [{ label, title?, href?, values: [n, …] }]; `series`: names, at most 2.
 */
export function groupedBars({ rows, series, caption }) {
  const id = `chart${++chartCount}`;
  const f = fills(id);
  const paint = [f.solid, f.hatch];
  const rowHeight = series.length * (BAR + 2) + GAP;
  const top = 28;
  const height = top + rows.length * rowHeight;
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  const scale = (WIDTH - LABEL - VALUE) / max;
  const body = rows.map((row, r) => {
    const y0 = top + r * rowHeight;
    return s('g', { class: 'row' },
      rowLabel(row, y0 + (series.length * (BAR + 2)) / 2 + 4),
      row.values.map((v, i) => {
        const y = y0 + i * (BAR + 2);
        const w = v * scale;
        return s('g', {},
          s('rect', { x: LABEL, y, width: Math.max(w, 0.5), height: BAR, ...paint[i] },
            s('title', {}, `${row.label} · ${series[i]}：${v}`)),
          s('text', { x: LABEL + w + 4, y: y + BAR - 3, class: 'value' }, fmt.int(v)));
      }));
  });
  return s('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart', role: 'img', 'aria-label': caption,
  }, f.defs, s('g', { transform: `translate(${LABEL},4)` }, legend(series, paint)), body);
}

/**
 * One bar per row, the whole bar split in two parts (the department's items and
 * the town's), labelled with both counts and the town's share.
 * `rows`: [{ label, title?, href?, a, b }]; `series`: the names of a and b.
 */
export function splitBars({ rows, series, caption }) {
  const id = `chart${++chartCount}`;
  const f = fills(id);
  const rowHeight = BAR + 2 + GAP;
  const top = 28;
  const height = top + rows.length * rowHeight;
  const span = WIDTH - LABEL - VALUE;
  const body = rows.map((row, r) => {
    const y = top + r * rowHeight;
    const total = row.a + row.b;
    const wa = total ? (row.a / total) * span : 0;
    const share = total ? row.b / total : 0;
    return s('g', { class: 'row' },
      rowLabel(row, y + BAR - 2),
      s('rect', { x: LABEL, y, width: wa, height: BAR, ...f.solid }),
      s('rect', { x: LABEL + wa, y, width: span - wa, height: BAR, ...f.hatch }),
      s('title', {}, `${row.label} · ${series[0]} ${row.a}，${series[1]} ${row.b}`),
      wa > 24 ? s('text', { x: LABEL + 4, y: y + BAR - 3, class: 'value inside' }, fmt.int(row.a)) : null,
      s('text', { x: LABEL + span + 4, y: y + BAR - 3, class: 'value' }, `${fmt.pct(share)}`),
      span - wa > 24
        ? s('text', { x: LABEL + span - 4, y: y + BAR - 3, class: 'value inside-b', 'text-anchor': 'end' }, fmt.int(row.b))
        : null);
  });
  return s('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart', role: 'img', 'aria-label': caption,
  }, f.defs, s('g', { transform: `translate(${LABEL},4)` }, legend(series, [f.solid, f.hatch])), body);
}
