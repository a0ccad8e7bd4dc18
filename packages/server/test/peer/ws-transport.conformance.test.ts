// The WebSocket transport runs the transport conformance suite: real sockets on 127.0.0.1, ports
// picked by the OS (port 0), real time. Its timers go through a clock that counts the live ones,
// so the suite can check that a stopped transport leaves none armed.
import { Prng } from '@ringkv/core';
import { WsTransport, immediateTurn, systemClock, type Clock, type PeerHandler } from '@ringkv/server';
import { freePort } from '../../../../test/support/free-port.js';
import { pollUntil, realTime } from '../../../../test/support/poll.js';
import { captureLogger } from './peer-test-kit.js';
import { runTransportConformance, type ConformanceNode, type TransportHarness } from './transport-conformance.js';

/** The system clock, counting the timers set and neither fired nor cancelled. */
function countingClock(): { clock: Clock; live(): number } {
  let live = 0;
  const clock: Clock = {
    nowMs: () => systemClock.nowMs(),
    monotonicMs: () => systemClock.monotonicMs!(),
    setTimer(delayMs, fn) {
      let armed = true;
      const disarm = () => {
        if (armed) live--;
        armed = false;
      };
      live++;
      const t = systemClock.setTimer(delayMs, () => {
        disarm();
        fn();
      });
      return { cancel: () => { disarm(); t.cancel(); } };
    },
  };
  return { clock, live: () => live };
}

/** TCP sockets and servers of this process (Jest's own included: compared against a baseline). */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

function wsHarness(): TransportHarness {
  const time = countingClock();
  const started: WsTransport[] = [];
  const baseline = tcpHandles();
  let incarnation = 0;

  const open = async (id: string, handler: PeerHandler, port = 0, advertise = '127.0.0.1:0'): Promise<ConformanceNode> => {
    const t = new WsTransport({
      nodeId: id, listen: { host: '127.0.0.1', port }, advertise, secret: 'conformance-secret',
      clock: time.clock, nextTurn: immediateTurn, logger: captureLogger('silent').logger,
      random: new Prng(`ws conformance ${id} ${incarnation++}`).forkedRandom('transport'),
      // A restarted peer is dialed again within tens of milliseconds.
      backoffBaseMs: 10, backoffMaxMs: 40,
    });
    t.setHandler(handler);
    started.push(t);
    await t.start();
    return { id, address: t.advertisedAddress, transport: t };
  };

  const leftovers = (): string[] => {
    const left: string[] = [];
    for (const t of started) if (t.openSockets > 0) left.push(`${t.advertisedAddress}: ${t.openSockets} sockets open`);
    if (time.live() > 0) left.push(`${time.live()} timers armed`);
    if (tcpHandles() > baseline) left.push(`${tcpHandles() - baseline} TCP handles more than before the test`);
    return left;
  };

  return {
    time: realTime,
    start: (id, handler) => open(id, handler),
    async restart(node, handler) {
      await node.transport.stop();
      // The same port: peers dial the address they knew.
      return open(node.id, handler, Number(node.address.split(':').pop()), node.address);
    },
    nowhere: async () => `127.0.0.1:${await freePort()}`,
    async settle(p, maxMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`did not settle within ${maxMs} ms`)), maxMs);
      });
      try {
        return await Promise.race([p, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    async leftovers() {
      // Sockets finish closing on later turns of the loop.
      try {
        await pollUntil('sockets and timers to close', () => leftovers().length === 0, { timeoutMs: 5_000, intervalMs: 10 });
      } catch {
        // reported below
      }
      return leftovers();
    },
    async dispose() {
      await Promise.all(started.splice(0).map((t) => t.stop()));
    },
  };
}

runTransportConformance('WebSocket', { capabilities: { inOrderDelivery: true }, create: wsHarness });
