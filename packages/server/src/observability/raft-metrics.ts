// The membership Raft group as this node sees it: term, whether it leads, leader changes, and how
// far its log and (on the leader) each follower's are from the commit. Read when scraped, except
// leader changes, which the Raft driver reports after each ready (sawLeader). Peer labels are the
// Raft group's members: bounded by the cluster.
import type { RaftStatus } from '@ringkv/core';
import { Counter, Gauge, type Registry } from 'prom-client';

export class RaftMetrics {
  private readonly leaderChanges: Counter;
  private lastLeader: string | null = null;

  constructor(registry: Registry, selfId: string, status: () => RaftStatus | undefined) {
    const registers = [registry];
    this.leaderChanges = new Counter({
      name: 'ringkv_raft_leader_changes_total', help: 'Times this node saw a new Raft leader (a different member, or the first one)', registers,
    });
    new Gauge({ name: 'ringkv_raft_term', help: 'Raft term this node is in (0 before Raft runs)', registers,
      collect() { this.set(status()?.term ?? 0); } });
    new Gauge({ name: 'ringkv_raft_is_leader', help: 'Whether this node is the Raft leader of the membership group: 1 or 0', registers,
      collect() { this.set(status()?.role === 'leader' ? 1 : 0); } });
    new Gauge({ name: 'ringkv_raft_has_leader', help: 'Whether this node knows a Raft leader: 1 or 0 (0 while an election runs or Raft is cut off)', registers,
      collect() { this.set(status()?.leader ? 1 : 0); } });
    new Gauge({ name: 'ringkv_raft_commit_lag_entries', help: 'Entries in this node\'s Raft log beyond the commit index (appended, not yet committed)', registers,
      collect() {
        const s = status();
        this.set(s ? Math.max(0, s.lastIndex - s.commit) : 0);
      } });
    new Gauge({ name: 'ringkv_raft_apply_lag_entries', help: 'Committed Raft entries this node has not applied yet', registers,
      collect() {
        const s = status();
        this.set(s ? Math.max(0, s.commit - s.applied) : 0);
      } });
    new Gauge({
      name: 'ringkv_raft_follower_lag_entries', help: 'On the leader: entries each other voter or learner lacks of the leader\'s log (absent elsewhere)', labelNames: ['peer'], registers,
      collect() {
        this.reset();
        const s = status();
        if (s?.role !== 'leader' || !s.progress) return;
        for (const [peer, p] of Object.entries(s.progress)) if (peer !== selfId) this.set({ peer }, Math.max(0, s.lastIndex - p.match));
      },
    });
  }

  /** Told the leader after each Raft ready: counts a change to a different known leader. */
  sawLeader(leader: string | null): void {
    if (leader === null || leader === this.lastLeader) return;
    this.lastLeader = leader;
    this.leaderChanges.inc();
  }
}
