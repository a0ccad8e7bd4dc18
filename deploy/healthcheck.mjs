// Container health check: GET /health on this node's client port (slim images have no curl).
// Exit 0 when healthy, 1 otherwise. The port comes from RINGKV_HTTP (HOST:PORT). /health needs no
// token. With RINGKV_TLS_CERT set the port serves HTTPS; without it plain HTTP is tried first and
// HTTPS after (a node given --tls-cert as an argument). The certificate is not verified: this is
// the node checking itself on loopback, and its certificate names the service, not 127.0.0.1.
import http from 'node:http';
import https from 'node:https';

const listen = process.env.RINGKV_HTTP || '0.0.0.0:7070';
const sep = listen.lastIndexOf(':');
let host = listen.slice(0, sep).replace(/^\[|\]$/g, '');
const port = Number(listen.slice(sep + 1));
if (host === '0.0.0.0' || host === '' || host === '::') host = '127.0.0.1';
const schemes = process.env.RINGKV_TLS_CERT ? ['https'] : ['http', 'https'];

/** The status of GET /health, or undefined when nothing answered in time. */
function check(scheme) {
  return new Promise((resolve) => {
    const lib = scheme === 'https' ? https : http;
    const req = lib.get({ host, port, path: '/health', timeout: 1200, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

let healthy = false;
for (const scheme of schemes) {
  const status = await check(scheme);
  if (status !== undefined) {
    healthy = status >= 200 && status < 300;
    break;
  }
}
process.exit(healthy ? 0 : 1);
