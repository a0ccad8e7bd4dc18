// Raft gauges from the driver's status, and leader changes as the driver reports them.
import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import type { RaftStatus } from '@ringkv/core';
import { RaftMetrics } from '../../src/observability/raft-metrics.js';

const leaderStatus: RaftStatus = {
  id: 'a', term: 4, vote: 'a', role: 'leader', leader: 'a', commit: 10, applied: 9, firstIndex: 1, lastIndex: 12, snapshotIndex: 0,
  config: { voters: ['a', 'b', 'c'], learners: [] } as unknown as RaftStatus['config'], leadTransferee: null,
  progress: {
    a: { match: 12, next: 13, state: 'replicate', recentActive: true, isLearner: false },
    b: { match: 12, next: 13, state: 'replicate', recentActive: true, isLearner: false },
    c: { match: 7, next: 8, state: 'probe', recentActive: false, isLearner: false },
  } as RaftStatus['progress'],
};

async function read(registry: Registry, name: string) {
  return Object.fromEntries((await registry.getSingleMetric(name)!.get()).values.map((v) => [Object.values(v.labels).join(',') || '', v.value]));
}

describe('RaftMetrics', () => {
  test('term, leadership, commit and apply lag, and each follower\'s lag on the leader', async () => {
    const registry = new Registry();
    let status: RaftStatus | undefined = leaderStatus;
    new RaftMetrics(registry, 'a', () => status);
    expect(await read(registry, 'ringkv_raft_term')).toEqual({ '': 4 });
    expect(await read(registry, 'ringkv_raft_is_leader')).toEqual({ '': 1 });
    expect(await read(registry, 'ringkv_raft_has_leader')).toEqual({ '': 1 });
    expect(await read(registry, 'ringkv_raft_commit_lag_entries')).toEqual({ '': 2 });
    expect(await read(registry, 'ringkv_raft_apply_lag_entries')).toEqual({ '': 1 });
    expect(await read(registry, 'ringkv_raft_follower_lag_entries')).toEqual({ b: 0, c: 5 });
    status = { ...leaderStatus, role: 'follower', leader: null, progress: undefined };
    expect(await read(registry, 'ringkv_raft_is_leader')).toEqual({ '': 0 });
    expect(await read(registry, 'ringkv_raft_has_leader')).toEqual({ '': 0 });
    expect(await read(registry, 'ringkv_raft_follower_lag_entries')).toEqual({});
    status = undefined;
    expect(await read(registry, 'ringkv_raft_term')).toEqual({ '': 0 });
  });

  test('a leader change counts once per different leader; losing the leader is not a change', async () => {
    const registry = new Registry();
    const m = new RaftMetrics(registry, 'a', () => undefined);
    for (const leader of ['b', 'b', null, 'b', 'c', null, null, 'a', 'a']) m.sawLeader(leader);
    expect(await read(registry, 'ringkv_raft_leader_changes_total')).toEqual({ '': 3 });
  });
});
