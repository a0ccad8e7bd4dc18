// The bench's etcd comparison (packages/cli/src/bench/etcd-ceiling.ts, http-load.ts): the requests
// of each API, the members' arguments, finding the binary, and, where etcd is installed (Debian's
// etcd-server, which ./dev.sh test installs when it may), a real 3-member cluster loaded through
// its JSON gateway: every request answered, the values stored, CPU counted, everything stopped.
import { describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { ETCD_MISSING, etcdArgs, findEtcd, startEtcdCluster } from '../../packages/cli/src/bench/etcd-ceiling.js';
import { preload, requestOf, runLoad } from '../../packages/cli/src/bench/http-load.js';

const VALUE = Buffer.from('vvv');
const B64 = VALUE.toString('base64');
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('requestOf', () => {
  test.each<[Parameters<typeof requestOf>[0], 'PUT' | 'GET', object]>([
    ['ringkv', 'PUT', { method: 'PUT', path: '/kv/bench-7?w=2', body: VALUE }],
    ['ringkv', 'GET', { method: 'GET', path: '/kv/bench-7?w=2' }],
    ['etcd', 'PUT', { method: 'POST', path: '/v3/kv/put', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: b64('bench-7'), value: B64 }) }],
    ['etcd', 'GET', { method: 'POST', path: '/v3/kv/range', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: b64('bench-7') }) }],
  ])('%s %s', (api, op, expected) => {
    expect(requestOf(api, op, 7, '?w=2', VALUE, B64)).toEqual(expected);
  });
});

test('etcdArgs: each member its own ports, all of them in the initial cluster', () => {
  const args = etcdArgs(1, '/d/e2', [11, 12, 13], [21, 22, 23]);
  const flag = (name: string) => args[args.indexOf(name) + 1];
  expect(flag('--name')).toBe('e2');
  expect(flag('--data-dir')).toBe('/d/e2');
  expect(flag('--listen-client-urls')).toBe('http://127.0.0.1:12');
  expect(flag('--listen-peer-urls')).toBe('http://127.0.0.1:22');
  expect(flag('--initial-cluster')).toBe('e1=http://127.0.0.1:21,e2=http://127.0.0.1:22,e3=http://127.0.0.1:23');
});

test('findEtcd: RINGKV_ETCD when executable, else PATH; undefined when there is none', () => {
  expect(findEtcd({ RINGKV_ETCD: process.execPath })).toBe(process.execPath);
  expect(findEtcd({ RINGKV_ETCD: '/nonexistent/etcd' })).toBeUndefined();
  expect(findEtcd({ PATH: '/nonexistent' })).toBeUndefined();
});

const ETCD = findEtcd();
if (!ETCD) console.log(`etcd-ceiling test: ${ETCD_MISSING}`);

(ETCD ? test : test.skip)('a 3-member etcd: loaded through its JSON gateway, values stored, CPU counted, stopped and its data removed', async () => {
  const etcd = await startEtcdCluster(ETCD!);
  const load = { endpoints: etcd.urls, connections: 6, keys: 50, valueBytes: 100, api: 'etcd' as const };
  try {
    expect(await preload(load)).toBe(0);
    const cpu0 = etcd.cpuSeconds();
    const put = await runLoad({ ...load, op: 'PUT', durationS: 1 });
    const get = await runLoad({ ...load, op: 'GET', durationS: 1 });
    for (const r of [put, get]) expect([r.requests > 0, r.errors, r.non2xx]).toEqual([true, 0, 0]);
    expect(etcd.cpuSeconds()!).toBeGreaterThan(cpu0!);
    const res = await fetch(`${etcd.urls[2]}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64('bench-49') }) });
    const kvs = ((await res.json()) as { kvs?: { value: string }[] }).kvs ?? [];
    expect(kvs.map((kv) => Buffer.from(kv.value, 'base64').toString())).toEqual(['v'.repeat(100)]);
  } finally {
    await etcd.stop();
  }
  for (const url of etcd.urls) await expect(fetch(`${url}/health`)).rejects.toThrow();
  expect(existsSync(etcd.dataDir)).toBe(false);
}, 60_000);
