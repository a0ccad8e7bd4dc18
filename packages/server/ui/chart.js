// Line charts as inline SVG, built once and updated in place (paths and labels change, the tree
// does not). pathData and niceMax are pure, so the unit tests run them in Node.
import { h } from './dom.js';

const W = 640;
const H = 180;
const PAD = { left: 56, right: 10, top: 10, bottom: 22 };

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least max. */
export function niceMax(max) {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * The `d` of a polyline through points [x, y] scaled into the plot box; a null y breaks the line
 * (no sample there). x0..x1 and 0..yMax map onto the box.
 */
export function pathData(points, x0, x1, yMax, box = { x: PAD.left, y: PAD.top, w: W - PAD.left - PAD.right, h: H - PAD.top - PAD.bottom }) {
  const sx = x1 > x0 ? box.w / (x1 - x0) : 0;
  const sy = yMax > 0 ? box.h / yMax : 0;
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (y === null || y === undefined || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    const px = (box.x + (x - x0) * sx).toFixed(1);
    const py = (box.y + box.h - Math.min(y, yMax) * sy).toFixed(1);
    d += `${pen ? 'L' : 'M'}${px} ${py}`;
    pen = true;
  }
  return d;
}

/**
 * A chart in `parent`: title, legend, y axis formatted by `format`. update(series, x0, x1) draws
 * [{ name, cls, points }] (classes colour the lines in style.css).
 */
export function lineChart(parent, { title, format, testid }) {
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  const grid = [0, 0.5, 1].map((f) => {
    const y = PAD.top + (1 - f) * (H - PAD.top - PAD.bottom);
    const line = h('svg:line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' });
    const label = h('svg:text', { x: PAD.left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' });
    svg.append(line, label);
    return { f, label };
  });
  const xLeft = h('svg:text', { x: PAD.left, y: H - 6, class: 'axis' });
  const xRight = h('svg:text', { x: W - PAD.right, y: H - 6, class: 'axis', 'text-anchor': 'end' });
  svg.append(xLeft, xRight);
  const lines = new Map();
  const legend = h('div', { class: 'legend' });
  const box = h('figure', { class: 'chart-box', testid }, h('figcaption', {}, title), svg, legend);
  parent.append(box);

  return {
    update(series, x0, x1, xLabel = (x) => String(x)) {
      let max = 0;
      for (const s of series) for (const [, y] of s.points) if (Number.isFinite(y) && y > max) max = y;
      const yMax = niceMax(max);
      for (const g of grid) g.label.textContent = format(yMax * g.f);
      xLeft.textContent = xLabel(x0);
      xRight.textContent = xLabel(x1);
      const names = new Set();
      for (const s of series) {
        names.add(s.name);
        let entry = lines.get(s.name);
        if (!entry) {
          const path = h('svg:path', { class: `line ${s.cls}` });
          svg.append(path);
          const key = h('span', { class: `key ${s.cls}` }, s.name);
          legend.append(key);
          entry = { path, key };
          lines.set(s.name, entry);
        }
        entry.path.setAttribute('d', pathData(s.points, x0, x1, yMax));
      }
      for (const [name, entry] of lines) {
        if (names.has(name)) continue;
        entry.path.remove();
        entry.key.remove();
        lines.delete(name);
      }
    },
  };
}
