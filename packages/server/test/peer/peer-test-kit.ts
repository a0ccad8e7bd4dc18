// Helpers for the peer transport tests: loggers that keep their lines and transports on loopback
// with free ports. The clock the test moves and polling with a deadline are test/support's
// (manual-clock.ts, poll.ts).
import { Prng } from '@ringkv/core';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import type { Logger } from '../../src/observability/logger.js';
import { WsTransport, type WsTransportOptions } from '../../src/peer/ws-transport.js';
import type { PeerBody } from '../../src/peer/transport.js';

export interface CapturedLogger {
  logger: Logger;
  lines: { level: number; msg: string; [k: string]: unknown }[];
}

/** A pino logger at `level` whose lines are kept (parsed) instead of printed. */
export function captureLogger(level = 'warn'): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const logger = pino({ level }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { logger, lines };
}

export const WARN = 40;

const started: WsTransport[] = [];

/** Starts a transport on 127.0.0.1 with a free port; stopTransports() stops every one. */
export async function startTransport(nodeId: string, opts: Partial<WsTransportOptions> = {}): Promise<WsTransport> {
  const t = new WsTransport({
    nodeId, listen: { host: '127.0.0.1', port: 0 }, advertise: '127.0.0.1:0', secret: 'test-secret',
    clock: systemClock, logger: captureLogger('silent').logger, backoffBaseMs: 10, backoffMaxMs: 40,
    random: new Prng(`peer-test ${nodeId}`).forkedRandom('transport'),
    ...opts,
  });
  t.setHandler((_from, body) => ({ type: 2, echo: body }));
  await t.start();
  started.push(t);
  return t;
}

export async function stopTransports(): Promise<void> {
  await Promise.all(started.splice(0).map((t) => t.stop()));
}

/** The error a promise rejects with (fails if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<Error & { code?: string; remoteCode?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

export const ping = (n = 0): PeerBody => ({ type: 1, n });
