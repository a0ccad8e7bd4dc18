// The history of a run as the clients saw it: every operation with its start and end (simulated
// time and a global sequence number, which orders events within one millisecond), its coordinator,
// its arguments and its outcome. The checkers read only this and the final replica state.
import { formatTimestamp, type StoredRecord, type Timestamp } from '@ringkv/core';
import type { Trace } from './trace.js';

export type OpKind = 'put' | 'delete' | 'read';

/** What a read returned: the winning record (tombstones included) or nothing. */
export interface ReadResult {
  ts: Timestamp;
  tombstone: boolean;
  value: string;
}

export interface Op {
  readonly id: number;
  readonly client: number;
  readonly kind: OpKind;
  readonly key: string;
  readonly coordinator: string;
  /** The level as the client asked for it (1, 2, 3 or 'quorum'), and the count it means. */
  readonly level: number | 'quorum';
  readonly count: number;
  readonly strict: boolean;
  /** The value a put wrote (unique per op). */
  readonly value?: string;
  /** The key's preference list, and those of its owners the coordinator believed down at the start. */
  readonly owners: readonly string[];
  readonly ownersDownAtStart: readonly string[];
  readonly startMs: number;
  readonly startSeq: number;
  /** A write's timestamp, as the coordinator issued it (also when the write then failed). */
  ts?: Timestamp;
  endMs?: number;
  endSeq?: number;
  /** ok; error (the client got an error code); unknown (the coordinator died before answering). */
  outcome?: 'ok' | 'error' | 'unknown';
  errorCode?: string;
  result?: ReadResult | null;
}

export class History {
  readonly ops: Op[] = [];
  private seq = 0;

  constructor(private readonly trace: Trace) {}

  nextSeq(): number {
    return this.seq++;
  }

  begin(op: Omit<Op, 'id' | 'startSeq'>): Op {
    const full: Op = { ...op, id: this.ops.length, startSeq: this.nextSeq() };
    this.ops.push(full);
    return full;
  }

  end(op: Op, nowMs: number, outcome: NonNullable<Op['outcome']>, detail: { errorCode?: string; result?: StoredRecord }): void {
    if (op.outcome) throw new Error(`op ${op.id} ended twice`);
    op.endMs = nowMs;
    op.endSeq = this.nextSeq();
    op.outcome = outcome;
    if (detail.errorCode) op.errorCode = detail.errorCode;
    if (op.kind === 'read' && outcome === 'ok') op.result = detail.result ? toResult(detail.result) : null;
    this.trace.add(`${nowMs} op ${describeOp(op)}`);
  }
}

export function toResult(rec: StoredRecord): ReadResult {
  return { ts: rec.ts, tombstone: rec.tombstone, value: Buffer.from(rec.value).toString('utf8') };
}

export function describeResult(r: ReadResult | null | undefined): string {
  if (r === undefined) return '-';
  if (r === null) return 'absent';
  return `${r.tombstone ? 'tombstone' : JSON.stringify(r.value)}@${formatTimestamp(r.ts)}`;
}

export function describeOp(op: Op): string {
  const args = op.kind === 'read' ? `r=${op.level}` : `w=${op.level}${op.strict ? ' strict' : ''}${op.value ? ` ${JSON.stringify(op.value)}` : ''}`;
  const ts = op.ts ? ` ts=${formatTimestamp(op.ts)}` : '';
  const down = op.ownersDownAtStart.length ? ` down=[${op.ownersDownAtStart.join(',')}]` : '';
  const out = op.outcome === 'ok' ? (op.kind === 'read' ? `ok ${describeResult(op.result)}` : 'ok') : `${op.outcome ?? 'pending'}${op.errorCode ? ` ${op.errorCode}` : ''}`;
  return `#${op.id} c${op.client} ${op.kind} ${op.key} ${args} via ${op.coordinator} owners=[${op.owners.join(',')}]${down}${ts} [${op.startMs}..${op.endMs ?? '?'}] ${out}`;
}
