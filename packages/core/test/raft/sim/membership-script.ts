// The membership scenario of the simulator: add a learner, promote it, add another, transfer
// leadership, remove a founding voter, promote the second learner, transfer again, all under
// faults. Each target is retried at the current leader until that leader's configuration shows it.
import type { Rng } from '../prng.js';
import { chance, pick } from '../prng.js';
import type { RaftSim } from './raft-sim.js';

type Op =
  | { kind: 'learner' | 'voter' | 'remove'; node: string }
  | { kind: 'transfer' };

export class MembershipScript {
  private readonly ops: Op[];
  private next = 0;
  private readonly expectedVoters: string[];

  constructor(private readonly rng: Rng, voters: string[], spares: string[]) {
    const [l1, l2] = spares;
    const victim = pick(rng, voters);
    this.ops = [
      { kind: 'learner', node: l1 },
      { kind: 'voter', node: l1 },
      { kind: 'learner', node: l2 },
      { kind: 'transfer' },
      { kind: 'remove', node: victim },
      { kind: 'voter', node: l2 },
      { kind: 'transfer' },
    ];
    this.expectedVoters = [...voters, l1, l2].filter((v) => v !== victim).sort();
  }

  done(): boolean {
    return this.next >= this.ops.length;
  }

  maybeAct(sim: RaftSim): void {
    if (this.done() || !chance(this.rng, 0.1)) return;
    const leader = sim.leader();
    if (!leader) return;
    const { config, progress } = leader.status();
    const op = this.ops[this.next];
    if (op.kind === 'transfer') {
      const others = config.voters.filter((v) => v !== leader.id);
      if (others.length === 0 || !leader.transferLeadership(pick(this.rng, others)).ok) return;
      this.next++;
      return;
    }
    const isVoter = config.voters.includes(op.node);
    const isLearner = config.learners.includes(op.node);
    const satisfied =
      op.kind === 'learner' ? isVoter || isLearner : op.kind === 'voter' ? isVoter : !isVoter && !isLearner;
    if (satisfied) {
      this.next++;
      return;
    }
    // Promote only a learner that caught up, as an operator would.
    if (op.kind === 'voter' && isLearner && (progress?.[op.node]?.match ?? 0) < leader.status().commit) return;
    const type = op.kind === 'learner' ? 'addLearner' : op.kind === 'voter' ? 'addVoter' : 'removeNode';
    leader.proposeConfChange({ type, node: op.node });
  }

  finish(sim: RaftSim): void {
    if (!this.done()) throw new Error(`membership script stuck at op ${this.next}: ${JSON.stringify(this.ops[this.next])}`);
    const leader = sim.leader();
    const voters = leader?.status().config.voters;
    if (JSON.stringify(voters) !== JSON.stringify(this.expectedVoters)) {
      throw new Error(`membership script: voters ${JSON.stringify(voters)}, expected ${JSON.stringify(this.expectedVoters)}`);
    }
  }
}
