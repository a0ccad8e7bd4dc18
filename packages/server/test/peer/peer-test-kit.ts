// Helpers for the peer transport tests: a clock the test moves, loggers that keep their lines,
// transports on loopback with free ports, and polling with a deadline (never a fixed sleep).
import { Prng } from '@ringkv/core';
import { pino } from 'pino';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import type { Logger } from '../../src/observability/logger.js';
import { WsTransport, type WsTransportOptions } from '../../src/peer/ws-transport.js';
import type { PeerBody } from '../../src/peer/transport.js';

/** Timers fire only when the test advances the clock. */
export class ManualClock implements Clock {
  private timers: { atMs: number; fn: () => void; cancelled: boolean }[] = [];
  constructor(private now = 1_000_000) {}
  nowMs(): number {
    return this.now;
  }
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const t = { atMs: this.now + delayMs, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => { t.cancelled = true; } };
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.atMs <= until).sort((a, b) => a.atMs - b.atMs)[0];
      if (!due) break;
      due.cancelled = true;
      this.now = Math.max(this.now, due.atMs);
      due.fn();
    }
    this.now = until;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

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

/** Polls `cond` every few milliseconds until it holds; fails after deadlineMs. */
export async function waitFor(cond: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
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
