import { afterEach, describe, expect, test } from '@jest/globals';
import { assignPartitions, InvalidRingConfigError, type RingMember } from '@ringkv/core';
import type { Worker } from 'node:worker_threads';
import { createLogger } from '../../src/observability/logger.js';
import { WorkerRingAssigner } from '../../src/membership/worker-ring-assigner.js';

const members = (m: number, zones = 0): RingMember[] =>
  Array.from({ length: m }, (_, i) => (zones > 0 ? { id: `node-${i}`, zone: `z${i % zones}` } : { id: `node-${i}` }));

const open: WorkerRingAssigner[] = [];
// The tests run from source; the worker loads core's build (./dev.sh test builds first).
const coreBuild = new URL('../../../core/dist/index.js', import.meta.url).href;

/** An assigner that sends every ring of at least 16 partitions to its worker. */
function assigner(): WorkerRingAssigner {
  const a = new WorkerRingAssigner(createLogger('silent', {}), 16, () => coreBuild);
  open.push(a);
  return a;
}
const workerOf = (a: WorkerRingAssigner): Worker | undefined => (a as unknown as { worker?: Worker }).worker;

afterEach(async () => {
  for (const a of open.splice(0)) await a.close();
});

describe('WorkerRingAssigner', () => {
  test('computes on its worker the ring assignPartitions computes here, fresh and moved from a previous one', async () => {
    const a = assigner();
    for (const [m, zones, q] of [[3, 0, 256], [5, 2, 1024], [7, 3, 64]] as const) {
      const fresh = await a.compute({ members: members(m, zones), partitions: q, replicas: 3 });
      expect(workerOf(a)).toBeDefined();
      expect(fresh).toEqual(assignPartitions(members(m, zones), q, 3));
      // The previous ring came from the worker: it goes back packed as it came.
      const grown = await a.compute({ members: members(m + 1, zones), partitions: q, replicas: 3, previous: fresh as never });
      expect(grown).toEqual(assignPartitions(members(m + 1, zones), q, 3, assignPartitions(members(m, zones), q, 3)));
      // A previous ring from elsewhere (a snapshot) is packed here.
      const shrunk = await a.compute({ members: members(m, zones), partitions: q, replicas: 3, previous: assignPartitions(members(m + 1, zones), q, 3) });
      expect(shrunk).toEqual(assignPartitions(members(m, zones), q, 3, assignPartitions(members(m + 1, zones), q, 3)));
    }
  });

  test('answers what assignPartitions throws as that Error, with its message', async () => {
    const a = assigner();
    const out = await a.compute({ members: [{ id: 'a' }, { id: 'a' }], partitions: 64, replicas: 3 });
    expect(workerOf(a)).toBeDefined();
    expect(out).toBeInstanceOf(Error);
    let thrown: unknown;
    try {
      assignPartitions([{ id: 'a' }, { id: 'a' }], 64, 3);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidRingConfigError);
    expect((out as Error).message).toBe((thrown as Error).message);
  });

  test('small rings are computed on the spot, with no worker', async () => {
    const a = assigner();
    expect(await a.compute({ members: members(3), partitions: 8, replicas: 3 })).toEqual(assignPartitions(members(3), 8, 3));
    expect(workerOf(a)).toBeUndefined();
  });

  test('a worker that dies is replaced, and the rings stay the same', async () => {
    const a = assigner();
    const req = { members: members(4), partitions: 256, replicas: 3 };
    await a.compute(req);
    const first = workerOf(a)!;
    const exited = new Promise((r) => first.once('exit', r));
    await first.terminate();
    await exited;
    expect(workerOf(a)).toBeUndefined();
    expect(await a.compute(req)).toEqual(assignPartitions(req.members, 256, 3));
    expect(workerOf(a)).not.toBe(first);
  });

  test('requests in flight when it closes are computed here, and later ones too', async () => {
    const a = assigner();
    const req = { members: members(5, 2), partitions: 4096, replicas: 3 };
    const pending = a.compute(req);
    await a.close();
    expect(await pending).toEqual(assignPartitions(req.members, 4096, 3));
    expect(await a.compute(req)).toEqual(assignPartitions(req.members, 4096, 3));
    expect(workerOf(a)).toBeUndefined();
  });
});
