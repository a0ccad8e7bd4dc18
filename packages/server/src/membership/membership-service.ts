// The membership state machine on top of Raft: applies committed membership commands (each
// accepted one is a new epoch), serves the latest applied membership to the ring, keeps the Raft
// voter set at up to five odd members as the membership changes, and takes changes from anywhere
// (a node that does not lead forwards the change to the leader). A node whose own removal
// committed without it hearing so (the reply lost) is sent no more Raft entries: it asks the
// members for the membership instead (they answer former members) and serves with the one that
// removed it. Applying is total: an entry that
// does not decode or that the rules refuse leaves the state as it was, the same on every node,
// and is kept in a short list of refusals (GET /cluster shows it).
import {
  decodeMembershipCommand, decodeMembershipState, encodeMembershipCommand, encodeMembershipState, isRingkvError,
  membershipCommandSteps, nextConfStep, type MembershipCommand, type MembershipState, type RaftEntry, type RaftSnapshot,
} from '@ringkv/core';
import type { Clock } from '../clock.js';
import { sleepOn } from '../clock.js';
import type { ClusterState } from './cluster-state.js';
import type { Logger } from '../observability/logger.js';
import { InternalError } from '../errors.js';
import { PeerMessageType } from '../peer/message-types.js';
import { PeerForbiddenError } from '../peer/peer-errors.js';
import type { PeerIdentity } from '../peer/transport.js';
import type { ReplyOf, RequestOf } from '../protocol/peer-messages.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { MembershipChangeRefusedError, MembershipChangeTimeoutError, NoLeaderError } from './membership-errors.js';
import type { RaftDriver } from './raft-driver.js';
import { runRingStepsWith, type RingAssigner } from './ring-assigner.js';

/** A committed entry the membership rules refused (kept for GET /cluster). */
export interface RefusedEntry {
  index: number;
  reason: string;
}

/** Refusals kept: enough to see what went wrong lately. */
const REFUSALS_KEPT = 16;
/** A refused node asks the members whether it was removed at most this often. */
const OWN_REMOVAL_CHECK_MS = 5000;

export interface ChangeOptions {
  /** Skip the checks before proposing (an operator's --force, or the node's own moves). */
  force?: boolean;
  /** Run before proposing (where the change enters the cluster), e.g. the removal guard. */
  precheck?: (cmd: MembershipCommand, deadlineMs: number) => Promise<void>;
}

export interface ChangeResult {
  epoch: number;
  state: MembershipState;
}

interface Waiter {
  index: number;
  resolve: (r: ChangeOutcome & { state: MembershipState }) => void;
}

/** How a proposed change ended: committed, refused by the membership rules, or not in time. */
interface ChangeOutcome {
  ok: boolean;
  reason?: string;
  /** Refused because what it asks already holds (see ApplyOutcome). */
  inEffect?: boolean;
  timedOut?: boolean;
}

export class MembershipService {
  private state?: MembershipState;
  private readonly waiters: Waiter[] = [];
  private readonly outcomes = new Map<number, ChangeOutcome>();
  private reconciling = false;
  private checkingRemoval = false;
  private lastRemovalCheckMs = -Infinity;
  /** The latest committed entries that were refused, newest last. */
  readonly refusals: RefusedEntry[] = [];

  constructor(private readonly deps: {
    selfId: string;
    cluster: ClusterState;
    driver: () => RaftDriver;
    rpc: PeerRpc;
    clock: Clock;
    log: Logger;
    changeTimeoutMs: number;
    /** Computes the ring of each new epoch (off the event loop for large rings). */
    assigner: RingAssigner;
  }) {}

  get current(): MembershipState | undefined {
    return this.state;
  }

  /** The membership a snapshot holds (at start, or installed from the leader). */
  async restore(state: MembershipState): Promise<void> {
    await this.publish(state);
  }

  async onSnapshot(snapshot: RaftSnapshot): Promise<void> {
    if (snapshot.data.length === 0) return;
    let state: MembershipState;
    try {
      state = decodeMembershipState(snapshot.data);
    } catch (err) {
      this.deps.log.error({ err, index: snapshot.metadata.index }, 'raft snapshot holds no valid membership state; keeping the current one');
      return;
    }
    await this.restore(state);
  }

  /** Applies one committed entry; the driver awaits it before the next (entries apply in log order). */
  async onCommitted(entry: RaftEntry): Promise<void> {
    if (!this.state) {
      this.deps.log.error({ index: entry.index }, 'membership entry committed before any membership state');
      return;
    }
    let cmd: MembershipCommand;
    try {
      cmd = decodeMembershipCommand(entry.data);
    } catch (err) {
      this.refused(entry.index, `undecodable membership command: ${(err as Error).message}`, undefined);
      return;
    }
    const out = await runRingStepsWith(this.deps.assigner, membershipCommandSteps(this.state, cmd));
    if (out.ok) {
      await this.publish(out.state);
      this.deps.log.info({ epoch: out.state.epoch, command: cmd }, 'membership changed');
      this.settle(entry.index, { ok: true });
    } else {
      this.refused(entry.index, out.reason, cmd, out.inEffect === true);
    }
  }

  private refused(index: number, reason: string, cmd: MembershipCommand | undefined, inEffect = false): void {
    this.deps.log.warn({ index, command: cmd ?? null, reason }, 'membership change refused');
    this.refusals.push({ index, reason });
    if (this.refusals.length > REFUSALS_KEPT) this.refusals.shift();
    this.settle(index, { ok: false, reason, inEffect });
  }

  snapshotData(): Uint8Array {
    return this.state ? encodeMembershipState(this.state) : new Uint8Array(0);
  }

  /** After every Raft Ready: the leader moves the voter set one step toward the desired one. */
  afterReady(): void {
    const driver = this.deps.driver();
    if (!this.state || !driver.isLeader() || this.reconciling) return;
    const conf = driver.status()?.config;
    if (!conf) return;
    const step = nextConfStep(this.state, conf);
    if (!step) return;
    this.reconciling = true;
    const res = driver.proposeConfChange(step);
    this.reconciling = false;
    if (res.ok) this.deps.log.info({ step }, 'raft voter set change proposed');
  }

  /**
   * Proposes a change and resolves once it is applied here (forwarding to the leader if needed).
   * The precheck runs first, here, unless forced.
   */
  async change(cmd: MembershipCommand, options: ChangeOptions = {}): Promise<ChangeResult> {
    const deadline = this.deps.clock.nowMs() + this.deps.changeTimeoutMs;
    if (!options.force && options.precheck) await options.precheck(cmd, deadline);
    try {
      return await this.proposeOrForward(cmd, deadline);
    } catch (err) {
      // Its own removal may have committed with the reply lost: then a retry is refused (this node
      // is no member to forward it) or times out, and no Raft entry will ever say so.
      if (cmd.op === 'remove' && cmd.id === this.deps.selfId) {
        const removed = await this.learnOwnRemoval();
        if (removed) return removed;
      }
      throw err;
    }
  }

  /**
   * A member refused this node as a non-member (gossip): it may have been removed while cut off,
   * and no Raft entry will tell it (the group no longer includes it). Asks the members, at most
   * once per OWN_REMOVAL_CHECK_MS; a removal found is applied, and the topology then stops serving
   * and hands the hints over as after a leave.
   */
  async checkOwnRemoval(): Promise<void> {
    const now = this.deps.clock.nowMs();
    if (this.checkingRemoval || now - this.lastRemovalCheckMs < OWN_REMOVAL_CHECK_MS) return;
    if (!this.deps.cluster.ready || !this.deps.cluster.member(this.deps.selfId)) return;
    this.checkingRemoval = true;
    this.lastRemovalCheckMs = now;
    try {
      await this.learnOwnRemoval();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'could not check with the members whether this node was removed');
    } finally {
      this.checkingRemoval = false;
    }
  }

  /**
   * Whether the members hold a membership without this node (newer than the one it serves): asks
   * them in turn (the leader first) and applies the first such, as a fetched epoch is.
   */
  private async learnOwnRemoval(): Promise<ChangeResult | undefined> {
    const { cluster, selfId, rpc, log } = this.deps;
    const leader = this.deps.driver().leader();
    const others = cluster.others();
    const ordered = [...others.filter((m) => m.id === leader), ...others.filter((m) => m.id !== leader)];
    for (const m of ordered) {
      try {
        // The reply's state passed its schema and core's shape check (PeerProtocol.decodeReply).
        const reply = await rpc.request(m.peer, { type: PeerMessageType.MembershipGet }, this.deps.changeTimeoutMs);
        const state = reply.state as MembershipState | null;
        if (!state || state.epoch <= cluster.epoch) continue;
        // Still a member as the leader sees it: not removed. Another member may only be behind.
        if (state.members.some((x) => x.id === selfId)) {
          if (m.id === leader) return undefined;
          continue;
        }
        await cluster.apply(state);
        log.info({ from: m.id, epoch: state.epoch }, 'learned from a member that this node was removed');
        return { epoch: state.epoch, state };
      } catch (err) {
        log.debug({ from: m.id, err: (err as Error).message }, 'could not ask a member for the membership');
      }
    }
    return undefined;
  }

  private async proposeOrForward(cmd: MembershipCommand, deadline: number): Promise<ChangeResult> {
    for (let attempt = 0; ; attempt++) {
      const driver = this.deps.driver();
      if (driver.isLeader()) return this.proposeHere(cmd, deadline);
      const leader = driver.leader();
      const address = leader ? this.deps.cluster.member(leader)?.peer : undefined;
      if (address) {
        try {
          const reply = await this.deps.rpc.request(address, { type: PeerMessageType.MembershipChange, cmd }, Math.max(1, deadline - this.deps.clock.nowMs()));
          if (reply.ok) {
            const epoch = reply.epoch ?? 0;
            await this.waitForEpoch(epoch, deadline);
            return { epoch, state: this.state! };
          }
          if (reply.code !== NoLeaderError.code) throw new MembershipChangeRefusedError(String(reply.reason), reply.inEffect === true);
        } catch (err) {
          if (err instanceof MembershipChangeRefusedError) throw err;
        }
      }
      if (this.deps.clock.nowMs() >= deadline) throw leader ? new MembershipChangeTimeoutError(this.deps.changeTimeoutMs) : new NoLeaderError();
      await sleepOn(this.deps.clock, Math.min(200, 20 * 2 ** Math.min(attempt, 4)));
    }
  }

  /**
   * The handler of changes forwarded by other nodes (registered for MembershipChange). Members
   * forward anything (the node where a change entered the cluster ran its prechecks); a node that
   * is not a member may only ask to add itself, at the address it proved in the handshake.
   */
  async handleForwarded(from: PeerIdentity, msg: RequestOf<typeof PeerMessageType.MembershipChange>, fromMember: boolean): Promise<ReplyOf<typeof PeerMessageType.MembershipChange>> {
    const reply = (fields: Omit<ReplyOf<typeof PeerMessageType.MembershipChange>, 'type'>): ReplyOf<typeof PeerMessageType.MembershipChange> => ({ type: PeerMessageType.MembershipChangeReply, ...fields });
    const cmd = msg.cmd as MembershipCommand;
    if (!fromMember && !(cmd.op === 'add' && cmd.member.id === from.id && cmd.member.peer === from.address)) {
      return reply({ ok: false, code: PeerForbiddenError.code, reason: `${from.id} is not a member: it may only ask to add itself at ${from.address}` });
    }
    try {
      // Not the leader (a joining node asked a seed): forward it on, as any member would.
      const res = this.deps.driver().isLeader()
        ? await this.proposeHere(cmd, this.deps.clock.nowMs() + this.deps.changeTimeoutMs)
        : await this.change(cmd, { force: true });
      return reply({ ok: true, epoch: res.epoch });
    } catch (err) {
      const inEffect = err instanceof MembershipChangeRefusedError && err.inEffect ? { inEffect: true } : {};
      return reply({ ok: false, code: isRingkvError(err) ? err.code : InternalError.code, reason: (err as Error).message.slice(0, 4000), ...inEffect });
    }
  }

  private async proposeHere(cmd: MembershipCommand, deadline: number): Promise<ChangeResult> {
    const res = this.deps.driver().propose(encodeMembershipCommand(cmd));
    if (!res.ok) throw new NoLeaderError(res.error.message);
    const outcome = await new Promise<ChangeOutcome & { state: MembershipState }>((resolve) => {
      const settled = this.outcomes.get(res.index);
      if (settled) {
        this.outcomes.delete(res.index);
        resolve({ ...settled, state: this.state! });
        return;
      }
      const waiter: Waiter = { index: res.index, resolve };
      this.waiters.push(waiter);
      const timer = this.deps.clock.setTimer(Math.max(1, deadline - this.deps.clock.nowMs()), () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          resolve({ ok: false, timedOut: true, state: this.state! });
        }
      });
      waiter.resolve = (r) => {
        timer.cancel();
        resolve(r);
      };
    });
    if (outcome.timedOut) throw new MembershipChangeTimeoutError(this.deps.changeTimeoutMs);
    if (!outcome.ok) throw new MembershipChangeRefusedError(outcome.reason ?? 'refused', outcome.inEffect === true);
    return { epoch: outcome.state.epoch, state: outcome.state };
  }

  private settle(index: number, out: ChangeOutcome): void {
    const i = this.waiters.findIndex((w) => w.index === index);
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w.resolve({ ...out, state: this.state! });
    } else if (this.deps.driver().isLeader()) {
      // The proposer may register just after the commit (a single voter commits at once).
      this.outcomes.set(index, out);
      if (this.outcomes.size > 1000) this.outcomes.delete(this.outcomes.keys().next().value!);
    }
  }

  private async waitForEpoch(epoch: number, deadline: number): Promise<void> {
    while ((this.state?.epoch ?? 0) < epoch) {
      if (this.deps.clock.nowMs() >= deadline) throw new MembershipChangeTimeoutError(this.deps.changeTimeoutMs);
      await sleepOn(this.deps.clock, 20);
    }
  }

  /** Serves the state: the cluster applies it (its rings computed) before anyone here sees its epoch. */
  private async publish(state: MembershipState): Promise<void> {
    try {
      await this.deps.cluster.apply(state);
    } finally {
      // The log's state, whatever the cluster made of it: every node's state machine stays the same.
      this.state = state;
    }
  }
}
