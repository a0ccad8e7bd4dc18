// The console's views from members' parts, as tables: health (verdict, counts, stale), nodes,
// partitions, transfers (overdue first), traffic summed over nodes, the plan of a change, and
// the CSRF check of POSTs to /cluster/*.
import { describe, expect, test } from '@jest/globals';
import { initialMembership, runRingSteps, type MemberRecord } from '@ringkv/core';
import { MembershipChangeRefusedError } from '../../src/membership/membership-errors.js';
import { healthView, nodesView, partitionsView, trafficView, transfersView, type ViewContext } from '../../src/console/console-views.js';
import { foreignOrigin } from '../../src/console/origin-check.js';
import { planChangeSteps } from '../../src/console/plan.js';

const planChange = (...args: Parameters<typeof planChangeSteps>) => runRingSteps(planChangeSteps(...args));
import type { CollectedParts } from '../../src/console/status-collector.js';
import type { SelfStatus } from '../../src/protocol/peer-messages.js';

const members: MemberRecord[] = ['n1', 'n2', 'n3'].map((id, i) => ({ id, peer: `127.0.0.1:${7001 + i}`, http: `127.0.0.1:${8001 + i}`, status: 'normal' }));
const ring = [['n1', 'n2', 'n3'], ['n2', 'n3', 'n1'], ['n3', 'n1', 'n2'], ['n1', 'n2', 'n3']];
const op = (ops: number, p99Ms: number | null) => ({ ops, p50Ms: p99Ms === null ? null : p99Ms / 2, p99Ms });

function part(id: string, o: Partial<SelfStatus> = {}): SelfStatus {
  return {
    id, atMs: 1_000_000, epoch: 1, liveness: [], diskBytes: 4000, hints: [], hintsByPartition: [], streams: [],
    antiEntropy: { intervalMs: 600_000, oldestRoundAgeMs: 1000, partitions: [] }, p99Ms: { get: 1, put: 2 }, opsByPartition: [], ...o,
  };
}

function ctx(alive: Record<string, boolean>, heardAgo: Record<string, number | null> = {}): ViewContext {
  return {
    selfId: 'n1', epoch: 1, leader: 'n1', members, ring, replicas: 3, r: 2, w: 2,
    liveness: new Map(members.map((m) => [m.id, { alive: alive[m.id] ?? true, phi: 1, heartbeatAgeMs: heardAgo[m.id] ?? 100 }])),
    clockOffsetMs: new Map([['n2', 5], ['n3', null]]), downAfterMs: 30_000,
  };
}

const collected = (parts: SelfStatus[], stale: string[] = []): CollectedParts => ({ parts: new Map(parts.map((p) => [p.id, p])), stale: new Set(stale) });

describe('healthView', () => {
  test('all up and quiet: healthy, every partition full', () => {
    const h = healthView(ctx({}), collected([part('n1'), part('n2'), part('n3')]));
    expect([h.verdict, h.reasons]).toEqual(['healthy', []]);
    expect(h.nodes).toEqual({ total: 3, up: 3, suspect: 0, down: 0, joining: 0, leaving: 0, stale: 0 });
    expect(h.partitions).toEqual({ total: 4, fullyReplicated: 4, underReplicated: 0, belowRead: 0, belowWrite: 0, unavailable: 0 });
    expect([h.node, h.epoch, h.leader, h.stale]).toEqual(['n1', 1, 'n1', []]);
  });

  test('one member silent: suspect then down, stale, every partition under-replicated, still serving', () => {
    const parts = collected([part('n1', { hints: [{ target: 'n3', count: 4, bytes: 400, oldestAgeMs: 7000, deliveredPerSecond: 0, dropped: 0 }] }), part('n2'), part('n3')], ['n3']);
    const suspect = healthView(ctx({ n3: false }, { n3: 2000 }), parts);
    expect(suspect.verdict).toBe('degraded');
    expect(suspect.nodes).toMatchObject({ up: 2, suspect: 1, down: 0, stale: 1 });
    expect(suspect.partitions).toMatchObject({ fullyReplicated: 0, underReplicated: 4, belowWrite: 0 });
    expect(suspect.hints).toEqual({ count: 4, bytes: 400, oldestAgeMs: 7000 });
    expect(suspect.stale).toEqual(['n3']);
    const down = healthView(ctx({ n3: false }, { n3: 60_000 }), parts);
    expect(down.nodes).toMatchObject({ suspect: 0, down: 1 });
    expect(down.reasons[0]).toBe('1 member is down');
  });

  test('two members down: below W, unavailable', () => {
    const h = healthView(ctx({ n2: false, n3: false }, { n2: null, n3: null }), collected([part('n1')], ['n2', 'n3']));
    expect(h.verdict).toBe('unavailable');
    expect(h.partitions).toMatchObject({ belowRead: 4, belowWrite: 4, unavailable: 0 });
  });

  test('a stream running and anti-entropy overdue degrade it', () => {
    const stream = { partition: 1, source: 'n2', destination: 'n1', bytesDone: 10, bytesTotal: null, rateBytesPerSecond: 1, etaSeconds: null, stalled: false };
    const h = healthView(ctx({}), collected([part('n1', { streams: [stream], antiEntropy: { intervalMs: 1, oldestRoundAgeMs: 9000, partitions: [{ partition: 0, lastCompletedMs: null, keysRepaired: 0, overdue: true }] } }), part('n2', { streams: [stream] })]));
    expect(h.transfers).toEqual({ inFlight: 1 }); // the same stream reported twice counts once
    expect(h.antiEntropy).toEqual({ oldestRoundAgeMs: 9000, overduePartitions: 1 });
    expect(h.verdict).toBe('degraded');
  });
});

test('nodesView: liveness, offsets, shares now and after, hints to and from, stale', () => {
  const c = ctx({ n3: false }, { n3: 2000 });
  const target = [['n1', 'n2', 'n4'], ['n2', 'n4', 'n1'], ['n4', 'n1', 'n2'], ['n1', 'n2', 'n4']];
  const v = nodesView({ ...c, target }, collected([
    part('n1', { hints: [{ target: 'n3', count: 3, bytes: 30, oldestAgeMs: 1, deliveredPerSecond: 0, dropped: 0 }] }), part('n2'),
  ], ['n3']));
  const byId = new Map(v.nodes.map((n) => [n.id, n]));
  expect(byId.get('n1')).toMatchObject({ liveness: 'up', lastHeardAgeMs: 0, clockOffsetMs: 0, hints: { to: 0, from: 3 }, diskBytes: 4000, stale: false });
  expect(byId.get('n2')).toMatchObject({ liveness: 'up', clockOffsetMs: 5, p99Ms: { get: 1, put: 2 } });
  expect(byId.get('n3')).toMatchObject({ liveness: 'suspect', clockOffsetMs: null, hints: { to: 3, from: 0 }, diskBytes: null, stale: true, share: { now: 1 / 3, afterMoves: 0 } });
});

test('partitionsView: health words, pending owners, last exchange, hints and ops summed over nodes', () => {
  const target = [['n1', 'n2', 'n4'], ...ring.slice(1)];
  const v = partitionsView({ ...ctx({ n2: false, n3: false }, { n2: null, n3: 100 }), target }, collected([
    part('n1', { hintsByPartition: [[0, 2]], opsByPartition: [[0, 1.5]], antiEntropy: { intervalMs: 1, oldestRoundAgeMs: null, partitions: [{ partition: 0, lastCompletedMs: 500, keysRepaired: 1, overdue: false }] } }),
    part('n2', { hintsByPartition: [[0, 1]], opsByPartition: [[0, 2]], antiEntropy: { intervalMs: 1, oldestRoundAgeMs: null, partitions: [{ partition: 0, lastCompletedMs: 900, keysRepaired: 0, overdue: false }] } }),
  ]));
  expect(v.partitions[0]).toEqual({ partition: 0, replicas: ['n1', 'n2', 'n3'], up: 1, health: 'belowWrite', pendingOwners: ['n4'], lastMerkleExchangeMs: 900, hints: 3, opsPerSecond: 3.5 });
  expect(v.partitions[1]).toMatchObject({ pendingOwners: [], lastMerkleExchangeMs: null, hints: 0, opsPerSecond: 0 });
  expect([v.epoch, v.replicas, v.r, v.w]).toEqual([1, 3, 2, 2]);
});

test('transfersView: hints by holder, anti-entropy overdue first then least recently completed', () => {
  const ae = (partition: number, lastCompletedMs: number | null, overdue: boolean) => ({ partition, lastCompletedMs, keysRepaired: 0, overdue });
  const v = transfersView(collected([
    part('n2', { antiEntropy: { intervalMs: 1, oldestRoundAgeMs: null, partitions: [ae(0, 50, false), ae(1, 10, true)] } }),
    part('n1', { hints: [{ target: 'n3', count: 1, bytes: 1, oldestAgeMs: 1, deliveredPerSecond: 0.5, dropped: 2 }], antiEntropy: { intervalMs: 1, oldestRoundAgeMs: null, partitions: [ae(0, null, false), ae(2, 20, true)] } }),
  ]));
  expect(v.hints).toEqual([{ holder: 'n1', target: 'n3', count: 1, bytes: 1, oldestAgeMs: 1, deliveredPerSecond: 0.5, dropped: 2 }]);
  expect(v.antiEntropy.map((a) => [a.node, a.partition])).toEqual([['n2', 1], ['n1', 2], ['n1', 0], ['n2', 0]]);
});

test('trafficView: one node as it is; all summed per interval with the worst quantiles; unknown node undefined', () => {
  const traffic = (atMs: number[], ops: number, p99: number, errors: [string, number][]) => ({
    resolutionMs: 10_000, capBytes: 1000, usedBytes: 100,
    series: atMs.map((at) => ({ atMs: at, get: op(ops, p99), put: op(0, null), delete: op(0, null), errors })),
  });
  const c = collected([
    part('n1', { traffic: traffic([10_003, 20_003], 5, 3, [['TIMEOUT', 1]]) }),
    part('n2', { traffic: traffic([10_007], 7, 9, [['TIMEOUT', 2], ['OVERLOADED', 1]]) }),
  ]);
  expect(trafficView(c, 'n1', 10_000)!.series.map((s) => s.atMs)).toEqual([10_003, 20_003]);
  const all = trafficView(c, 'all', 10_000)!;
  expect([all.capBytes, all.usedBytes]).toEqual([2000, 200]);
  expect(all.series).toEqual([
    { atMs: 10_000, get: { ops: 12, p50Ms: 4.5, p99Ms: 9 }, put: op(0, null), delete: op(0, null), errors: { TIMEOUT: 3, OVERLOADED: 1 } },
    { atMs: 20_000, get: op(5, 3), put: op(0, null), delete: op(0, null), errors: { TIMEOUT: 1 } },
  ]);
  expect(trafficView(c, 'n9', 10_000)).toBeUndefined();
});

describe('planChange', () => {
  const state = initialMembership(32, 3, members);
  test('a remove moves the partitions of the member removed; bytes from the members\' disks', () => {
    const parts = members.map((m) => part(m.id, { diskBytes: 32 * 100 })); // every member holds all 32: 100 bytes a replica
    const p = planChange(state, { op: 'remove', id: 'n3' }, parts);
    expect(p).toMatchObject({ op: 'remove', id: 'n3', epoch: 1, partitionsMoving: 0, copiesMoving: 0, bytesMoving: 0 });
    expect(p.shares.n3).toEqual({ before: 1 / 3, after: 0 });
    expect(p.shares.n1!.after).toBeCloseTo(0.5, 9);
  });

  test('an add of a fourth member moves copies to it only', () => {
    const p = planChange(state, { op: 'add', member: { id: 'n4', peer: '127.0.0.1:7004', http: '127.0.0.1:8004' } }, members.map((m) => part(m.id, { diskBytes: 3200 })));
    expect(p.partitionsMoving).toBeGreaterThan(0);
    expect(p.copiesMoving).toBe(p.partitionsMoving);
    expect(p.bytesMoving).toBe(p.copiesMoving * 100);
    expect(p.moving.every((m) => m.gaining.join() === 'n4')).toBe(true);
  });

  test('no disk figures: bytes unknown; a change the rules refuse is refused', () => {
    expect(planChange(state, { op: 'leave', id: 'n2' }, [part('n1', { diskBytes: null })]).bytesMoving).toBeNull();
    expect(() => planChange(state, { op: 'remove', id: 'n9' }, [])).toThrow(MembershipChangeRefusedError);
  });
});

describe('foreignOrigin (CSRF)', () => {
  test.each([
    ['POST', '/cluster/changes', { host: '127.0.0.1:7070' }, false, undefined], // no Origin: not a browser form
    ['POST', '/cluster/changes', { host: '127.0.0.1:7070', origin: 'http://127.0.0.1:7070' }, false, undefined],
    ['POST', '/cluster/plan', { host: '127.0.0.1:7070', origin: 'HTTP://127.0.0.1:7070' }, false, undefined],
    ['POST', '/cluster/changes', { host: '127.0.0.1:7070', origin: 'https://evil.example' }, false, 'https://evil.example'],
    ['POST', '/cluster/changes', { host: '127.0.0.1:7070', origin: 'null' }, false, 'null'], // sandboxed or file page
    ['POST', '/cluster/changes', { host: '127.0.0.1:7070', origin: 'https://127.0.0.1:7070' }, false, 'https://127.0.0.1:7070'], // scheme differs
    ['POST', '/cluster/changes', { host: 'proxy:80', origin: 'https://db.example:7443' }, true, undefined], // the advertised address
    ['POST', '/cluster/leave', { origin: 'http://x' }, false, 'http://x'],
    ['GET', '/cluster/health', { host: 'a:1', origin: 'http://x' }, false, undefined], // views are not changes
    ['POST', '/kv/k', { host: 'a:1', origin: 'http://x' }, false, undefined], // not /cluster/*
  ])('%s %s %j secure=%s: %j', (method, path, headers, secure, refused) => {
    expect(foreignOrigin(method, path, headers, secure, ['db.example:7443'])).toBe(refused);
  });
});
