// One simulation run: build the cluster, run the workload under the nemesis (safety phase), heal
// everything and hand every hint back (liveness phase), then read the final state and check it.
// Everything the run does is a function of options.seed; the trace hash proves it.
import { decodeRecord, type StoredRecord } from '@ringkv/core';
import { PeerMessageType, type PeerBody } from '@ringkv/server';
import { Prng } from './prng.js';
import {
  checkConvergence, checkCoordinatorTimestamps, checkFinalReads, checkOutcomes, checkReadYourWrites, checkReplicaAcks,
  type KeyState, type ReplicaAck, type Violation,
} from './checkers.js';
import { History } from './history.js';
import { Nemesis } from './nemesis.js';
import { Scheduler } from './scheduler.js';
import { SimCluster } from './sim-cluster.js';
import { SimNetwork } from './sim-network.js';
import type { SimOptions } from './sim-options.js';
import { Trace } from './trace.js';
import { Workload } from './workload.js';

export interface SimResult {
  options: SimOptions;
  violations: Violation[];
  /** Hash of the full trace (events, network fates, faults, history). */
  traceHash: string;
  traceTail: readonly string[];
  notes: string[];
  stats: {
    simulatedMs: number;
    events: number;
    messages: number;
    ops: number;
    opsOk: number;
    faults: number;
    crashes: number;
    hintRounds: number;
  };
}

/** Gossip rounds after healing before a node still seen down counts as a liveness bug. */
const DETECTOR_ROUNDS_MAX = 60;

/** Hand-off rounds in the liveness phase before undelivered hints count as a liveness bug. */
const HANDOFF_ROUNDS_MAX = 20;

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const trace = new Trace(200, options.verbose);
  const scheduler = new Scheduler(trace);
  return await simulate(options, scheduler, trace);
}

async function simulate(options: SimOptions, scheduler: Scheduler, trace: Trace): Promise<SimResult> {
  const root = new Prng(options.seed);
  const network = new SimNetwork(scheduler, root.fork('network'));
  const cluster = new SimCluster(scheduler, network, root.fork('cluster'), options.cluster);
  const history = new History(trace);
  const workload = new Workload(scheduler, cluster, history, root.fork('workload'), options.workload);
  const nemesis = new Nemesis(scheduler, cluster, network, root.fork('nemesis'), options.nemesis);
  const violations: Violation[] = [];
  const notes: string[] = [];
  const timeoutMs = options.cluster.requestTimeoutMs;
  const acks: ReplicaAck[] = [];
  network.onAnswered = (replier, request, reply) => {
    const ack = replicaAck(replier, request, reply);
    if (ack) acks.push(ack);
  };

  await scheduler.runUntilSettled(cluster.startAll(), 60_000, 'cluster start');

  // Safety phase: clients and faults together.
  const safetyEnd = scheduler.nowMs + options.safetyMs;
  const clients = workload.run();
  const faults = nemesis.run(safetyEnd);
  await scheduler.runUntil(safetyEnd);
  workload.stop();
  await scheduler.runUntilSettled(Promise.all([clients, faults]), 10 * timeoutMs, 'the last client operations');

  // Liveness phase: heal, restart, let probes see every node up, then hand every hint back.
  await scheduler.runUntilSettled(nemesis.healAll(), 60_000, 'restarting crashed nodes');
  for (const err of nemesis.errors) violations.push({ checker: 'liveness', message: `restart failed: ${String((err as Error)?.stack ?? err)}` });
  // The failure detectors must see every node up again (bounded): only then do coordinators
  // and hinted handoff use them, as they would in a real cluster after a heal.
  for (let rounds = 0; ; rounds++) {
    await scheduler.runUntil(scheduler.nowMs + options.cluster.gossipIntervalMs);
    const up = cluster.up();
    if (up.every((a) => up.every((b) => a === b || a.runtime!.liveness.isUp(b.id)))) break;
    if (rounds >= DETECTOR_ROUNDS_MAX) {
      const pairs = up.flatMap((a) => up.filter((b) => a !== b && !a.runtime!.liveness.isUp(b.id)).map((b) => {
        const v = a.runtime!.liveness.members().find((m) => m.id === b.id);
        return `${a.id} sees ${b.id} down (phi ${v?.phi?.toFixed(1) ?? 'null'}, heartbeat age ${v?.heartbeatAgeMs ?? 'null'} ms)`;
      }));
      violations.push({ checker: 'liveness', message: `failure detectors still see a healed node down after ${DETECTOR_ROUNDS_MAX} gossip rounds: ${pairs.join('; ')}` });
      break;
    }
  }
  // Replica writes sent before the heal may still be in flight (a clogged request times out
  // later, and only then is its hint kept): let every coordinator's background work settle first.
  for (const n of cluster.up()) await scheduler.runUntilSettled(n.runtime!.coordinator.drain(), 10 * timeoutMs, `background writes of ${n.id}`);
  let hintRounds = 0;
  for (let pending = await countHints(scheduler, cluster); pending > 0; pending = await countHints(scheduler, cluster)) {
    if (++hintRounds > HANDOFF_ROUNDS_MAX) {
      violations.push({ checker: 'liveness', message: `${pending} hints still undelivered after ${HANDOFF_ROUNDS_MAX} hand-off rounds on a healed cluster` });
      break;
    }
    for (const n of cluster.up()) await scheduler.runUntilSettled(n.runtime!.handoff.pass(), 10 * timeoutMs, `hand-off pass on ${n.id}`);
    await scheduler.runUntil(scheduler.nowMs + options.cluster.gossipIntervalMs);
  }

  const keys = workload.keys();
  const held = new Map<string, StoredRecord | undefined>();
  for (const ks of await replicaState(scheduler, cluster, keys)) ks.owners.forEach((o, i) => held.set(`${o}/${ks.key}`, ks.records[i]));
  violations.push(...checkReplicaAcks(acks, (owner, key) => held.get(`${owner}/${key}`)));
  const crashes = cluster.nodes.reduce((s, n) => s + n.crashes, 0);
  if (crashes > 0) {
    // A coordinator that crashed right after sending can leave a replica without the write and
    // without a hint; that is anti-entropy's job (not built yet), so a read-repair sweep stands in.
    notes.push(`${crashes} crash(es): read-repair sweep (r=all on every key) before the convergence check`);
    for (const key of keys) await readAll(scheduler, cluster, key, timeoutMs);
  }
  violations.push(...checkConvergence(history, await replicaState(scheduler, cluster, keys)));

  const finals = new Map<string, StoredRecord | undefined>();
  for (const key of keys) {
    const r = await readAll(scheduler, cluster, key, timeoutMs);
    if (r.ok) finals.set(key, r.record);
    else violations.push({ checker: 'liveness', message: `read of ${key} at r=all fails on a healed cluster: ${r.error}` });
  }
  violations.push(
    ...checkOutcomes(history),
    ...checkReadYourWrites(history, options.cluster.replicas),
    ...checkFinalReads(history, finals),
    ...checkCoordinatorTimestamps(history),
  );
  return {
    options, violations, notes, traceHash: trace.digest(), traceTail: trace.lastLines(),
    stats: {
      simulatedMs: scheduler.nowMs, events: scheduler.eventsRun, messages: network.messages, ops: history.ops.length,
      opsOk: history.ops.filter((o) => o.outcome === 'ok').length, faults: nemesis.injected, crashes, hintRounds,
    },
  };
}

function replicaAck(replier: string, request: PeerBody, reply: PeerBody): ReplicaAck | undefined {
  if (request.type !== PeerMessageType.ReplicaWrite || reply.type !== PeerMessageType.ReplicaWriteAck) return undefined;
  const owner = typeof request.hintFor === 'string' ? request.hintFor : replier;
  const key = Buffer.from(request.key as Uint8Array).toString('utf8');
  return { replier, owner, key, ts: decodeRecord(request.record as Uint8Array).ts };
}

async function countHints(scheduler: Scheduler, cluster: SimCluster): Promise<number> {
  let total = 0;
  for (const n of cluster.nodes) {
    const hints = await scheduler.runUntilSettled(cluster.runtime(n.id).hints.scan(1_000_000), 10_000, `hint scan on ${n.id}`);
    total += hints.length;
  }
  return total;
}

/** Reads a key at r=all through the first node, retrying a few times (a healed cluster must answer). */
async function readAll(
  scheduler: Scheduler, cluster: SimCluster, key: string, timeoutMs: number,
): Promise<{ ok: true; record: StoredRecord | undefined } | { ok: false; error: string }> {
  const rt = cluster.runtime(cluster.nodes[0].id);
  let error = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const record = await scheduler.runUntilSettled(rt.coordinator.read(Buffer.from(key), rt.config.replicas), 3 * timeoutMs, `read of ${key}`);
      return { ok: true, record };
    } catch (err) {
      error = String((err as Error)?.message ?? err);
      await scheduler.runUntil(scheduler.nowMs + timeoutMs);
    }
  }
  return { ok: false, error };
}

/** Each owner's own replica of each key (no coordination, no repair). */
async function replicaState(scheduler: Scheduler, cluster: SimCluster, keys: readonly string[]): Promise<KeyState[]> {
  const out: KeyState[] = [];
  for (const key of keys) {
    const bytes = Buffer.from(key);
    const ring = cluster.runtime(cluster.nodes[0].id).cluster.ring;
    const partition = ring.partitionOf(bytes);
    const owners = ring.preferenceList(partition);
    const records = await scheduler.runUntilSettled(
      Promise.all(owners.map((o) => cluster.runtime(o).store.read(partition, bytes))), 10_000, `replica reads of ${key}`,
    );
    out.push({ key, owners, records });
  }
  return out;
}
