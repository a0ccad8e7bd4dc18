// The scan index of a restricted slot problem (see slot-repair.ts), where column x walks the rows
// it may enter by increasing mix32(walkKeys[x], row), a one-to-one hash.
//   - x's end is its free row of smallest hash among the rows that end a path (a hole or a victim),
//     which are few: they are kept as a list, and x's end is kept until one of them changes.
//   - Meeting walks x's rows in order (its walk is sorted when first needed) and stops once it has
//     met every column that a free row of x holds, which a count per pair of columns says.
// Recomputing both by a pass over all of x's rows whenever one changed took 16 ms for the 21 paths
// of a leave at Q=65536 (10 members in 3 zones, N=3); kept this way, 4 ms.
import { mix32 } from './mix-hash.js';
import type { ScanIndex } from './slot-repair.js';
import type { SlotRestriction, SlotState } from './slot-state.js';

export class HashOrderScan implements ScanIndex {
  private readonly restrict: SlotRestriction;
  private readonly cols: number;
  /** The rows that end a path: a flag per row, and a list with each one's place in it. */
  private readonly ending: Uint8Array;
  private readonly endingList: Int32Array;
  private readonly endingAt: Int32Array;
  private endingCount = 0;
  /** Per column x: whether its end is up to date, its end row (-1: none) and that row's hash. */
  private readonly endFresh: Uint8Array;
  private readonly endOf: Int32Array;
  private readonly endHash: Float64Array;
  /** Whether x's counts are kept; meets[x * cols + y]: free rows of x that hold y. */
  private readonly counted: Uint8Array;
  private readonly meets: Int32Array;

  constructor(private readonly s: SlotState) {
    this.restrict = s.restrict as SlotRestriction;
    const cols = (this.cols = s.cols);
    this.ending = new Uint8Array(s.rows);
    this.endingList = new Int32Array(s.rows);
    this.endingAt = new Int32Array(s.rows);
    for (let r = 0; r < s.rows; r++) this.mark(r);
    this.endFresh = new Uint8Array(cols);
    this.endOf = new Int32Array(cols);
    this.endHash = new Float64Array(cols);
    this.counted = new Uint8Array(cols);
    this.meets = new Int32Array(cols * cols);
  }

  end(x: number): number {
    if (!this.endFresh[x]) {
      this.endOf[x] = -1;
      const rows = this.restrict.rowsOf(x);
      if (this.endingCount < rows.length) {
        for (let i = 0; i < this.endingCount; i++) if (this.mayEnter(x, this.endingList[i])) this.addEnd(x, this.endingList[i]);
      } else {
        for (let i = 0; i < rows.length; i++) if (this.ending[rows[i]] && !this.s.table.has(rows[i], x)) this.addEnd(x, rows[i]);
      }
      this.endFresh[x] = 1;
    }
    return this.endOf[x];
  }

  meet(x: number, seen: Uint8Array, meet: (y: number, row: number) => void): void {
    const { cols, meets } = this;
    const { table } = this.s;
    if (!this.counted[x]) {
      const rows = this.restrict.rowsOf(x);
      for (let i = 0; i < rows.length; i++) this.count(x, rows[i], 1);
      this.counted[x] = 1;
    }
    let left = 0;
    for (let y = 0; y < cols; y++) if (!seen[y] && meets[x * cols + y] > 0) left++;
    const walk = this.s.walk(x);
    for (let i = 0; i < walk.length && left > 0; i++) {
      const r = walk.at(i);
      if (table.has(r, x)) continue;
      for (let k = r * table.width, last = k + table.len[r]; k < last; k++) {
        const y = table.cells[k];
        if (seen[y]) continue;
        meet(y, r);
        left--;
      }
    }
  }

  /** Row r is about to change: it leaves the counts, and the columns it is the end of look again. */
  leave(r: number): void {
    const { cells, len, width } = this.restrict.entrants;
    for (let k = r * width, end = k + len[r]; k < end; k++) {
      const x = cells[k];
      if (this.endOf[x] === r) this.endFresh[x] = 0;
      if (this.counted[x]) this.count(x, r, -1);
    }
  }

  /** Row r changed: it is back in the counts, and may now be the end of the columns that may enter it. */
  enter(r: number): void {
    this.mark(r);
    const { cells, len, width } = this.restrict.entrants;
    for (let k = r * width, end = k + len[r]; k < end; k++) {
      const x = cells[k];
      if (this.counted[x]) this.count(x, r, 1);
      if (this.ending[r] && this.endFresh[x] && !this.s.table.has(r, x)) this.addEnd(x, r);
    }
  }

  /** Adds (d = 1) or takes away (d = -1) row r, an entrant row of x's, from x's counts if x is not in it. */
  private count(x: number, r: number, d: number): void {
    const { table } = this.s;
    if (table.has(r, x)) return;
    for (let k = r * table.width, last = k + table.len[r]; k < last; k++) this.meets[x * this.cols + table.cells[k]] += d;
  }

  /** Whether x may enter row r and is not in it. */
  private mayEnter(x: number, r: number): boolean {
    const { cells, len, width } = this.restrict.entrants;
    for (let k = r * width, end = k + len[r]; k < end; k++) if (cells[k] === x) return !this.s.table.has(r, x);
    return false;
  }

  /** Puts row r in or out of the rows that end a path. */
  private mark(r: number): void {
    const open = this.s.hasHole(r) || this.s.victimIn(r, false) >= 0;
    if (open === (this.ending[r] === 1)) return;
    if (open) {
      this.endingAt[r] = this.endingCount;
      this.endingList[this.endingCount++] = r;
    } else {
      const last = this.endingList[--this.endingCount];
      this.endingList[this.endingAt[r]] = last;
      this.endingAt[last] = this.endingAt[r];
    }
    this.ending[r] = open ? 1 : 0;
  }

  /** Row r (ending a path, free for x) as x's end if its hash is smaller. */
  private addEnd(x: number, r: number): void {
    const h = mix32(this.restrict.walkKeys[x], r);
    if (this.endOf[x] < 0 || h < this.endHash[x]) {
      this.endOf[x] = r;
      this.endHash[x] = h;
    }
  }
}
