// The read path asks R replicas, this node first, and brings in the others only for a replica that
// fails or answers too slowly (readSpeculativeRetryMs); with no speculation delay it asks them all.
// Stale replicas among those that answered are repaired.
import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import type { StoredRecord } from '@ringkv/core';
import { DeadlineQueue } from '../src/coordinator/deadline-queue.js';
import { QuorumRequests } from '../src/coordinator/quorum-request.js';
import { ReadPath } from '../src/coordinator/read-path.js';
import type { ReplicaClient } from '../src/coordinator/replica-client.js';
import { ClusterState } from '../src/membership/cluster-state.js';
import { ReplicationMetrics } from '../src/observability/replication-metrics.js';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { SwitchLiveness, ts } from './anti-entropy/ae-test-kit.js';

const SPECULATE_MS = 50;
const record = (wallMs: number, value: string): StoredRecord => ({ ts: ts(wallMs), tombstone: false, expiresAtMs: 0, value: Buffer.from(value) });

/** A replica read the test answers by hand. */
interface Pending {
  node: string;
  answer(rec: StoredRecord | undefined): void;
  fail(): void;
}

async function setup(o: { speculate?: boolean } = {}) {
  const clock = new ManualClock(0);
  const cluster = new ClusterState('n1');
  await cluster.apply({
    epoch: 1, partitions: 1, replicas: 3,
    members: ['n1', 'n2', 'n3'].map((id) => ({ id, peer: `${id}:7000`, http: `${id}:8000`, status: 'normal' as const })),
  });
  const liveness = new SwitchLiveness();
  const metrics = new ReplicationMetrics(new Registry());
  const reads: Pending[] = [];
  const repairs: string[] = [];
  const replicas = {
    read: (_p: number, _k: Uint8Array, node: string) => new Promise<StoredRecord | undefined>((resolve, reject) => {
      reads.push({ node, answer: resolve, fail: () => reject(new Error(`${node} failed`)) });
    }),
    write: async (_p: number, _k: Uint8Array, rec: StoredRecord, t: { node: string }) => {
      repairs.push(`${t.node}:${Buffer.from(rec.value).toString()}`);
    },
    track: <T>(p: Promise<T>) => p,
  } as unknown as ReplicaClient;
  const path = new ReadPath({
    cluster, liveness, replicas, metrics,
    requests: new QuorumRequests(new DeadlineQueue(clock, 2000), metrics),
    speculation: o.speculate === false ? undefined : new DeadlineQueue(clock, SPECULATE_MS),
  });
  const read = (r: number) => path.read(0, Buffer.from('k'), r);
  const asked = () => reads.map((x) => x.node);
  const reply = (node: string, rec: StoredRecord | undefined) => reads.find((x) => x.node === node)!.answer(rec);
  const spares = async () => (await metrics.readSpares.get()).values[0]?.value ?? 0;
  return { clock, liveness, read, reads, asked, reply, repairs, spares };
}

const turns = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('a quorum read', () => {
  test('asks R replicas, this node first, and answers the newest of them, repairing the stale one', async () => {
    const t = await setup();
    const answer = t.read(2);
    expect(t.asked()).toEqual(['n1', expect.stringMatching(/^n[23]$/)]);
    const other = t.asked()[1]!;
    t.reply('n1', record(1, 'old'));
    t.reply(other, record(2, 'new'));
    expect(Buffer.from((await answer)!.value).toString()).toBe('new');
    expect(t.repairs).toEqual(['n1:new']);
    t.clock.advance(10 * SPECULATE_MS);
    await turns();
    expect(t.asked()).toHaveLength(2); // the third replica was never needed
    expect(await t.spares()).toBe(0);
  });

  test('a replica that fails brings in the next one at once', async () => {
    const t = await setup();
    const answer = t.read(2);
    const [, first] = t.asked();
    t.reads[1]!.fail();
    await turns();
    const spare = t.asked()[2]!;
    expect(spare).not.toBe(first);
    t.reply('n1', record(1, 'v'));
    t.reply(spare, record(1, 'v'));
    expect(Buffer.from((await answer)!.value).toString()).toBe('v');
    expect(await t.spares()).toBe(1);
  });

  test('a replica that does not answer in time brings in the next one (a stopped process)', async () => {
    const t = await setup();
    let done = false;
    const answer = t.read(2).then((r) => { done = true; return r; });
    t.reply('n1', record(1, 'v'));
    await turns();
    expect([done, t.asked().length]).toEqual([false, 2]);
    t.clock.advance(SPECULATE_MS);
    await turns();
    expect(t.asked()).toHaveLength(3);
    t.reply(t.asked()[2]!, record(1, 'v'));
    expect(Buffer.from((await answer)!.value).toString()).toBe('v');
    expect(await t.spares()).toBe(1);
  });

  test('replicas known down are not asked; with too few up it fails at once', async () => {
    const t = await setup();
    t.liveness.setUp('n2', false);
    const answer = t.read(2);
    expect(t.asked()).toEqual(['n1', 'n3']);
    t.reply('n1', undefined);
    t.reply('n3', undefined);
    await expect(answer).resolves.toBeUndefined();
    t.liveness.setUp('n3', false);
    await expect(t.read(2)).rejects.toMatchObject({ code: 'QUORUM_UNAVAILABLE' });
  });

  test('with no speculation delay every replica is asked at once, and every stale one repaired', async () => {
    const t = await setup({ speculate: false });
    const answer = t.read(2);
    expect(t.asked().sort()).toEqual(['n1', 'n2', 'n3']);
    t.reply('n1', record(2, 'new'));
    t.reply('n2', record(2, 'new'));
    await answer;
    t.reply('n3', record(1, 'old'));
    await turns();
    expect(t.repairs).toEqual(['n3:new']);
  });

  test('r = N asks every replica without waiting', async () => {
    const t = await setup();
    void t.read(3);
    expect(t.asked().sort()).toEqual(['n1', 'n2', 'n3']);
  });
});
