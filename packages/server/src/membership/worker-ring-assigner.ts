// Computes large rings on a worker thread. At Q=65536 one assignPartitions takes 20-50 ms warm and
// 110-300 ms for the first calls in a process (scripts/ring-bench.mjs and the note of #17), all of
// it a stall of the event loop that serves requests. The worker runs core's own function on the
// same inputs, so the ring is the one every other node computes; results come back packed (member
// indices in one transferred buffer). Whatever goes wrong with the worker (it cannot start, dies,
// answers nonsense, has too much queued) the ring is computed here instead: slower, never different.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assignRingOrError, packAssignment, unpackAssignment, type Assignment, type PackedAssignment, type RingRequest } from '@ringkv/core';
import type { Logger } from '../observability/logger.js';
import type { RingAssigner } from './ring-assigner.js';

/** Smaller rings are computed on the spot: the coldest assignment measured took 14 ms at Q=1024 and 58 ms at Q=4096. */
export const OFF_LOOP_MIN_PARTITIONS = 2048;
/** Requests beyond this many in the worker's queue are computed here (only membership changes ask). */
const MAX_PENDING = 32;
/** After this many worker failures every ring is computed here. */
const MAX_FAILURES = 3;

interface Pending {
  req: RingRequest;
  resolve: (result: Assignment | Error) => void;
}

/** What the worker answers: the ring packed, the Error assignPartitions threw, or a failure of its own. */
interface Answer {
  id?: unknown;
  packed?: PackedAssignment;
  error?: unknown;
  failed?: unknown;
}

const workerSource = (coreUrl: string): string => `
import { parentPort } from 'node:worker_threads';
import { assignRingOrError, packAssignment, unpackAssignment } from ${JSON.stringify(coreUrl)};
parentPort.on('message', ({ id, req }) => {
  try {
    const out = assignRingOrError({ ...req, previous: req.previous ? unpackAssignment(req.previous) : undefined });
    if (out instanceof Error) return parentPort.postMessage({ id, error: out.message });
    const packed = packAssignment(out);
    parentPort.postMessage({ id, packed }, [packed.slots.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, failed: String(err?.message ?? err) });
  }
});`;

export class WorkerRingAssigner implements RingAssigner {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The packed form of rings this assigner returned: sent back as `previous` without packing again. */
  private readonly packedOf = new WeakMap<Assignment, PackedAssignment>();
  private failures = 0;
  private closed = false;

  constructor(
    private readonly log: Logger,
    private readonly minPartitions = OFF_LOOP_MIN_PARTITIONS,
    /** The built core module the worker loads (tests running from source point it at the build). */
    private readonly coreUrl = (): string => pathToFileURL(createRequire(import.meta.url).resolve('@ringkv/core')).href,
  ) {}

  compute(req: RingRequest): Promise<Assignment | Error> {
    const offLoop = !this.closed && req.partitions >= this.minPartitions && this.failures < MAX_FAILURES && this.pending.size < MAX_PENDING;
    const worker = offLoop ? this.running() : undefined;
    if (!worker) return Promise.resolve(assignRingOrError(req));
    let previous: PackedAssignment | undefined;
    try {
      previous = req.previous && (this.packedOf.get(req.previous) ?? packAssignment(req.previous));
    } catch {
      // Not a ring assignPartitions made: let it say so, here.
      return Promise.resolve(assignRingOrError(req));
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { req, resolve });
      worker.postMessage({ id, req: { members: req.members, partitions: req.partitions, replicas: req.replicas, previous } });
    });
  }

  /**
   * Computes a ring and drops it, so that V8 has compiled the solver before a membership change
   * needs it: a cold worker took 180-280 ms for a join at Q=65536 (scripts/ring-stall-bench.mjs),
   * and Raft's apply waits for the two rings of a change, long enough for a leader's heartbeats to
   * pause past an election timeout. The worker then stays up (an idle one would go cold again).
   */
  warmUp(req: RingRequest): void {
    if (req.partitions >= this.minPartitions) void this.compute(req);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.computeHere('the node is stopping');
    await worker?.terminate();
  }

  private running(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource(this.coreUrl()))}`));
      worker.unref();
      worker.on('message', (m: Answer) => this.answered(m));
      worker.on('error', (err) => this.failed(worker, err.message));
      worker.on('exit', (code) => this.failed(worker, `exited with code ${code}`));
      this.worker = worker;
      return worker;
    } catch (err) {
      this.failures++;
      this.log.warn({ err: (err as Error).message }, 'cannot start the ring worker: rings are computed on the event loop');
      return undefined;
    }
  }

  private answered(m: Answer): void {
    const p = typeof m?.id === 'number' ? this.pending.get(m.id) : undefined;
    if (!p) return;
    this.pending.delete(m.id as number);
    if (typeof m.error === 'string') return p.resolve(new Error(m.error));
    try {
      if (!m.packed) throw new Error(typeof m.failed === 'string' ? m.failed : 'an answer with no ring');
      const ring = unpackAssignment(m.packed);
      this.packedOf.set(ring, m.packed);
      p.resolve(ring);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'the ring worker failed a request: computing it on the event loop');
      p.resolve(assignRingOrError(p.req));
    }
  }

  /** The worker died or errored (not when stopped on purpose: then it is no longer this.worker). */
  private failed(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.failures++;
    this.log.warn({ why, failures: this.failures }, 'the ring worker stopped: computing its requests on the event loop');
    this.computeHere(why);
  }

  private computeHere(why: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    if (waiting.length > 0) this.log.debug({ why, requests: waiting.length }, 'ring requests computed on the event loop');
    for (const p of waiting) p.resolve(assignRingOrError(p.req));
  }
}
