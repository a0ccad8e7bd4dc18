// The client's `token` and `ca` options against fake nodes: the bearer token on every request
// (discovery included), 401 and 403 as AuthError and never retried, the token kept out of every
// error and every view of the client; HTTPS with a private CA (certificates made with openssl).
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import util from 'node:util';
import {
  AuthError, BadRequestError, ConnectionError, RingkvClient, isRingkvClientError, shouldRetry, type ClientOptions,
} from '../src/index.js';
import { errorFromResponse } from '../src/http-attempt.js';
import { FakeNode, errorReply, fakeNodes, recordingSleep } from './support/fake-node.js';
import { NO_OPENSSL_MESSAGE, makeTestCerts, type TestCerts } from './support/certs.js';

// What `ringkv token new` makes: 32 random bytes as base64url.
const TOKEN = 'q3VnT0pZc2lLbWh4ZkR3R1pVYzlWb0JxN0E4eUxtRXI';
const OTHER = 'bm90LXRoZS1yaWdodC10b2tlbi1hdC1hbGwtMDAwMDA';

let nodes: FakeNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
});

async function setup(n: number, opts: Partial<ClientOptions> = {}) {
  nodes = await fakeNodes(n);
  const client = new RingkvClient({ endpoints: nodes.map((x) => x.url), sleep: recordingSleep().sleep, random: () => 0.5, ...opts });
  return client;
}

const ok204 = { status: 204, headers: { 'x-ringkv-timestamp': '1700000000000.0.n1' } };
const clusterBody = (members: { id: string; http: string }[]) => ({
  status: 200,
  json: { node: 'n1', epoch: 1, leader: 'n1', members: members.map((m) => ({ ...m, peer: '127.0.0.1:1', status: 'normal', alive: true, partitions: 1 })) },
});

/** Every string a careless caller might log of an error. */
function renderings(err: unknown): string[] {
  const e = err as Error;
  return [
    e.message, String(e), e.stack ?? '', JSON.stringify(e), util.inspect(e, { depth: Infinity, showHidden: true }),
    JSON.stringify((e as { details?: unknown }).details ?? null),
  ];
}

describe('the token', () => {
  test('is sent as a bearer token on every kind of request', async () => {
    const client = await setup(1, { token: TOKEN });
    nodes[0].reply((req) => (req.url === '/cluster' ? clusterBody([]) : req.url === '/cluster/ring' ? { status: 200, json: { epoch: 1, replicas: 3, partitions: [] } }
      : req.url.startsWith('/cluster/') ? { status: 200, json: { epoch: 2 } } : req.method === 'GET' ? { status: 200, body: 'v' } : ok204));
    await client.put('k', 'v');
    await client.get('k');
    await client.delete('k');
    await client.cluster();
    await client.ring();
    await client.changeMembership({ op: 'remove', id: 'n9' });
    await client.leave();
    await client.join(['127.0.0.1:7171']);
    expect(nodes[0].received.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'PUT /kv/k', 'GET /kv/k', 'DELETE /kv/k', 'GET /cluster', 'GET /cluster/ring', 'POST /cluster/changes', 'POST /cluster/leave', 'POST /cluster/join',
    ]);
    expect(nodes[0].received.map((r) => r.authorization)).toEqual(Array(8).fill(`Bearer ${TOKEN}`));
  });

  test("is sent on discovery's GET /cluster and to the nodes discovery found", async () => {
    nodes = await fakeNodes(2);
    const [seed, found] = nodes;
    seed.requireToken(TOKEN).reply((req) => (req.url === '/cluster' ? clusterBody([{ id: 'n2', http: `127.0.0.1:${found.port}` }]) : ok204));
    found.requireToken(TOKEN).reply(ok204);
    const client = new RingkvClient({ endpoints: [seed.url], token: TOKEN, discover: true, sleep: recordingSleep().sleep });
    try {
      expect(await client.refreshEndpoints()).toEqual([seed.url, found.url]);
      for (let i = 0; i < 4; i++) await client.put(`k${i}`, 'v');
    } finally {
      client.close();
    }
    expect(seed.received.filter((r) => r.url === '/cluster').length).toBeGreaterThanOrEqual(1);
    expect(found.received.length).toBeGreaterThan(0);
    for (const r of [...seed.received, ...found.received]) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test('without one no Authorization header is sent', async () => {
    const client = await setup(1);
    nodes[0].reply(ok204);
    await client.put('k', 'v');
    expect(nodes[0].received[0]).toEqual({ method: 'PUT', url: '/kv/k', body: 'v' });
    expect('authorization' in nodes[0].received[0]).toBe(false);
  });

  test.each([
    ['with a space', 'abcdefgh ijklmnopqrstu'],
    ['with a newline', 'abcdefghijklmnop\r\nX-Evil: 1'],
    ['too short', 'abc123'],
    ['empty', ''],
  ])('a token %s is refused at construction, without being echoed', (_name, token) => {
    let caught: unknown;
    try {
      new RingkvClient({ endpoints: 'http://127.0.0.1:1', token });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'INVALID_ARGUMENT' });
    if (token) for (const s of renderings(caught)) expect(s).not.toContain(token);
  });

  test('is in no view of the client: inspect, String, JSON', async () => {
    const client = await setup(1, { token: TOKEN });
    nodes[0].reply(ok204);
    await client.put('k', 'v'); // the transport and pool are in use, as they are in a real program
    const views = [
      util.inspect(client),
      util.inspect(client, { showHidden: true, depth: Infinity, customInspect: false, getters: true }),
      String(client), `${client}`, JSON.stringify(client),
      JSON.stringify((client as unknown as { options: unknown }).options),
      util.inspect((client as unknown as { options: unknown }).options, { showHidden: true, depth: Infinity, customInspect: false, getters: true }),
    ];
    for (const v of views) expect(v).not.toContain(TOKEN);
    expect(util.inspect(client)).toContain(nodes[0].url);
    expect(JSON.stringify(client)).toBe(JSON.stringify({ endpoints: [nodes[0].url], token: 'set' }));
  });
});

describe('401 and 403', () => {
  test('a 401 is an AuthError UNAUTHENTICATED, sent once: never retried, never failed over', async () => {
    const client = await setup(2, { retries: 3 });
    for (const n of nodes) n.requireToken(TOKEN);
    const err = await client.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, retryable: false, attempts: 1 });
    expect(isRingkvClientError(err)).toBe(true);
    expect(nodes[0].received.length + nodes[1].received.length).toBe(1);
  });

  test('a 403 is an AuthError FORBIDDEN with the server message, not retried even for an idempotent write', async () => {
    const client = await setup(2, { token: TOKEN, retries: 3 });
    for (const n of nodes) n.reply(errorReply(403, 'FORBIDDEN', { message: 'principal app has role read; this request needs write', principal: 'app', role: 'read', needed: 'write' }));
    const err = await client.put('k', 'v', { idempotent: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', status: 403, retryable: false, details: expect.objectContaining({ needed: 'write' }) });
    expect((err as Error).message).toContain('this request needs write');
    expect(nodes[0].received.length + nodes[1].received.length).toBe(1);
  });

  test('a 401 or 403 without a ringkv body (a proxy) still has the code', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(errorFromResponse(401, 'Unauthorized', new Headers(), enc('<html/>'), 'e')).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(errorFromResponse(403, 'Forbidden', new Headers(), enc(''), 'e')).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(errorFromResponse(403, 'Forbidden', new Headers(), enc(''), 'e')).toBeInstanceOf(AuthError);
  });

  test.each(['read', 'write'] as const)('shouldRetry refuses an AuthError for a %s', (kind) => {
    const err = errorFromResponse(401, '', new Headers(), new TextEncoder().encode('{"error":{"code":"UNAUTHENTICATED"}}'), 'e');
    expect(shouldRetry(kind, err, true)).toBe(false);
  });

  test('the error of a 401 never carries the token, even from a node that echoes it back', async () => {
    const client = await setup(1, { token: OTHER, retries: 2 });
    // Worst case: something in between repeats the request's Authorization header in its answer.
    nodes[0].reply((req) => ({
      status: 401,
      json: { error: { code: 'UNAUTHENTICATED', message: `token not accepted: ${req.authorization}`, got: req.authorization } },
      headers: { 'www-authenticate': 'Bearer realm="ringkv"' },
    }));
    const err = await client.get('k').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(nodes[0].received.map((r) => r.authorization)).toEqual([`Bearer ${OTHER}`]); // it was sent
    for (const s of renderings(err)) expect(s).not.toContain(OTHER);
    expect((err as Error).message).toContain('token not accepted: Bearer [redacted]');
  });

  test('the error of a node that cannot be reached never carries the token', async () => {
    const client = new RingkvClient({ endpoints: 'http://127.0.0.1:1', token: TOKEN, retries: 0 });
    const err = await client.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    for (const s of renderings(err)) expect(s).not.toContain(TOKEN);
  });
});

const certs: TestCerts | undefined = makeTestCerts();
if (!certs) console.warn(NO_OPENSSL_MESSAGE);
afterAll(() => certs?.remove());
const describeTls = certs ? describe : describe.skip;

describeTls('https endpoints and the ca option', () => {
  async function httpsNode(): Promise<FakeNode> {
    const node = await new FakeNode({ tls: { cert: certs!.cert, key: certs!.key } }).start();
    nodes.push(node);
    return node;
  }

  test('with the CA that signed the node certificate, requests succeed (PEM text or bytes), token included', async () => {
    const node = await httpsNode();
    node.requireToken(TOKEN).reply((req) => (req.method === 'GET' ? { status: 200, body: 'over tls' } : ok204));
    for (const ca of [certs!.caPem, Buffer.from(certs!.caPem)]) {
      const client = new RingkvClient({ endpoints: node.url, ca, token: TOKEN });
      await client.put('k', 'v');
      expect((await client.get('k'))?.text()).toBe('over tls');
    }
    expect(node.received.map((r) => r.authorization)).toEqual(Array(4).fill(`Bearer ${TOKEN}`));
  });

  test.each([
    ['no ca (the public CAs only)', undefined],
    ['another CA', 'other'],
  ])('with %s, the certificate is refused and nothing is sent', async (_name, which) => {
    const node = await httpsNode();
    node.reply(ok204);
    const ca = which === 'other' ? certs!.otherCaPem : undefined;
    const client = new RingkvClient({ endpoints: node.url, ca, token: TOKEN, retries: 0 });
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'CONNECTION_FAILED', maybeSent: false });
    expect((err as Error).message).toMatch(/\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\): the node's TLS certificate was not accepted; pass the CA that issued it as the ca option$/);
    expect(node.received).toHaveLength(0);
    for (const s of renderings(err)) expect(s).not.toContain(TOKEN);
  });

  test('discovery keeps https for the members it finds', async () => {
    const node = await httpsNode();
    node.reply((req) => (req.url === '/cluster' ? clusterBody([{ id: 'n1', http: `localhost:${node.port}` }]) : ok204));
    const client = new RingkvClient({ endpoints: node.url, ca: certs!.caPem });
    expect(await client.refreshEndpoints()).toEqual([node.url, `https://localhost:${node.port}`]);
  });

  test('ca together with a dispatcher, or a ca that is not PEM, is an InvalidArgumentError', () => {
    expect(() => new RingkvClient({ endpoints: 'https://127.0.0.1:1', ca: certs!.caPem, dispatcher: {} })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new RingkvClient({ endpoints: 'https://127.0.0.1:1', ca: 'not a certificate' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('PEM') }));
  });
});
