// The coordinator's request deadline on the quorum path, under simulation: a replica that never
// answers (here the coordinator's own store, whose engine write hangs: no transport timeout stands
// in for it) ends a write that needs it in TIMEOUT, while a write that W is met without still succeeds.
import { describe, expect, test } from '@jest/globals';
import type { BatchOp, WriteOptions } from '@ringkv/storage';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimCluster, DEFAULT_CLUSTER } from './sim-cluster.js';
import { SimNetwork } from './sim-network.js';
import { Trace } from './trace.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('coordinator deadline on the quorum path', () => {
  test('a write waiting on a replica that never answers times out; one that W is met without succeeds', async () => {
    const scheduler = new Scheduler(new Trace(200, false));
    const held: (() => void)[] = [];
    try {
      const network = new SimNetwork(scheduler, new Prng(11).fork('network'));
      const cluster = new SimCluster(scheduler, network, new Prng(11).fork('cluster'), {
        ...DEFAULT_CLUSTER, nodes: 3, partitions: 16, antiEntropy: { manual: true },
      });
      await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');
      const n1 = cluster.runtime('n1');
      // n1's data writes hang from now on (Raft and metadata writes go through).
      const engine = cluster.node('n1').engine;
      const batch = engine.batch.bind(engine);
      engine.batch = (ops: readonly BatchOp[], options?: WriteOptions) => {
        if (ops.length > 0 && ops.every((op) => op.key[0] === 0x01)) {
          return new Promise<void>((resolve, reject) => held.push(() => batch(ops, options).then(resolve, reject)));
        }
        return batch(ops, options);
      };

      const all = n1.coordinator.put(enc('k-all'), enc('v'), { w: '3' }).then(() => 'acknowledged', (err: { code?: string }) => err.code);
      expect(await scheduler.runUntilSettled(all, 60_000, 'put w=3')).toBe('TIMEOUT');
      const two = n1.coordinator.put(enc('k-two'), enc('v'), { w: '2' }).then(() => 'acknowledged', (err: { code?: string }) => err.code);
      expect(await scheduler.runUntilSettled(two, 60_000, 'put w=2')).toBe('acknowledged');
      expect(held.length).toBeGreaterThan(0);
    } finally {
      for (const go of held.splice(0)) go();
    }
  }, 60_000);
});
