// Requests per second between two WebSocket peer transports (not a test). Each run keeps
// `inFlight` requests outstanding from A to B for `seconds`, then reports the rate and the
// messages per frame. "batched" is the transport as shipped; "unbatched" sets frameTargetBytes
// to 1 byte so every message leaves in its own frame (as a transport without batching would).
//
//   node --import ./packages/server/test/peer/ts-loader.mjs packages/server/test/peer/transport-bench.ts [seconds] [inFlight...]
//   node --import ... transport-bench.ts --child   (internal: the B side in its own process)
//
// By default B runs in a child process, so the two sides use two cores as two nodes would.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Prng } from '@ringkv/core';
import { systemClock } from '../../src/clock.js';
import { WsTransport } from '../../src/peer/ws-transport.js';

const silent = pino({ level: 'silent' });

function transport(id: string, frameTargetBytes?: number): WsTransport {
  return new WsTransport({
    nodeId: id, listen: { host: '127.0.0.1', port: 0 }, advertise: '127.0.0.1:0', secret: 'bench',
    clock: systemClock, logger: silent, frameTargetBytes, maxQueuedPerPeer: 1_000_000, random: new Prng(id).forkedRandom('transport'),
  });
}

async function child(): Promise<void> {
  const b = transport('bench-b', Number(process.env.FRAME_TARGET) || undefined);
  b.setHandler((_from, body) => ({ type: 2, n: body.n }));
  await b.start();
  process.send!({ address: b.advertisedAddress });
  process.on('message', async () => {
    await b.stop();
    process.exit(0);
  });
}

async function run(label: string, inFlight: number, seconds: number, frameTargetBytes?: number): Promise<void> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child'], {
    execArgv: process.execArgv, env: { ...process.env, FRAME_TARGET: String(frameTargetBytes ?? '') },
  });
  const address = await new Promise<string>((r) => proc.once('message', (m: { address: string }) => r(m.address)));
  const a = transport('bench-a', frameTargetBytes);
  await a.start();
  const body = { type: 1, n: 0, key: 'user:12345', value: new Uint8Array(100) };
  await a.request(address, body, 5000);
  let done = 0;
  let stopAt = Infinity;
  const startFrames = a.stats.framesSent;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  stopAt = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < stopAt) {
      await a.request(address, body, 10_000);
      done++;
    }
  }));
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const frames = a.stats.framesSent - startFrames;
  console.log(`${label.padEnd(10)} in-flight ${String(inFlight).padStart(4)}: ${Math.round(done / elapsedS).toLocaleString('en').padStart(9)} req/s, ` +
    `${(done / Math.max(1, frames)).toFixed(1).padStart(6)} msgs/frame, A CPU ${((cpu.user + cpu.system) / done).toFixed(2)} µs/req`);
  await a.stop();
  proc.send('stop');
  await new Promise((r) => proc.once('exit', r));
}

if (process.argv.includes('--child')) {
  await child();
} else {
  const args = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const seconds = args[0] ?? 3;
  const levels = args.length > 1 ? args.slice(1) : [16, 64, 256];
  console.log(`node ${process.version}, ${seconds} s per run, 100-byte values, A and B in two processes`);
  for (const n of levels) await run('batched', n, seconds);
  for (const n of levels) await run('unbatched', n, seconds, 1);
}
