// The client HTTP API of one node, in-process on a free loopback port with the memory engine and a
// clock the test moves.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { compareTimestamps, parseTimestamp } from '@ringkv/core';
import { buildConfig, RingkvNode, systemClock } from '@ringkv/server';

let node: RingkvNode;
let base: string;
let nowMs = 1_750_000_000_000;

beforeAll(async () => {
  node = new RingkvNode(buildConfig({ http: '127.0.0.1:0', peer: '127.0.0.1:0', engine: 'memory', logLevel: 'silent', maxValueBytes: 4096, id: 'api-test' }), {
    clock: { nowMs: () => nowMs, setTimer: systemClock.setTimer },
  });
  await node.start();
  base = `http://${node.httpAddress}`;
});

afterAll(async () => {
  await node.stop();
});

async function put(key: string, body: string | Uint8Array, query = ''): Promise<Response> {
  return fetch(`${base}/kv/${key}${query}`, { method: 'PUT', body });
}

async function errorOf(res: Response): Promise<{ code: string; message: string; [k: string]: unknown }> {
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}

describe('round trips', () => {
  test.each([
    ['plain', 'plain'],
    ['unicode', encodeURIComponent('clé-ключ-鍵-🔑')],
    ['slash encoded', encodeURIComponent('users/42/cart')],
    ['slash raw', 'users/43/cart'],
    ['percent', encodeURIComponent('100%done')],
    ['spaces', encodeURIComponent('a key with spaces')],
  ])('%s key', async (_name, key) => {
    const value = `value of ${key}`;
    const w = await put(key, value);
    expect(w.status).toBe(204);
    expect(w.headers.get('x-ringkv-timestamp')).toMatch(/^\d+\.\d+\.[0-9a-f]{8}$/);
    const r = await fetch(`${base}/kv/${key}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(value);
    expect(r.headers.get('x-ringkv-timestamp')).toBe(w.headers.get('x-ringkv-timestamp'));
  });

  test('a raw slash and an encoded slash name the same key', async () => {
    await put('same/key', 'one');
    expect(await (await fetch(`${base}/kv/same%2Fkey`)).text()).toBe('one');
  });

  test('binary values come back byte for byte', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    expect((await put('binary', bytes)).status).toBe(204);
    const r = await fetch(`${base}/kv/binary`);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(bytes);
  });

  test('an empty value is a value, not an absence', async () => {
    expect((await put('empty', new Uint8Array(0))).status).toBe(204);
    const r = await fetch(`${base}/kv/empty`);
    expect(r.status).toBe(200);
    expect((await r.arrayBuffer()).byteLength).toBe(0);
  });

  test('a later write wins and timestamps increase', async () => {
    const a = await put('lww', 'first');
    const b = await put('lww', 'second');
    expect(await (await fetch(`${base}/kv/lww`)).text()).toBe('second');
    const ts = (r: Response) => parseTimestamp(r.headers.get('x-ringkv-timestamp')!);
    expect(compareTimestamps(ts(a), ts(b))).toBe(-1);
  });

  test('delete makes the key absent; local=1 shows the tombstone', async () => {
    await put('gone', 'soon');
    const d = await fetch(`${base}/kv/gone`, { method: 'DELETE' });
    expect(d.status).toBe(204);
    const r = await fetch(`${base}/kv/gone`);
    expect(r.status).toBe(404);
    expect((await errorOf(r)).code).toBe('NOT_FOUND');
    const local = await fetch(`${base}/kv/gone?local=1`);
    expect(local.status).toBe(404);
    expect(local.headers.get('x-ringkv-tombstone')).toBe('true');
    expect(local.headers.get('x-ringkv-timestamp')).toBe(d.headers.get('x-ringkv-timestamp'));
  });

  test('a value with a TTL reads as absent once expired', async () => {
    expect((await put('ttl', 'brief', '?ttl=10')).status).toBe(204);
    expect((await fetch(`${base}/kv/ttl`)).status).toBe(200);
    nowMs += 9_000;
    expect((await fetch(`${base}/kv/ttl`)).status).toBe(200);
    nowMs += 2_000;
    expect((await fetch(`${base}/kv/ttl`)).status).toBe(404);
  });

  test('quorum parameters within range are accepted', async () => {
    for (const q of ['1', '2', '3', 'one', 'quorum', 'all']) {
      expect((await put('q', 'v', `?w=${q}`)).status).toBe(204);
      expect((await fetch(`${base}/kv/q?r=${q}`)).status).toBe(200);
    }
  });
});

describe('bad input gets its documented status and code, and changes nothing', () => {
  test.each([
    ['GET', '/kv/', 400, 'INVALID_KEY'],
    ['GET', `/kv/${'k'.repeat(1025)}`, 400, 'INVALID_KEY'],
    ['GET', '/kv/%E2%82', 400, 'INVALID_KEY'],
    ['GET', '/kv/absent', 404, 'NOT_FOUND'],
    ['GET', '/kv/absent?r=0', 400, 'INVALID_PARAMETER'],
    ['GET', '/kv/absent?r=4', 400, 'INVALID_PARAMETER'],
    ['GET', '/kv/absent?r=most', 400, 'INVALID_PARAMETER'],
    ['GET', '/kv/absent?bogus=1', 400, 'INVALID_PARAMETER'],
    ['PUT', '/kv/bad?w=0', 400, 'INVALID_PARAMETER'],
    ['PUT', '/kv/bad?w=x', 400, 'INVALID_PARAMETER'],
    ['PUT', '/kv/bad?ttl=-5', 400, 'INVALID_PARAMETER'],
    ['PUT', '/kv/bad?ttl=1.5', 400, 'INVALID_PARAMETER'],
    ['PUT', '/kv/bad?strict=maybe', 400, 'INVALID_PARAMETER'],
    ['DELETE', '/kv/bad?w=9', 400, 'INVALID_PARAMETER'],
    ['POST', '/kv/bad', 405, 'METHOD_NOT_ALLOWED'],
    ['GET', '/nowhere', 404, 'NO_SUCH_ROUTE'],
    ['POST', '/health', 405, 'METHOD_NOT_ALLOWED'],
  ])('%s %s -> %i %s', async (method, path, status, code) => {
    const res = await fetch(base + path, { method, body: method === 'PUT' || method === 'POST' ? 'x' : undefined });
    expect(res.status).toBe(status);
    expect((await errorOf(res)).code).toBe(code);
    expect((await fetch(`${base}/kv/bad`)).status).toBe(404);
  });

  test('a value over the limit gets 413 and is not stored', async () => {
    const res = await put('big', new Uint8Array(4097));
    expect(res.status).toBe(413);
    const err = await errorOf(res);
    expect(err.code).toBe('VALUE_TOO_LARGE');
    expect(err.limitBytes).toBe(4096);
    expect((await fetch(`${base}/kv/big`)).status).toBe(404);
    expect((await put('big', new Uint8Array(4096))).status).toBe(204);
  });

  test('a streamed (chunked) body over the limit gets 413', async () => {
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(1000));
        c.close();
      },
    });
    const res = await fetch(`${base}/kv/chunked`, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect((await fetch(`${base}/kv/chunked`)).status).toBe(404);
  });

  test('the node keeps serving after every bad request', async () => {
    expect((await put('still', 'alive')).status).toBe(204);
    expect(await (await fetch(`${base}/kv/still`)).text()).toBe('alive');
  });
});

describe('operational endpoints', () => {
  test('health and readiness', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });

  test('metrics count requests by route and status', async () => {
    await fetch(`${base}/kv/metric-probe`);
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = (name: string, ...labels: string[]) =>
      text.split('\n').find((l) => l.startsWith(name + '{') && labels.every((x) => l.includes(x)));
    const notFound = line('ringkv_http_requests_total', 'method="GET"', 'route="/kv/{key}"', 'status="404"', 'node="api-test"');
    expect(Number(notFound?.split(' ')[1])).toBeGreaterThanOrEqual(1);
    const puts = line('ringkv_http_request_duration_seconds_count', 'method="PUT"', 'route="/kv/{key}"');
    expect(Number(puts?.split(' ')[1])).toBeGreaterThanOrEqual(10);
    // The scrape itself is the one request in flight.
    expect(line('ringkv_http_in_flight', 'node="api-test"')?.split(' ')[1]).toBe('1');
  });

  test('request counts are exact across scrapes (counted apart from prom-client, flushed when scraped)', async () => {
    const scrape = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const value = (name: string, ...labels: string[]) =>
        Number(text.split('\n').find((l) => l.startsWith(name + '{') && labels.every((x) => l.includes(x)))?.split(' ')[1] ?? 0);
      return {
        notFound: value('ringkv_http_requests_total', 'method="GET"', 'status="404"'),
        reads: value('ringkv_coordinator_requests_total', 'op="read"', 'outcome="succeeded"'),
      };
    };
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/kv/count-probe-${i}`)).status).toBe(404);
    const after = await scrape();
    expect(after.notFound - before.notFound).toBe(3);
    expect(after.reads - before.reads).toBe(3);
    expect(await scrape()).toEqual(after);
  });

  test('cluster view names this node', async () => {
    const view = (await (await fetch(`${base}/cluster`)).json()) as { node: string; members: { id: string; status: string }[] };
    expect(view.node).toBe('api-test');
    expect(view.members).toEqual([expect.objectContaining({ id: 'api-test', status: 'normal', alive: true })]);
  });
});
