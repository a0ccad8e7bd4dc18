// The clock rule for records arriving from anywhere but this node's own coordinator (docs/design.md
// "Clocks"): a record stamped more than maxClockSkewMs ahead of this node's clock is
// refused on every path (replica write, hint, read reply, read repair, anti-entropy, streaming),
// counted by path and logged. Stored, such a record would win last-write-wins against every write
// of its key until real time caught up with it: each of those writes acknowledged, then lost.
import type { StoredRecord } from '@ringkv/core';
import type { Counter } from 'prom-client';
import type { Clock } from '../clock.js';
import { TimestampAheadError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

export type AdmissionPath = 'replica-write' | 'hint' | 'read-reply' | 'anti-entropy' | 'stream';

export interface RecordAdmissionDeps {
  clock: Clock;
  maxSkewMs: number;
  log: Logger;
  /** Refused records, by path. */
  refused: Counter<'path'>;
}

const LOG_EVERY_MS = 10_000;

export class RecordAdmission {
  private lastLogMs = -Infinity;
  private quiet = 0;

  constructor(private readonly deps: RecordAdmissionDeps) {}

  get maxSkewMs(): number {
    return this.deps.maxSkewMs;
  }

  /** How far ahead of this node's clock a record is (0 if not ahead). */
  aheadMs(record: StoredRecord): number {
    return Math.max(0, record.ts.wallMs - this.deps.clock.nowMs());
  }

  /** True if the record may be stored or used; else counts and logs it and returns false. */
  admits(record: StoredRecord, path: AdmissionPath, from?: string): boolean {
    const ahead = record.ts.wallMs - this.deps.clock.nowMs();
    if (ahead <= this.deps.maxSkewMs) return true;
    this.deps.refused.inc({ path });
    const now = this.deps.clock.nowMs();
    if (now - this.lastLogMs >= LOG_EVERY_MS) {
      this.deps.log.warn(
        { path, from: from ?? null, aheadMs: ahead, maxSkewMs: this.deps.maxSkewMs, alsoRefusedSinceLastLog: this.quiet },
        'refused a record stamped too far ahead of this node\'s clock (a peer clock runs ahead, or a peer is hostile; check NTP)',
      );
      this.lastLogMs = now;
      this.quiet = 0;
    } else {
      this.quiet++;
    }
    return false;
  }

  /** admits(), or throws TimestampAheadError (the replica write path answers with it). */
  require(record: StoredRecord, path: AdmissionPath, from?: string): void {
    if (!this.admits(record, path, from)) throw new TimestampAheadError(this.aheadMs(record), this.deps.maxSkewMs);
  }
}
