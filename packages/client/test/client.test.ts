// RingkvClient against fake nodes on loopback: encoding, results, errors, failover, retries,
// backoff, timeouts and abort. Backoff waits go through an injected sleep, so nothing sleeps.
import { afterEach, describe, expect, test } from '@jest/globals';
import {
  AbortedError, BadRequestError, ClientTimeoutError, ConnectionError, NodeUnavailableError, QuorumUnavailableError,
  RingkvClient, ServerTimeoutError, isRingkvClientError, type ClientOptions,
} from '../src/index.js';
import { FakeNode, errorReply, fakeNodes, recordingSleep, refusingEndpoint } from './support/fake-node.js';

let nodes: FakeNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
});

async function setup(n: number, opts: Partial<ClientOptions> = {}) {
  nodes = await fakeNodes(n);
  const rec = recordingSleep();
  const client = new RingkvClient({ endpoints: nodes.map((x) => x.url), sleep: rec.sleep, random: () => 0.5, ...opts });
  return { client, delays: rec.delays };
}

const ok204 = { status: 204, headers: { 'x-ringkv-timestamp': '1700000000000.0.n1' } };

describe('requests and results', () => {
  test('put sends the bytes, w, ttl and strict, and returns the timestamp and the node', async () => {
    const { client } = await setup(1);
    nodes[0].reply(ok204);
    const res = await client.put('users/42 ä', 'héllo', { w: 'all', ttl: 60, strict: true });
    expect(res).toEqual({ timestamp: '1700000000000.0.n1', endpoint: nodes[0].url });
    expect(nodes[0].received).toEqual([{ method: 'PUT', url: '/kv/users%2F42%20%C3%A4?w=all&ttl=60&strict=1', body: 'héllo' }]);
  });

  test('get returns bytes, text, json, timestamp and expiry', async () => {
    const { client } = await setup(1);
    nodes[0].reply({ status: 200, body: '{"a":1}', headers: { 'x-ringkv-timestamp': 't1', 'x-ringkv-expires-at': '2030-01-01T00:00:00.000Z' } });
    const res = await client.get('k', { r: 2 });
    expect(nodes[0].received[0].url).toBe('/kv/k?r=2');
    expect(res?.text()).toBe('{"a":1}');
    expect(res?.json()).toEqual({ a: 1 });
    expect(res?.value).toEqual(new TextEncoder().encode('{"a":1}'));
    expect(res?.timestamp).toBe('t1');
    expect(res?.expiresAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(await client.getJson('k')).toEqual({ a: 1 });
  });

  test('get of an absent key is undefined; a 404 of another kind is an error', async () => {
    const { client } = await setup(1);
    nodes[0].reply(errorReply(404, 'NOT_FOUND'));
    expect(await client.get('missing')).toBeUndefined();
    nodes[0].reply(errorReply(404, 'NO_SUCH_ROUTE'));
    await expect(client.get('k')).rejects.toMatchObject({ code: 'NO_SUCH_ROUTE', status: 404 });
  });

  test('putJson and delete', async () => {
    const { client } = await setup(1);
    nodes[0].reply(ok204);
    await client.putJson('j', { x: [1, 2] });
    await client.delete('j', { w: 1 });
    expect(nodes[0].received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['PUT', '/kv/j', '{"x":[1,2]}'], ['DELETE', '/kv/j?w=1', ''],
    ]);
  });

  test.each([
    ['an empty key', (c: RingkvClient) => c.get('')],
    ['a key over 1024 bytes', (c: RingkvClient) => c.get('é'.repeat(513))],
    ['a bad quorum', (c: RingkvClient) => c.put('k', 'v', { w: 0 })],
    ['a fractional ttl', (c: RingkvClient) => c.put('k', 'v', { ttl: 1.5 })],
  ])('%s is refused before sending', async (_name, call) => {
    const { client } = await setup(1);
    await expect(call(client)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(nodes[0].received).toHaveLength(0);
  });

  test('no endpoints is an InvalidArgumentError', () => {
    expect(() => new RingkvClient({ endpoints: ' , ' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('server errors', () => {
  test('a quorum failure carries code, status, required, acked and the answering node', async () => {
    const { client } = await setup(1, { retries: 0 });
    nodes[0].reply(errorReply(503, 'QUORUM_UNAVAILABLE', { required: 2, acked: 1, replicas: 3 }));
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumUnavailableError);
    expect(isRingkvClientError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'QUORUM_UNAVAILABLE', status: 503, required: 2, acked: 1, endpoint: nodes[0].url, attempts: 1, retryable: true });
    expect((err as QuorumUnavailableError).refusedUpfront).toBe(false);
  });

  test('a 4xx is a BadRequestError and is never retried', async () => {
    const { client } = await setup(2);
    for (const n of nodes) n.reply(errorReply(400, 'INVALID_PARAMETER', { param: 'r' }));
    const err = await client.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ code: 'INVALID_PARAMETER', retryable: false, attempts: 1, details: expect.objectContaining({ param: 'r' }) });
  });

  test('a non-ringkv error body keeps the HTTP status as code', async () => {
    const { client } = await setup(1, { retries: 0 });
    nodes[0].reply({ status: 502, body: '<html>bad gateway</html>' });
    await expect(client.get('k')).rejects.toMatchObject({ code: 'HTTP_502', status: 502 });
  });
});

describe('failover and retries', () => {
  test('a refused endpoint fails over to the next, even for a write', async () => {
    nodes = await fakeNodes(1);
    const rec = recordingSleep();
    const client = new RingkvClient({ endpoints: [await refusingEndpoint(), nodes[0].url], sleep: rec.sleep, random: () => 0 });
    nodes[0].reply(ok204);
    for (let i = 0; i < 3; i++) await client.put(`k${i}`, 'v');
    expect(nodes[0].received).toHaveLength(3);
  });

  test('every endpoint refusing ends in ConnectionError with maybeSent false', async () => {
    const rec = recordingSleep();
    const client = new RingkvClient({ endpoints: [await refusingEndpoint(), await refusingEndpoint()], retries: 2, sleep: rec.sleep, random: () => 0.5 });
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'CONNECTION_FAILED', maybeSent: false, attempts: 3 });
  });

  test('GET retries 503 and 504 on other nodes with exponential full-jitter backoff', async () => {
    const { client, delays } = await setup(3, { backoffBaseMs: 100, backoffMaxMs: 1000 });
    nodes[0].reply(errorReply(504, 'TIMEOUT', { required: 2 }));
    nodes[1].reply(errorReply(503, 'QUORUM_UNAVAILABLE', { required: 2, acked: 1 }));
    nodes[2].reply({ status: 200, body: 'v' });
    const res = await client.get('k');
    expect(res?.text()).toBe('v');
    expect(res?.endpoint).toBe(nodes[2].url);
    expect(delays).toEqual([50, 100]); // random 0.5 of 100, then of 200
  });

  test('PUT is not retried after 504 TIMEOUT: the write may have been applied', async () => {
    const { client } = await setup(2);
    for (const n of nodes) n.reply(errorReply(504, 'TIMEOUT', { required: 2, acked: 1 }));
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerTimeoutError);
    expect(err).toMatchObject({ attempts: 1, required: 2, acked: 1 });
    expect(nodes[0].received.length + nodes[1].received.length).toBe(1);
  });

  test('PUT is not retried after a partial quorum failure, but is after an up-front refusal', async () => {
    const { client } = await setup(2);
    for (const n of nodes) n.reply(errorReply(503, 'QUORUM_UNAVAILABLE', { required: 2, acked: 1 }));
    await expect(client.put('k', 'v')).rejects.toMatchObject({ attempts: 1 });
    nodes[0].reply(errorReply(503, 'QUORUM_UNAVAILABLE', { required: 2, acked: 0, alive: 1 }));
    nodes[1].reply(errorReply(503, 'QUORUM_UNAVAILABLE', { required: 2, acked: 0, alive: 1 }));
    await expect(client.put('k', 'v', { retries: 2 })).rejects.toMatchObject({ attempts: 3 });
  });

  test.each(['OVERLOADED', 'NOT_READY', 'SHUTTING_DOWN'])('PUT refused with %s goes to another node', async (code) => {
    const { client } = await setup(2);
    nodes[0].reply(errorReply(503, code, {}, { 'retry-after': '1' }));
    nodes[1].reply(errorReply(503, code, {}, { 'retry-after': '1' }));
    nodes[nodes.length - 1].reply(ok204);
    const res = await client.put('k', 'v');
    expect(res.endpoint).toBe(nodes[1].url);
  });

  test('a refusing node sits out its cool-down: the next calls go elsewhere first', async () => {
    const { client } = await setup(2, { now: () => 1000 });
    nodes[0].reply(errorReply(503, 'SHUTTING_DOWN', {}, { 'retry-after': '5' }));
    nodes[1].reply(ok204);
    for (let i = 0; i < 4; i++) await client.put(`k${i}`, 'v');
    expect(nodes[0].received).toHaveLength(1);
    expect(nodes[1].received).toHaveLength(4);
  });

  test('a reset connection is retried for GET but not for a plain PUT', async () => {
    const { client } = await setup(2);
    nodes[0].reply('reset');
    nodes[1].reply({ status: 200, body: 'v' });
    expect((await client.get('k'))?.text()).toBe('v');
    nodes[1].reply('reset');
    nodes[0].reply('reset');
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ maybeSent: true, attempts: 1 });
  });

  test('an idempotent PUT is retried after a reset and a 504', async () => {
    const { client } = await setup(3);
    nodes[0].reply('reset');
    nodes[1].reply(errorReply(504, 'TIMEOUT'));
    nodes[2].reply(ok204);
    const res = await client.put('k', 'v', { idempotent: true });
    expect(res.endpoint).toBe(nodes[2].url);
  });

  test('retries stop at the retry count', async () => {
    const { client, delays } = await setup(1, { retries: 2 });
    nodes[0].reply(errorReply(503, 'OVERLOADED', { retryAfterS: 1 }));
    await expect(client.get('k')).rejects.toMatchObject({ code: 'OVERLOADED', attempts: 3 });
    expect(nodes[0].received).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  test('no retry when the backoff would outlast the call budget', async () => {
    let t = 0;
    const { client } = await setup(2, { now: () => t, timeoutMs: 100, backoffBaseMs: 1000, random: () => 0.9 });
    nodes[0].reply(() => { t += 10; return errorReply(503, 'QUORUM_UNAVAILABLE'); });
    nodes[1].reply(() => { t += 10; return errorReply(503, 'QUORUM_UNAVAILABLE'); });
    await expect(client.get('k')).rejects.toMatchObject({ attempts: 1 });
  });
});

describe('timeouts and abort', () => {
  test('a hung node times out the attempt; a GET then succeeds elsewhere', async () => {
    const { client } = await setup(2, { attemptTimeoutMs: 50 });
    nodes[0].reply('hang');
    nodes[1].reply({ status: 200, body: 'v' });
    expect((await client.get('k'))?.text()).toBe('v');
  });

  test('a hung node makes a plain PUT fail with ClientTimeoutError', async () => {
    const { client } = await setup(1, { attemptTimeoutMs: 50 });
    nodes[0].reply('hang');
    const err = await client.put('k', 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientTimeoutError);
    expect(err).toMatchObject({ code: 'CLIENT_TIMEOUT', endpoint: nodes[0].url, attempts: 1 });
  });

  test('the per-call timeout caps the attempt timeout', async () => {
    const { client } = await setup(1, { attemptTimeoutMs: 60_000 });
    nodes[0].reply('hang');
    await expect(client.get('k', { timeoutMs: 50, retries: 0 })).rejects.toBeInstanceOf(ClientTimeoutError);
  });

  test('aborting during a request rejects with AbortedError and no retry', async () => {
    const { client } = await setup(2);
    const ac = new AbortController();
    nodes[0].reply(() => { ac.abort(); return 'hang'; });
    nodes[1].reply(() => { ac.abort(); return 'hang'; });
    const err = await client.get('k', { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err).toMatchObject({ code: 'ABORTED', attempts: 1 });
  });

  test('an already aborted signal sends nothing', async () => {
    const { client } = await setup(1);
    await expect(client.get('k', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    expect(nodes[0].received).toHaveLength(0);
  });

  test('aborting during the backoff stops the retries', async () => {
    nodes = await fakeNodes(2);
    const ac = new AbortController();
    const client = new RingkvClient({
      endpoints: nodes.map((n) => n.url),
      // A jitter of 0 would skip the sleep (and retry at once): 1 time in backoffBaseMs with Math.random.
      random: () => 0.5,
      sleep: () => { ac.abort(); return Promise.reject(new Error('aborted')); },
    });
    for (const n of nodes) n.reply(errorReply(503, 'NOT_READY'));
    await expect(client.get('k', { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
    expect(nodes[0].received.length + nodes[1].received.length).toBe(1);
  });
});

describe('NodeUnavailableError', () => {
  test('carries Retry-After in seconds', async () => {
    const { client } = await setup(1, { retries: 0 });
    nodes[0].reply(errorReply(503, 'SHUTTING_DOWN', {}, { 'retry-after': '3' }));
    const err = await client.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeUnavailableError);
    expect((err as NodeUnavailableError).retryAfterSeconds).toBe(3);
  });
});

describe('transport', () => {
  test("undici's own fetch with a keep-alive Agent as dispatcher", async () => {
    const { Agent, fetch: undiciFetch } = await import('undici');
    nodes = await fakeNodes(1);
    const agent = new Agent({ connections: 4, keepAliveTimeout: 10_000 });
    try {
      const client = new RingkvClient({ endpoints: nodes[0].url, fetch: undiciFetch, dispatcher: agent });
      nodes[0].reply({ status: 200, body: 'pooled' });
      for (let i = 0; i < 3; i++) expect((await client.get('k'))?.text()).toBe('pooled');
    } finally {
      await agent.close();
    }
  });
});
