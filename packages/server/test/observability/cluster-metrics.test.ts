// The cluster gauges read at scrape time: replica health as core computes it from the ring and
// the liveness verdict, members by status, and peer labels that follow the membership.
import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import type { MemberStatus } from '@ringkv/core';
import { registerClusterMetrics, type ClusterMetricsSource } from '../../src/observability/cluster-metrics.js';

interface View {
  members: { id: string; status: MemberStatus }[];
  lists: string[][];
  alive: Set<string>;
}

function setup(view: View | undefined) {
  const registry = new Registry();
  const state = { view };
  const source: ClusterMetricsSource = {
    selfId: 'a', r: 2, w: 2, ready: () => state.view !== undefined,
    membership: () => state.view && { epoch: 7, members: state.view.members, preferenceLists: () => state.view!.lists },
    liveness: () => (state.view?.members ?? []).map((m) => ({ id: m.id, alive: state.view!.alive.has(m.id), phi: m.id === 'a' ? 0 : 1.5, heartbeatAgeMs: m.id === 'a' ? 0 : 2500 })),
  };
  registerClusterMetrics(registry, source);
  const values = async (name: string) => {
    const metric = registry.getSingleMetric(name)!;
    return (await metric.get()).values.map((v) => [Object.values(v.labels).join(','), v.value] as const);
  };
  const value = async (name: string) => (await values(name))[0]?.[1];
  return { state, values, value };
}

const members = (ids: string, status: MemberStatus = 'normal') => ids.split('').map((id) => ({ id, status }));
const lists = ['abc', 'bcd', 'cda', 'dab'].map((l) => l.split(''));

describe('cluster metrics', () => {
  test('partition health: this node counts as up, the others by liveness', async () => {
    const { value } = setup({ members: members('abcd'), lists, alive: new Set(['b']) }); // a: self, b up; c, d down
    expect(await value('ringkv_partitions')).toBe(4);
    expect(await value('ringkv_partitions_fully_replicated')).toBe(0);
    expect(await value('ringkv_partitions_under_replicated')).toBe(4);
    expect(await value('ringkv_partitions_below_read_quorum')).toBe(2); // bcd and cda keep one replica
    expect(await value('ringkv_partitions_below_write_quorum')).toBe(2);
    expect(await value('ringkv_partitions_unavailable')).toBe(0);
  });

  test('every replica up: all fully replicated', async () => {
    const { value } = setup({ members: members('abcd'), lists, alive: new Set(['a', 'b', 'c', 'd']) });
    expect(await value('ringkv_partitions_fully_replicated')).toBe(4);
    expect(await value('ringkv_partitions_under_replicated')).toBe(0);
  });

  test('before a membership: zeros, epoch 0, not ready', async () => {
    const { value, values } = setup(undefined);
    expect(await value('ringkv_partitions')).toBe(0);
    expect(await value('ringkv_epoch')).toBe(0);
    expect(await value('ringkv_ready')).toBe(0);
    expect(await values('ringkv_peer_up')).toEqual([]);
  });

  test('members by status (every status listed), this node\'s own status, epoch', async () => {
    const { value, values } = setup({ members: [...members('ab'), ...members('c', 'joining'), ...members('d', 'leaving')], lists, alive: new Set() });
    expect(Object.fromEntries(await values('ringkv_members'))).toEqual({ joining: 1, normal: 2, leaving: 1, left: 0 });
    expect(Object.fromEntries(await values('ringkv_self_status'))).toEqual({ joining: 0, normal: 1, leaving: 0, left: 0 });
    expect(await value('ringkv_epoch')).toBe(7);
  });

  test('peer labels are the other members, and follow the membership', async () => {
    const { state, values } = setup({ members: members('abcd'), lists, alive: new Set(['c']) });
    expect(await values('ringkv_peer_up')).toEqual([['b', 0], ['c', 1], ['d', 0]]);
    expect(await values('ringkv_peer_phi')).toEqual([['b', 1.5], ['c', 1.5], ['d', 1.5]]);
    expect(await values('ringkv_peer_heartbeat_age_seconds')).toEqual([['b', 2.5], ['c', 2.5], ['d', 2.5]]);
    state.view = { members: members('ac'), lists, alive: new Set(['c']) };
    expect(await values('ringkv_peer_up')).toEqual([['c', 1]]);
  });
});
