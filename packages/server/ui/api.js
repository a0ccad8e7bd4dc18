// Requests of the console to its own node: JSON in, JSON out, never a thrown error. Every call
// resolves with { ok: true, status, data } or { ok: false, status, code, message } (status 0: the
// node did not answer). The token lives in sessionStorage and travels only in Authorization; a
// 401 tells the app to ask for one. POSTs carry the console's CSRF marks (docs/console.md).

const TOKEN_KEY = 'ringkv-console-token';
const TIMEOUT_MS = 10_000;
const listeners = new Set();
/** The token when sessionStorage refuses to keep it. */
let memoryToken = null;

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage refused (private mode): the token then lasts as long as the page.
  }
  memoryToken = token || null;
}

/** Called with no argument whenever the node answers 401 (a token is needed, or it was refused). */
export function onUnauthenticated(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function headers(extra) {
  const h = { accept: 'application/json', ...extra };
  const token = getToken() ?? memoryToken;
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

async function request(method, path, body) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  try {
    const post = method === 'POST';
    const init = { method, headers: headers(post ? { 'content-type': 'application/json', 'x-ringkv-console': '1' } : {}), signal: ctl.signal, cache: 'no-store' };
    if (post) init.body = JSON.stringify(body ?? {});
    const res = await fetch(path, init);
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.ok) return { ok: true, status: res.status, data };
    if (res.status === 401) for (const fn of listeners) fn();
    const err = data && typeof data === 'object' && data.error ? data.error : {};
    return { ok: false, status: res.status, code: err.code ?? `HTTP_${res.status}`, message: err.message ?? (text.slice(0, 200) || res.statusText) };
  } catch (err) {
    const aborted = err && err.name === 'AbortError';
    return { ok: false, status: 0, code: aborted ? 'TIMEOUT' : 'UNREACHABLE', message: aborted ? `no answer from the node in ${TIMEOUT_MS / 1000} s` : 'the node did not answer' };
  } finally {
    clearTimeout(timer);
  }
}

export const getJson = (path) => request('GET', path);
export const postJson = (path, body) => request('POST', path, body);

/** A failed result as one line for an error banner. */
export function describeFailure(r, what) {
  if (r.status === 0) return `${what}: ${r.message}`;
  return `${what}: ${r.status} ${r.code}${r.message ? ` — ${r.message}` : ''}`;
}
