// How the console writes numbers: bytes, ages, rates, shares. Pure functions (no DOM), so the
// unit tests run them in Node. null stands for "not known" and is written as a dash.

const DASH = '–';

export function num(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${i === 0 ? x : x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0)} ${UNITS[i]}`;
}

export function rate(bytesPerSecond) {
  return bytesPerSecond === null || bytesPerSecond === undefined ? DASH : `${bytes(bytesPerSecond)}/s`;
}

/** A duration in ms: 850 ms, 12.3 s, 4 min 10 s, 3 h 5 min, 2 d 4 h. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  if (ms < 0) return `-${duration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr} h ${m % 60} min`;
  return `${Math.floor(hr / 24)} d ${hr % 24} h`;
}

/** Latency in ms with sensible digits. */
export function ms(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ms`;
}

export function seconds(s) {
  return s === null || s === undefined ? DASH : duration(s * 1000);
}

/** A fraction 0..1 as a percentage. */
export function pct(f, digits = 1) {
  if (f === null || f === undefined || !Number.isFinite(f)) return DASH;
  return `${(f * 100).toFixed(digits)}%`;
}

/** Time of day (local) of an epoch ms, or a dash. */
export function clock(atMs) {
  if (atMs === null || atMs === undefined || !Number.isFinite(atMs)) return DASH;
  const d = new Date(atMs);
  return d.toTimeString().slice(0, 8);
}

/** How long ago an epoch ms was, seen from nowMs. */
export function ago(atMs, nowMs) {
  if (atMs === null || atMs === undefined) return 'never';
  return `${duration(Math.max(0, nowMs - atMs))} ago`;
}

export function yesNo(b) {
  return b ? 'yes' : 'no';
}
