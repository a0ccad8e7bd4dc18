// The nemesis: during the safety phase it injects faults chosen by its PRNG, each healed again
// after a random while: partitions (split in two, one node isolated, one-way links), crashes with
// later restarts, graceful stops with later restarts, message loss, duplication, long delays, clogged nodes, and clock skew and jumps.
// healAll() ends every fault and restarts every crashed node for the liveness phase.
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { SimCluster } from './sim-cluster.js';
import type { SimNetwork } from './sim-network.js';

export const FAULT_KINDS = ['partition', 'crash', 'restart', 'drop', 'duplicate', 'delay', 'clog', 'clock'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface NemesisOptions {
  faults: readonly FaultKind[];
  /** Pause between two fault injections. */
  stepMsMin: number;
  stepMsMax: number;
  /** How long a fault lasts before it heals itself. */
  faultMsMin: number;
  faultMsMax: number;
  /** Nodes crashed or stopped at the same time, at most. */
  crashedMax: number;
  /** Largest clock jump, either way. */
  clockJumpMsMax: number;
}

export class Nemesis {
  private stopped = false;
  /** Restarts and other background work started by the nemesis; errors end the run. */
  private readonly tasks: Promise<void>[] = [];
  readonly errors: unknown[] = [];
  injected = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly cluster: SimCluster,
    private readonly network: SimNetwork,
    private readonly prng: Prng,
    readonly options: NemesisOptions,
  ) {}

  /** Injects faults until simulated time untilMs. */
  async run(untilMs: number): Promise<void> {
    if (this.options.faults.length === 0) return;
    while (!this.stopped) {
      await this.scheduler.sleep(this.prng.int(this.options.stepMsMin, this.options.stepMsMax + 1), 'nemesis step');
      if (this.stopped || this.scheduler.nowMs >= untilMs) break;
      this.inject(this.prng.pick(this.options.faults));
    }
  }

  /**
   * Ends every fault: heals the network, sets every clock right (as NTP would: a node whose clock
   * ran ahead jumps back), restarts crashed nodes; resolves once all are up.
   */
  async healAll(): Promise<void> {
    this.stopped = true;
    this.network.healAll();
    for (const n of this.cluster.nodes) {
      if (n.skew.skewMs === 0) continue;
      this.note(`clock ${n.id} set right (was ${n.skew.skewMs} ms off)`);
      n.skew.skewMs = 0;
    }
    this.note('heal all');
    await Promise.all(this.tasks);
    for (const n of this.cluster.nodes) if (n.status === 'crashed' || n.status === 'stopped') this.spawn(this.cluster.start(n.id));
    await Promise.all(this.tasks);
  }

  private inject(kind: FaultKind): void {
    const p = this.prng;
    const o = this.options;
    const ids = this.cluster.nodes.map((n) => n.id);
    const healAfter = (what: string, fn: () => void) => {
      this.scheduler.schedule(p.int(o.faultMsMin, o.faultMsMax + 1), `nemesis heal ${what}`, () => {
        if (this.stopped) return;
        fn();
        this.note(`healed ${what}`);
      });
    };
    this.injected++;
    switch (kind) {
      case 'partition': {
        const shuffled = p.shuffle([...ids]);
        const mode = p.int(0, 3);
        if (mode === 0) {
          const cut = p.int(1, ids.length);
          this.network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
          this.note(`partition [${shuffled.slice(0, cut).sort()}] | [${shuffled.slice(cut).sort()}]`);
        } else if (mode === 1) {
          this.network.partition([[shuffled[0]], shuffled.slice(1)]);
          this.note(`isolate ${shuffled[0]}`);
        } else {
          this.network.block(shuffled[0], shuffled[1]);
          this.note(`block ${shuffled[0]}>${shuffled[1]}`);
        }
        healAfter('partitions', () => this.network.healPartitions());
        return;
      }
      case 'crash': {
        const down = this.cluster.nodes.filter((n) => n.status !== 'up').length;
        const up = this.cluster.nodes.filter((n) => n.status === 'up');
        if (down >= o.crashedMax || up.length === 0) return;
        const victim = p.pick(up).id;
        this.cluster.crash(victim);
        this.scheduler.schedule(p.int(o.faultMsMin, o.faultMsMax + 1), `nemesis restart ${victim}`, () => {
          if (this.stopped) return; // healAll() restarts it
          if (this.cluster.node(victim).status === 'crashed') this.spawn(this.cluster.start(victim));
        });
        return;
      }
      case 'restart': {
        const down = this.cluster.nodes.filter((n) => n.status !== 'up').length;
        const up = this.cluster.nodes.filter((n) => n.status === 'up');
        if (down >= o.crashedMax || up.length === 0) return;
        const victim = p.pick(up).id;
        const stopping = this.cluster.stop(victim);
        this.spawn(stopping);
        this.scheduler.schedule(p.int(o.faultMsMin, o.faultMsMax + 1), `nemesis restart ${victim}`, () => {
          if (this.stopped) return; // healAll() restarts it
          this.spawn(stopping.then(() => (this.cluster.node(victim).status === 'stopped' ? this.cluster.start(victim) : undefined)));
        });
        return;
      }
      case 'drop':
        this.network.options.dropProbability = p.pick([0.02, 0.1, 0.3]);
        this.note(`drop ${this.network.options.dropProbability}`);
        healAfter('drop', () => { this.network.options.dropProbability = 0; });
        return;
      case 'duplicate':
        this.network.options.duplicateProbability = p.pick([0.05, 0.2, 0.5]);
        this.note(`duplicate ${this.network.options.duplicateProbability}`);
        healAfter('duplicate', () => { this.network.options.duplicateProbability = 0; });
        return;
      case 'delay':
        this.network.options.latencyMsMax = p.pick([50, 400, 1500]);
        this.note(`delay up to ${this.network.options.latencyMsMax} ms`);
        healAfter('delay', () => { this.network.options.latencyMsMax = 10; });
        return;
      case 'clog': {
        const id = p.pick(ids);
        this.network.clog(id, true);
        this.note(`clog ${id}`);
        healAfter(`clog ${id}`, () => this.network.clog(id, false));
        return;
      }
      case 'clock': {
        const node = p.pick(this.cluster.nodes);
        const jump = p.int(-o.clockJumpMsMax, o.clockJumpMsMax + 1);
        // Bounded, so skews wander but never run off (a clock minutes off is a different test).
        const bound = 2 * o.clockJumpMsMax;
        node.skew.skewMs = Math.max(-bound, Math.min(bound, node.skew.skewMs + jump));
        this.note(`clock ${node.id} ${jump >= 0 ? '+' : ''}${jump} ms (skew ${node.skew.skewMs})`);
        return;
      }
    }
  }

  private spawn(task: Promise<void>): void {
    this.tasks.push(task.catch((err: unknown) => { this.errors.push(err); }));
  }

  private note(what: string): void {
    this.scheduler.trace.add(`${this.scheduler.nowMs} nemesis ${what}`);
  }
}
