// Clients: each issues put, delete and read operations, one at a time with a random pause between
// them, at a random node that is up (the coordinator), on a small key space so keys collide, with a
// random per-request quorum (1, 2, 3 or 'quorum') and sometimes strict=1. Every operation goes into
// the history. Reads use the coordinator's read() so the checkers see tombstones and timestamps
// (get() is read() plus an isLive() filter).
import { isRingkvError, resolveConsistency, type StoredRecord, type Timestamp } from '@ringkv/core';
import type { Prng } from './prng.js';
import type { History, Op, OpKind } from './history.js';
import type { Scheduler } from './scheduler.js';
import type { SimCluster, SimNode } from './sim-cluster.js';

export interface WorkloadOptions {
  clients: number;
  opsPerClient: number;
  keys: number;
  thinkMsMax: number;
  readFraction: number;
  deleteFraction: number;
  strictFraction: number;
}

const LEVELS: readonly (number | 'quorum')[] = [1, 2, 3, 'quorum'];
/** An operation at a live coordinator must settle within this many request timeouts. */
const HANG_TIMEOUTS = 3;

export class Workload {
  private stopped = false;
  private valueSeq = 0;
  /** Operations that never settled although their coordinator stayed alive (a liveness bug). */
  readonly hung: Op[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly cluster: SimCluster,
    private readonly history: History,
    private readonly prng: Prng,
    readonly options: WorkloadOptions,
  ) {}

  /** Runs every client to the end of its operations (or until stop()). */
  run(): Promise<void> {
    return Promise.all(Array.from({ length: this.options.clients }, (_, c) => this.client(c, this.prng.fork(`client ${c}`)))).then(() => undefined);
  }

  /** Clients finish the operation in hand and issue no more. */
  stop(): void {
    this.stopped = true;
  }

  /** The key names of the key space. */
  keys(): string[] {
    return Array.from({ length: this.options.keys }, (_, i) => `k${i}`);
  }

  private async client(c: number, prng: Prng): Promise<void> {
    for (let i = 0; i < this.options.opsPerClient && !this.stopped; i++) {
      await this.scheduler.sleep(prng.int(0, this.options.thinkMsMax + 1), `c${c} think`);
      const up = this.cluster.up();
      if (up.length === 0 || this.stopped) continue;
      await this.one(c, prng.pick(up), prng);
    }
  }

  private async one(c: number, node: SimNode, prng: Prng): Promise<void> {
    const o = this.options;
    const rt = node.runtime!;
    const key = `k${prng.int(0, o.keys)}`;
    const keyBytes = Buffer.from(key);
    const roll = prng.next();
    const kind: OpKind = roll < o.readFraction ? 'read' : roll < o.readFraction + o.deleteFraction ? 'delete' : 'put';
    const level = prng.pick(LEVELS);
    const n = node.config.replicas;
    const count = resolveConsistency(level, n, kind === 'read' ? node.config.r : node.config.w, kind === 'read' ? 'r' : 'w');
    const strict = kind !== 'read' && prng.chance(o.strictFraction);
    const ring = rt.cluster.ring;
    const owners = ring.preferenceList(ring.partitionOf(keyBytes));
    const value = kind === 'put' ? `v${this.valueSeq++}` : undefined;
    const op = this.history.begin({
      client: c, kind, key, coordinator: node.id, level, count, strict, owners,
      // Read synchronously right before the call: the coordinator picks its targets from the same view.
      ownersDownAtStart: owners.filter((id) => !rt.liveness.isUp(id)),
      startMs: this.scheduler.nowMs, ...(value !== undefined ? { value } : {}),
    });
    const before = rt.hlc.last();
    let call: Promise<StoredRecord | undefined | { ts: Timestamp }>;
    if (kind === 'read') call = rt.coordinator.read(keyBytes, count);
    else if (kind === 'put') call = rt.coordinator.put(keyBytes, Buffer.from(value!), { w: String(level), strict });
    else call = rt.coordinator.delete(keyBytes, { w: String(level), strict });
    // put/delete take their timestamp synchronously, before their first await.
    const after = rt.hlc.last();
    if (kind !== 'read' && (after.wallMs !== before.wallMs || after.logical !== before.logical)) op.ts = after;
    await this.settle(op, node, call);
  }

  private settle(op: Op, node: SimNode, call: Promise<unknown>): Promise<void> {
    const died = node.died;
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (outcome: NonNullable<Op['outcome']>, detail: { errorCode?: string; result?: StoredRecord }) => {
        if (done) return;
        done = true;
        hang.cancelled = true;
        this.history.end(op, this.scheduler.nowMs, outcome, detail);
        resolve();
      };
      const hang = this.scheduler.schedule(HANG_TIMEOUTS * node.config.requestTimeoutMs, `hang check #${op.id}`, () => {
        this.hung.push(op);
        finish('unknown', { errorCode: 'HUNG' });
      });
      call.then(
        (res) => finish('ok', op.kind === 'read' ? (res ? { result: res as StoredRecord } : {}) : {}),
        (err: unknown) => finish('error', { errorCode: isRingkvError(err) ? err.code : `UNEXPECTED ${String((err as Error)?.stack ?? err)}` }),
      );
      void died.then(() => finish('unknown', { errorCode: 'COORDINATOR_DIED' }));
    });
  }
}
