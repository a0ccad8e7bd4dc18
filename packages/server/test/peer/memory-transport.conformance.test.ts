// The in-memory transport runs the transport conformance suite, under a ManualClock that also
// holds the network's next turns: time moves only as far as the next timer, and only once nothing
// is left to do at the current instant.
import { MemoryNetwork, type MemoryTransport, type PeerHandler } from '@ringkv/server';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { runTransportConformance, type ConformanceNode, type TransportHarness } from './transport-conformance.js';

function memoryHarness(): TransportHarness {
  const clock = new ManualClock();
  const net = new MemoryNetwork({ clock, nextTurn: clock.nextTurn });
  const transports = new Map<string, MemoryTransport>();

  const start = async (t: MemoryTransport, handler: PeerHandler): Promise<ConformanceNode> => {
    t.setHandler(handler);
    await t.start();
    return { id: t.nodeId, address: t.address, transport: t };
  };

  return {
    time: clock,
    start(id, handler) {
      const t = net.transport(id, `${id}:7000`);
      transports.set(id, t);
      return start(t, handler);
    },
    // The network holds one transport per address; a restart is that transport started again.
    async restart(node, handler) {
      const t = transports.get(node.id)!;
      await t.stop();
      return start(t, handler);
    },
    nowhere: async () => 'nowhere:7000',
    settle: (p, maxMs) => clock.runUntilSettled(p, maxMs),
    async leftovers() {
      await clock.runTurns();
      const left: string[] = [];
      if (clock.pendingTimers > 0) left.push(`${clock.pendingTimers} timers armed`);
      if (clock.pendingTurns > 0) left.push(`${clock.pendingTurns} turns queued`);
      return left;
    },
    async dispose() {
      await Promise.all([...transports.values()].map((t) => t.stop()));
    },
  };
}

runTransportConformance('in-memory', { capabilities: { inOrderDelivery: true }, create: memoryHarness });
