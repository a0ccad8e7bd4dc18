// Inline SVG charts for the bench's HTML report: a line chart of series over a numbered axis and
// a horizontal bar chart. Text is escaped; a point that is not a finite number is left out.

export interface Series {
  name: string;
  points: [number, number][];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 640;
const H = 220;
const PAD = { left: 64, right: 16, top: 28, bottom: 36 };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/** Series over x (e.g. round or pair number), y from 0 to the largest value. */
export function lineChart(title: string, xLabel: string, series: Series[]): string {
  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">`
    + `<text x="${PAD.left}" y="16" font-weight="bold">${escapeHtml(title)}</text>`;
  if (finite.length === 0) return `${head}<text x="${PAD.left}" y="${H / 2}">no data</text></svg>`;
  const xs = finite.map(([x]) => x);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs) === x0 ? x0 + 1 : Math.max(...xs);
  const y1 = Math.max(...finite.map(([, y]) => y)) || 1;
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / y1) * (H - PAD.top - PAD.bottom);
  const axes = `<line x1="${PAD.left}" y1="${py(0)}" x2="${W - PAD.right}" y2="${py(0)}" stroke="#999"/>`
    + `<line x1="${PAD.left}" y1="${py(0)}" x2="${PAD.left}" y2="${py(y1)}" stroke="#999"/>`
    + `<text x="${PAD.left - 6}" y="${py(y1) + 4}" text-anchor="end">${num(y1)}</text>`
    + `<text x="${PAD.left - 6}" y="${py(0) + 4}" text-anchor="end">0</text>`
    + `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(xLabel)} ${num(x0)}–${num(x1)}</text>`;
  const lines = series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const path = pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    const dots = pts.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${colour}"/>`).join('');
    const legend = `<text x="${W - PAD.right - 4}" y="${PAD.top + 14 * i}" text-anchor="end" fill="${colour}">${escapeHtml(s.name)}</text>`;
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${path}"/>${dots}${legend}`;
  });
  return `${head}${axes}${lines.join('')}</svg>`;
}

/** One bar per label, lengths relative to the largest value, the value printed at the end. */
export function barChart(title: string, bars: { label: string; value: number }[]): string {
  const shown = bars.filter((b) => Number.isFinite(b.value));
  const rowH = 22;
  const height = PAD.top + rowH * Math.max(1, shown.length) + 8;
  const labelW = 180;
  const max = Math.max(0, ...shown.map((b) => b.value)) || 1;
  const rows = shown.map((b, i) => {
    const y = PAD.top + rowH * i;
    const len = (b.value / max) * (W - labelW - 80);
    return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(b.label)}</text>`
      + `<rect x="${labelW}" y="${y + 3}" width="${Math.max(0, len).toFixed(1)}" height="${rowH - 6}" fill="${COLOURS[i % COLOURS.length]}"/>`
      + `<text x="${(labelW + len + 6).toFixed(1)}" y="${y + 15}">${num(b.value)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`
    + `<text x="${PAD.left}" y="16" font-weight="bold">${escapeHtml(title)}</text>${rows.join('')}</svg>`;
}
