// The backlog gauges: the oldest anti-entropy round age (as a table), hints, streaming.
import { describe, expect, test } from '@jest/globals';
import { Registry } from 'prom-client';
import type { AntiEntropyStatus, PartitionStatus } from '../../src/anti-entropy/ae-status.js';
import { oldestRoundAgeSeconds, registerProgressMetrics, type ProgressMetricsSource } from '../../src/observability/progress-metrics.js';

const partition = (p: number, successes: (number | null)[]): PartitionStatus => ({
  partition: p, state: 'ready', entries: 0, tombstones: 0, purge: null,
  peers: successes.map((at, i) => ({ peer: `n${i}`, lastRoundAtMs: at, outcome: null, differingBuckets: 0, keysRepaired: 0, bytes: 0, lastSuccessAtMs: at })),
});
const status = (...partitions: PartitionStatus[]): AntiEntropyStatus => ({
  node: 'n0', intervalMs: 600_000, buckets: 1024, fanout: 16, treeBytesPerPartition: 0, running: 0, queued: 0, partitions,
});

describe('oldestRoundAgeSeconds', () => {
  const three = () => 3;
  test.each([
    ['no partitions', status(), three, undefined],
    ['one partition, last success 10 s ago', status(partition(0, [90_000])), three, 10],
    ['a partition counts its most recent success with any peer', status(partition(0, [50_000, 95_000])), three, 5],
    ['the least recently compared partition wins', status(partition(0, [95_000]), partition(1, [85_000])), three, 15],
    ['never compared: since the node started', status(partition(0, [null]), partition(1, [99_000])), three, 20],
    ['no peer recorded yet: since the node started', status(partition(0, [])), three, 20],
    ['a partition alone on its node has nothing to compare', status(partition(0, [])), () => 1, undefined],
    ['a success before the start counts from the start', status(partition(0, [10_000])), three, 20],
  ])('%s', (_what, s, replicasOf, want) => {
    expect(oldestRoundAgeSeconds(s, replicasOf, 100_000, 80_000)).toBe(want);
  });
});

describe('progress metrics', () => {
  function setup(over: Partial<ProgressMetricsSource> = {}) {
    const registry = new Registry();
    const topology = {
      streamed: { received: 0, sent: 0 },
      progress: { phase: 'idle' as const, partitionsTotal: 0, partitionsDone: 0 },
      status: () => ({ pendingPartitions: 0 }),
    };
    const source: ProgressMetricsSource = {
      nowMs: () => 100_000,
      hints: { totalBytes: () => 4096, oldestPendingAtMs: 40_000 },
      antiEntropy: { status: () => status(partition(0, [90_000])), manual: false, intervalMs: 600_000 },
      replicasOf: () => 3, startedAtMs: 0, topology, pace: { fraction: 1, waitedMs: 0 }, ...over,
    };
    registerProgressMetrics(registry, source);
    const values = async (name: string) => Object.fromEntries((await registry.getSingleMetric(name)!.get()).values.map((v) => [Object.values(v.labels).join(',') || '', v.value]));
    return { values, topology, source };
  }

  test('hint backlog bytes and the oldest pending hint\'s age', async () => {
    const { values } = setup();
    expect(await values('ringkv_hints_backlog_bytes')).toEqual({ '': 4096 });
    expect(await values('ringkv_hints_oldest_pending_age_seconds')).toEqual({ '': 60 });
  });

  test('no hint held: age 0', async () => {
    const { values } = setup({ hints: { totalBytes: () => 0, oldestPendingAtMs: undefined } });
    expect(await values('ringkv_hints_oldest_pending_age_seconds')).toEqual({ '': 0 });
  });

  test('anti-entropy round age and interval; a passive node exports 0', async () => {
    expect(await setup().values('ringkv_anti_entropy_oldest_round_age_seconds')).toEqual({ '': 10 });
    expect(await setup().values('ringkv_anti_entropy_interval_seconds')).toEqual({ '': 600 });
    const passive = setup({ antiEntropy: { status: () => status(partition(0, [1])), manual: true, intervalMs: 600_000 } });
    expect(await passive.values('ringkv_anti_entropy_oldest_round_age_seconds')).toEqual({ '': 0 });
  });

  test('streaming: bytes by direction, partitions pending (receiving or sending), one phase set', async () => {
    const { values, topology } = setup();
    topology.streamed.received = 1000;
    topology.streamed.sent = 250;
    Object.assign(topology.progress, { phase: 'sending', partitionsTotal: 10, partitionsDone: 4 });
    expect(await values('ringkv_stream_bytes_total')).toEqual({ received: 1000, sent: 250 });
    expect(await values('ringkv_stream_partitions_pending')).toEqual({ '': 6 });
    expect(await values('ringkv_stream_phase')).toEqual({ idle: 0, receiving: 0, sending: 1, 'catching-up': 0, 'handing-over-hints': 0, left: 0 });
  });

  test('background pace: the share now, and the seconds waited as a counter that follows the pacer', async () => {
    const pace = { fraction: 0.25, waitedMs: 1500 };
    const { values } = setup({ pace });
    expect(await values('ringkv_background_pace_ratio')).toEqual({ '': 0.25 });
    expect(await values('ringkv_background_pace_wait_seconds_total')).toEqual({ '': 1.5 });
    pace.waitedMs = 4000;
    expect(await values('ringkv_background_pace_wait_seconds_total')).toEqual({ '': 4 });
  });
});
