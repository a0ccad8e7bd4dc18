// The simulator's network transport runs the transport conformance suite, on the Scheduler's
// simulated time (no real time at all) and a healthy network (no loss, no duplicates: faults are
// the nemesis's business, not the contract's).
import type { PeerHandler } from '@ringkv/server';
import { runTransportConformance, type ConformanceNode, type TransportHarness } from '../../packages/server/test/peer/transport-conformance.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimNetwork, type SimTransport } from './sim-network.js';
import { Trace } from './trace.js';

function simHarness(): TransportHarness {
  const trace = new Trace(10_000, false);
  const scheduler = new Scheduler(trace, { eventsMax: 1_000_000 });
  const network = new SimNetwork(scheduler, new Prng('sim transport conformance').fork('network'));
  const transports: SimTransport[] = [];

  const start = async (id: string, address: string, incarnation: number, handler: PeerHandler): Promise<ConformanceNode> => {
    const t = network.transportFor(id, address, incarnation);
    t.setHandler(handler);
    transports.push(t);
    await t.start();
    return { id, address, transport: t };
  };

  return {
    time: { monotonicMs: () => scheduler.nowMs, wait: (ms) => scheduler.runUntil(scheduler.nowMs + ms) },
    start(id, handler) {
      const address = `${id}:7000`;
      network.addNode(id, address);
      return start(id, address, 1, handler);
    },
    // A restart is the node's next incarnation at the same address (a stopped one cannot start again).
    async restart(node, handler) {
      const old = node.transport as SimTransport;
      await old.stop();
      return start(node.id, node.address, old.incarnation + 1, handler);
    },
    nowhere: async () => 'nowhere:7000',
    settle: (p, maxMs) => scheduler.runUntilSettled(p, maxMs, 'the request'),
    async leftovers() {
      const left = transports.filter((t) => t.open.size > 0).map((t) => `${t.id}#${t.incarnation}: ${t.open.size} requests open`);
      // Whatever is still scheduled runs now and shows in the trace; nothing should.
      const before = trace.lines;
      await scheduler.runUntil(Infinity);
      const ran = trace.lines - before;
      if (ran > 0) left.push(...trace.lastLines().slice(-ran).map((line) => `still scheduled: ${line}`));
      return left;
    },
    async dispose() {
      await Promise.all(transports.map((t) => t.stop()));
    },
  };
}

runTransportConformance('simulated network', {
  // Each message's delay is drawn on its own, so messages overtake each other by design.
  capabilities: { inOrderDelivery: false },
  create: simHarness,
});
