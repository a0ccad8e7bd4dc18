// A few GossipService nodes over the in-memory network under a manual clock: time moves only when
// the test says, and each step lets the network's later turns (setImmediate) run to completion.
import { Prng } from '@ringkv/core';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { MemoryNetwork, type MemoryTransport } from '../../src/peer/memory-transport.js';
import { GossipService, type GossipMember, type GossipServiceDeps, type HigherEpochHint } from '../../src/liveness/gossip-service.js';
import { peerStack, type PeerStack } from '../support/peer-stack.js';

export interface TestNode {
  id: string;
  address: string;
  transport: MemoryTransport;
  service: GossipService;
  /** What this node's membership source returns; replace the array to change it. */
  membership: GossipMember[];
  epoch: number;
  higher: { fromId: string; epoch: number; hint: HigherEpochHint }[];
  ups: string[];
  downs: string[];
  /** The node's peer protocol (its router answers the transport). */
  stack: PeerStack;
}

export const member = (id: string, extra: Partial<GossipMember> = {}): GossipMember => ({
  id, peer: `${id}:1`, http: `${id}:2`, status: 'normal', ...extra,
});

export class GossipCluster {
  readonly clock = new ManualClock(1_700_000_000_000);
  readonly net = new MemoryNetwork({ clock: this.clock });
  readonly nodes = new Map<string, TestNode>();

  /** Adds a node listing `listed` as the membership (default: itself only) and starts it. */
  async add(id: string, listed: string[], opts: Partial<GossipServiceDeps> = {}): Promise<TestNode> {
    const address = `${id}:1`;
    const transport = this.net.transport(id, address);
    await transport.start();
    const node = { id, address, transport, membership: listed.map((m) => member(m)), epoch: 1, higher: [], ups: [], downs: [] } as unknown as TestNode;
    node.service = this.service(node, opts);
    this.nodes.set(id, node);
    return node;
  }

  /** A new GossipService for the node (as after a restart: it replaces the old one's handler). */
  service(node: TestNode, opts: Partial<GossipServiceDeps> = {}): GossipService {
    // A fresh router per service: a restarted node's handler replaces the old one's.
    const stack = peerStack(node.transport);
    node.stack = stack;
    const s = new GossipService({
      selfId: node.id,
      self: { peer: node.address, http: `${node.id}:2` },
      clock: this.clock,
      rpc: stack.rpc, router: stack.router, protocol: stack.protocol,
      members: () => node.membership,
      epoch: () => node.epoch,
      onHigherEpoch: (fromId, epoch, hint) => node.higher.push({ fromId, epoch, hint }),
      prng: new Prng(`test:${node.id}`),
      ...opts,
    });
    s.onUp((id) => node.ups.push(id));
    s.onDown((id) => node.downs.push(id));
    s.start();
    return s;
  }

  node(id: string): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Advances the clock by ms in steps, letting deliveries and replies finish after each step. */
  async advance(ms: number, stepMs = 50): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - done));
      await settle();
    }
  }

  /** Advances until cond holds; returns the ms it took, or throws after limitMs. */
  async advanceUntil(cond: () => boolean, limitMs: number, stepMs = 50): Promise<number> {
    let elapsed = 0;
    while (!cond()) {
      if (elapsed >= limitMs) throw new Error(`condition not reached within ${limitMs} ms of simulated time`);
      await this.advance(stepMs, stepMs);
      elapsed += stepMs;
    }
    return elapsed;
  }

  stopAll(): void {
    for (const n of this.nodes.values()) n.service.stop();
  }
}

/** Lets every pending setImmediate chain (delivery, handler, reply) run. */
export async function settle(turns = 6): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
