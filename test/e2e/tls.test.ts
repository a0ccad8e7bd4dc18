// TLS end to end (issue 15), with a throwaway CA made by openssl: the client API over HTTPS (and
// plain HTTP to it fails), a 3-node cluster whose peers talk mutual TLS replicates, a 4th node
// with a certificate of another CA never becomes a member or a peer, and SIGHUP re-reads the
// client certificate.
import { afterAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import { Agent, fetch as ufetch } from 'undici';
import { OPENSSL, makeCa, makeCert } from '../support/certs.js';
import { freePorts } from '../support/free-port.js';
import { holdsThroughout, pollUntil } from '../support/poll.js';
import { E2E_SECRET, makeNode, stopAll, type NodeProcess } from '../support/processes.js';

if (!OPENSSL) console.warn('TLS e2e tests skipped: openssl is not installed (Debian package openssl)');
const maybe = OPENSSL ? describe : describe.skip;

afterAll(stopAll);

function httpsUrl(n: NodeProcess): string {
  return `https://127.0.0.1:${n.opts.httpPort}`;
}

async function waitReadyTls(n: NodeProcess, agent: Agent, timeoutMs = 30_000): Promise<void> {
  await pollUntil(`${n.opts.id} ready over HTTPS`, async () => {
    if (!n.running) throw new Error(`${n.opts.id} exited:\n${n.output.slice(-2000)}`);
    return (await ufetch(`${httpsUrl(n)}/ready`, { dispatcher: agent })).ok;
  }, { timeoutMs });
}

/** The SHA-256 fingerprint of the certificate a TLS server presents. */
function presented(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.once('error', reject);
  });
}

maybe('TLS', () => {
  test('the client API over HTTPS: round trips; plain HTTP to the port fails; SIGHUP re-reads the certificate', async () => {
    const ca = makeCa('client-ca');
    const cert = makeCert(ca, 'api');
    const caPem = readFileSync(ca.certFile, 'utf8');
    const agent = new Agent({ connect: { ca: caPem } });
    const node = await makeNode({ id: 'n1', extraArgs: ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile] });
    node.start();
    await waitReadyTls(node, agent);
    const put = await ufetch(`${httpsUrl(node)}/kv/secure`, { method: 'PUT', body: 'over tls', dispatcher: agent });
    expect(put.status).toBe(204);
    const get = await ufetch(`${httpsUrl(node)}/kv/secure`, { dispatcher: agent });
    expect([get.status, await get.text()]).toEqual([200, 'over tls']);
    await expect(fetch(`${node.url}/health`)).rejects.toThrow();
    // A certificate from no trusted CA is refused by the client.
    await expect(ufetch(`${httpsUrl(node)}/health`)).rejects.toThrow();

    const before = await presented(node.opts.httpPort, caPem);
    const renewed = makeCert(ca, 'api', 'api-renewed');
    copyFileSync(renewed.certFile, cert.certFile);
    copyFileSync(renewed.keyFile, cert.keyFile);
    node.child!.kill('SIGHUP');
    await pollUntil('the renewed certificate to be served', async () => (await presented(node.opts.httpPort, caPem)) !== before, { timeoutMs: 10_000 });
    expect((await ufetch(`${httpsUrl(node)}/health`, { dispatcher: agent })).status).toBe(200);
    await agent.close();
  }, 60_000);

  test('peers on mutual TLS replicate; a node with a certificate of another CA never becomes a member or a peer', async () => {
    const ca = makeCa('cluster-ca');
    const other = makeCa('other-ca');
    const ports = await freePorts(8);
    const seeds = [1, 3, 5].map((i) => `127.0.0.1:${ports[i]}`);
    const tlsArgs = (c: { certFile: string; keyFile: string }, caFile: string) => ['--peer-tls-cert', c.certFile, '--peer-tls-key', c.keyFile, '--peer-tls-ca', caFile];
    const nodes = await Promise.all([0, 1, 2].map((i) => makeNode({
      id: `n${i + 1}`, httpPort: ports[2 * i], peerPort: ports[2 * i + 1], seeds, secret: E2E_SECRET,
      extraArgs: tlsArgs(makeCert(ca, `n${i + 1}`), ca.certFile), env: { RINGKV_GOSSIP_INTERVAL_MS: '200' },
    })));
    for (const n of nodes) n.start();
    await Promise.all(nodes.map((n) => n.waitReady(30_000)));
    expect((await fetch(`${nodes[0].url}/kv/tls-key?w=all`, { method: 'PUT', body: 'replicated' })).status).toBe(204);
    for (const n of nodes) {
      const r = await fetch(`${n.url}/kv/tls-key?local=1`);
      expect([n.opts.id, r.status, await r.text()]).toEqual([n.opts.id, 200, 'replicated']);
    }
    // The same secret, a certificate of another CA: it must never get in.
    const intruder = await makeNode({
      id: 'n4', httpPort: ports[6], peerPort: ports[7], seeds, secret: E2E_SECRET,
      extraArgs: tlsArgs(makeCert(other, 'n4'), other.certFile), env: { RINGKV_GOSSIP_INTERVAL_MS: '200' },
    });
    intruder.start();
    await pollUntil('the TLS refusal to be logged', () => nodes.some((n) => /peer TLS handshake refused/.test(n.output)), { timeoutMs: 20_000 });
    await holdsThroughout(3000, async () => {
      const view = (await (await fetch(`${nodes[0].url}/cluster`)).json()) as { members: { id: string }[] };
      expect(view.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
      expect((await fetch(`${intruder.url}/ready`)).status).toBe(503);
    }, { intervalMs: 200 });
    await intruder.kill('SIGKILL');
  }, 90_000);
});
