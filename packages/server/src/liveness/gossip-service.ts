// Liveness by gossip over the peer transport: the server half of core/membership. Every interval
// (jittered) the node raises its heartbeat and sends its view to a few random peers; each receiver
// merges it and answers with its own view (push-pull). A peer is up while its heartbeat keeps
// rising (phi accrual), with direct request outcomes as extra evidence (gossip-evidence.ts).
// The gossip table only ever holds members of the authoritative membership; a digest that shows a
// higher epoch than the node applied is reported through onHigherEpoch. Liveness never changes
// ownership; only epochs do.
import { monotonicMs } from '../clock.js';
import {
  createMemberTable,
  defaultGossipConfig,
  DEFAULT_PHI_OPTIONS,
  gossipDigest,
  gossipRound,
  isMemberAlive,
  memberPhi,
  onGossip,
  Prng,
  selfEntry,
  updateSelf,
  type GossipConfig,
  type GossipDigest,
  type MemberTable,
} from '@ringkv/core';
import type { TimerHandle } from '../clock.js';
import { ShuttingDownError } from '../errors.js';
import { isPeerUnreachable, PeerForbiddenError, PeerRemoteError } from '../peer/peer-errors.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { PeerIdentity } from '../peer/transport.js';
import type { ReplyOf, RequestOf } from '../protocol/peer-messages.js';
import { detectorOptionsFor, isPeerUp, suspicionDelayMs, type EvidenceOptions, type PeerEvidence } from './gossip-evidence.js';
import { admitEntries, outgoingEntries, syncTable, type GossipMember } from './gossip-membership.js';
import type { GossipMemberView, GossipServiceDeps } from './gossip-options.js';
import { highestEpochClaim, plainDigest } from './gossip-wire.js';

export type { GossipMember } from './gossip-membership.js';
export type { GossipMemberView, GossipServiceDeps, HigherEpochHint } from './gossip-options.js';

/**
 * Liveness by gossip. Implements the `Liveness` of liveness/liveness.ts (isUp, onUp, report) plus
 * report(id, ok), so it drops in where PeerLiveness was.
 */
export class GossipService {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly incarnation: number;
  /** The time a peer that beat once and then died stays up: the bound of detection. */
  readonly suspicionDelayMs: number;
  private table: MemberTable;
  private readonly prng: Prng;
  private readonly random: () => number;
  private readonly evidenceOptions: EvidenceOptions;
  private readonly evidence = new Map<string, PeerEvidence>();
  private readonly listedSince = new Map<string, number>();
  private readonly upState = new Map<string, boolean>();
  private readonly upListeners: ((id: string) => void)[] = [];
  private readonly downListeners: ((id: string) => void)[] = [];
  private listedSource?: readonly GossipMember[];
  private listed = new Map<string, GossipMember>();
  private notifiedEpoch = 0;
  private notifiedAtMs = -Infinity;
  private timer?: TimerHandle;
  private running = false;
  private stopped = false;
  /** Rounds run so far (metrics, tests). */
  rounds = 0;

  constructor(private readonly deps: GossipServiceDeps) {
    const { clock, selfId, self } = deps;
    this.intervalMs = deps.intervalMs ?? 1000;
    this.timeoutMs = deps.timeoutMs ?? this.intervalMs;
    this.incarnation = deps.incarnation ?? Math.max(1, Math.floor(clock.nowMs()));
    const base = defaultGossipConfig();
    const config: GossipConfig = Object.freeze({
      fanout: deps.fanout ?? base.fanout,
      downProbeChance: deps.downProbeChance ?? base.downProbeChance,
      detector: detectorOptionsFor(DEFAULT_PHI_OPTIONS, this.intervalMs, deps.phiThreshold ?? DEFAULT_PHI_OPTIONS.threshold),
    });
    this.suspicionDelayMs = suspicionDelayMs(config.detector);
    this.evidenceOptions = {
      failureGraceMs: 2 * this.intervalMs, // a round and a bit: a heartbeat seen this recently outvotes one failed request
      okWindowMs: 2 * this.intervalMs, // until the next round or two can confirm it
      unknownGraceMs: this.suspicionDelayMs, // as if it had beaten once when listed
    };
    this.table = createMemberTable(
      { id: selfId, peer: self.peer, http: self.http, ...(self.zone !== undefined ? { zone: self.zone } : {}), incarnation: this.incarnation, epoch: deps.epoch() },
      config,
    );
    this.prng = deps.prng.fork('targets');
    const jitter = deps.prng.fork('jitter');
    this.random = () => jitter.next();
    deps.router.on(T.Gossip, 'member', (from, msg) => this.receive(from, msg));
  }

  /** Starts the rounds; the first comes after a random part of one interval (nodes desynchronize). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.schedule(this.random() * this.intervalMs);
  }

  /** Stops the rounds; gossip requests arriving afterwards are refused (the node is going away). */
  stop(): void {
    this.stopped = true;
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  isUp(id: string): boolean {
    return this.isUpAt(id, monotonicMs(this.deps.clock));
  }

  /** Up, and heard: its heartbeat rose at least once (not only the grace of a member never heard). */
  hears(id: string): boolean {
    if (id === this.deps.selfId) return true;
    return this.table.liveness.get(id)?.lastAdvanceMs !== undefined && this.isUp(id);
  }

  onUp(listener: (id: string) => void): void {
    this.upListeners.push(listener);
  }

  /** Called when a peer goes from up to down. */
  onDown(listener: (id: string) => void): void {
    this.downListeners.push(listener);
  }

  /**
   * Evidence from a request to a peer (the coordinator reports every outcome). A success counts as
   * a sign of life; a failure marks the peer down only if gossip has not heard from it recently.
   */
  report(id: string, ok: boolean): void {
    if (id === this.deps.selfId) return;
    this.refreshListed();
    if (!this.listed.has(id)) return;
    const nowMs = monotonicMs(this.deps.clock);
    const e = this.evidence.get(id) ?? {};
    if (ok) e.lastOkMs = nowMs;
    else e.lastFailMs = nowMs;
    this.evidence.set(id, e);
    this.checkTransition(id, nowMs);
  }

  /** Every listed member with its liveness, by id. */
  members(nowMs = monotonicMs(this.deps.clock)): GossipMemberView[] {
    this.refreshListed();
    return [...this.listed.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((m) => {
        const entry = this.table.members.get(m.id);
        const self = m.id === this.deps.selfId;
        const phi = memberPhi(this.table, m.id, nowMs);
        const lastAdvanceMs = this.table.liveness.get(m.id)?.lastAdvanceMs;
        return {
          ...m,
          alive: this.isUpAt(m.id, nowMs),
          phi: Number.isFinite(phi) ? phi : null,
          heartbeatAgeMs: self ? 0 : lastAdvanceMs === undefined ? null : nowMs - lastAdvanceMs,
          incarnation: entry?.incarnation ?? 0,
          heartbeat: entry?.heartbeat ?? 0,
          epoch: entry?.epoch ?? 0,
        };
      });
  }

  /** The current gossip table (an immutable value): for tests and debugging. */
  get view(): MemberTable {
    return this.table;
  }

  /**
   * One round now: beat, send the view to the chosen peers, merge their answers. Resolves when every
   * exchange has settled. The timer calls it; tests may call it directly.
   */
  async runRound(): Promise<void> {
    const nowMs = monotonicMs(this.deps.clock);
    this.sync(nowMs);
    const { state, messages } = gossipRound(this.table, nowMs, this.prng);
    this.table = state;
    this.rounds++;
    this.checkAll(nowMs);
    if (messages.length === 0) return;
    const digest: GossipDigest = { from: this.deps.selfId, members: outgoingEntries(messages[0].digest.members) };
    await Promise.all(messages.map((m) => this.exchange(m.to, digest)));
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimer(Math.round(delayMs), () => {
      if (!this.running) return;
      // Rounds do not wait for the previous one's exchanges: a slow peer must not slow the rhythm
      // (exchanges time out within one interval by default, so at most about one is in flight per peer).
      this.runRound().catch((err: unknown) => this.deps.logger?.error({ err }, 'gossip round failed'));
      this.schedule(this.intervalMs * (0.9 + 0.2 * this.random()));
    });
  }

  private async exchange(to: string, digest: GossipDigest): Promise<void> {
    const member = this.listed.get(to);
    if (!member) return;
    let reply: ReplyOf<typeof T.Gossip>;
    const sentWallMs = this.deps.clock.nowMs();
    const sentMonoMs = monotonicMs(this.deps.clock);
    try {
      reply = await this.deps.rpc.request(member.peer, { type: T.Gossip, digest: plainDigest(digest) }, this.timeoutMs);
    } catch (err) {
      if (this.stopped) return;
      // Unreachable or refused is evidence; a timeout or a remote error only says it is slow or odd.
      if (isPeerUnreachable(err)) this.report(to, false);
      if (err instanceof PeerRemoteError && err.remoteCode === PeerForbiddenError.code) this.deps.onRefusedAsNonMember?.(to);
      this.deps.logger?.debug({ peer: to, err }, 'gossip exchange failed');
      return;
    }
    if (this.stopped) return;
    this.report(to, true);
    if (reply.atMs !== undefined) this.deps.offsets?.sample(to, sentWallMs, sentMonoMs, reply.atMs);
    else this.deps.offsets?.markUnmeasurable(to);
    // A digest speaks for the node that sent it: the one asked.
    if (reply.digest.from !== to) return;
    this.merge(to, member.peer, this.deps.protocol.decodeDigest(reply.digest));
  }

  private receive(from: PeerIdentity, msg: RequestOf<typeof T.Gossip>): ReplyOf<typeof T.Gossip> {
    if (this.stopped) throw new ShuttingDownError();
    if (msg.digest.from !== from.id) this.deps.router.refuse(from, T.Gossip, `digest from ${msg.digest.from} sent by ${from.id}`);
    const remote = this.deps.protocol.decodeDigest(msg.digest);
    const nowMs = monotonicMs(this.deps.clock);
    this.sync(nowMs);
    // A request that reached us is the sender alive, whatever its digest says.
    if (this.listed.has(from.id)) this.report(from.id, true);
    this.merge(from.id, from.address, remote);
    return {
      type: T.GossipAck,
      digest: plainDigest({ from: this.deps.selfId, members: outgoingEntries(gossipDigest(this.table).members) }),
      atMs: this.deps.clock.nowMs(),
    };
  }

  private merge(fromId: string, fromPeer: string, remote: GossipDigest): void {
    const nowMs = monotonicMs(this.deps.clock);
    this.sync(nowMs);
    const { table, admitted } = admitEntries(this.table, remote.members, this.listed);
    const result = onGossip(table, fromId, { from: remote.from, members: admitted }, nowMs);
    this.table = result.state;
    if (result.refuted) this.deps.logger?.debug({ via: fromId, incarnation: selfEntry(this.table).incarnation }, 'gossip: refuted a stale entry about this node');
    // Epoch claims count from every well-formed entry, listed or not: a member added by a newer
    // epoch is exactly one this node's list lacks.
    if (remote.from === fromId) this.noticeEpoch(remote, fromId, fromPeer, nowMs);
    for (const id of result.changed) this.checkTransition(id, nowMs);
  }

  private noticeEpoch(remote: GossipDigest, fromId: string, fromPeer: string, nowMs: number): void {
    const claim = highestEpochClaim(remote);
    const applied = this.deps.epoch();
    if (!claim || claim.epoch <= applied || !this.deps.onHigherEpoch) return;
    // Once per new epoch, and again every few rounds while it is still not applied (a fetch failed).
    if (claim.epoch <= this.notifiedEpoch && nowMs - this.notifiedAtMs < 5 * this.intervalMs) return;
    this.notifiedEpoch = Math.max(this.notifiedEpoch, claim.epoch);
    this.notifiedAtMs = nowMs;
    const peer = claim.id === fromId ? fromPeer : claim.peer;
    try {
      this.deps.onHigherEpoch(claim.id, claim.epoch, { peer, via: fromId });
    } catch (err) {
      this.deps.logger?.error({ err }, 'onHigherEpoch listener failed');
    }
  }

  /** Brings the table in line with the membership and self's epoch. */
  private sync(_nowMs: number): void {
    this.refreshListed();
    const epoch = this.deps.epoch();
    if (epoch > selfEntry(this.table).epoch) this.table = updateSelf(this.table, { epoch });
  }

  /** Re-reads the membership if it changed; true if it did. */
  private refreshListed(): boolean {
    const source = this.deps.members();
    // The same array means the same membership (ClusterState keeps one per epoch); a fresh empty
    // one (no membership yet) is no change either.
    if (source === this.listedSource || (source.length === 0 && this.listed.size === 0)) return false;
    this.listedSource = source;
    this.listed = new Map(source.map((m) => [m.id, m]));
    const nowMs = monotonicMs(this.deps.clock);
    for (const id of this.listed.keys()) if (!this.listedSince.has(id)) this.listedSince.set(id, nowMs);
    for (const map of [this.listedSince, this.evidence, this.upState]) {
      for (const id of map.keys()) if (!this.listed.has(id)) map.delete(id);
    }
    // Whoever notices the new membership first (a round, a request, an isUp) brings the table in
    // line: a round that found the list already refreshed would otherwise never add the members.
    this.table = syncTable(this.table, this.listed, nowMs);
    return true;
  }

  private isUpAt(id: string, nowMs: number): boolean {
    if (id === this.deps.selfId) return true;
    this.refreshListed();
    if (!this.listed.has(id)) return false;
    return isPeerUp(
      {
        gossipAlive: isMemberAlive(this.table, id, nowMs),
        lastAdvanceMs: this.table.liveness.get(id)?.lastAdvanceMs,
        evidence: this.evidence.get(id),
        listedSinceMs: this.listedSince.get(id) ?? nowMs,
        nowMs,
      },
      this.evidenceOptions,
    );
  }

  private checkAll(nowMs: number): void {
    for (const id of this.listed.keys()) this.checkTransition(id, nowMs);
  }

  /** Fires the listeners when a member's verdict flips (members start out up, as their grace says). */
  private checkTransition(id: string, nowMs: number): void {
    if (id === this.deps.selfId || !this.listed.has(id)) return;
    const up = this.isUpAt(id, nowMs);
    // Members start out up (the grace of the never-heard-from), so the first verdict may be a flip.
    const was = this.upState.get(id) ?? true;
    this.upState.set(id, up);
    if (was === up) return;
    this.deps.logger?.info({ peer: id, phi: memberPhi(this.table, id, nowMs) }, up ? 'peer up' : 'peer down');
    for (const l of up ? this.upListeners : this.downListeners) {
      try {
        l(id);
      } catch (err) {
        this.deps.logger?.error({ err, peer: id }, 'liveness listener failed');
      }
    }
  }
}
