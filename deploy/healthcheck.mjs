// Container health check: GET /health on this node's client port (slim images have no curl).
// Exit 0 when healthy, 1 otherwise. The port comes from RINGKV_HTTP (HOST:PORT).
const listen = process.env.RINGKV_HTTP || '0.0.0.0:7070';
const sep = listen.lastIndexOf(':');
let host = listen.slice(0, sep).replace(/^\[|\]$/g, '');
const port = listen.slice(sep + 1);
if (host === '0.0.0.0' || host === '' || host === '::') host = '127.0.0.1';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/health`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
