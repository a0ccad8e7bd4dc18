// The scan index of an unrestricted slot problem (see slot-repair.ts), where every column scans
// every row in row order. Per column two sets of rows (position-sets.ts): those it is not in
// ("free"), and among them those that end a path (a hole or a victim); the end is the first of the
// latter. Meeting walks the free rows in order and stops once it has met every column that a free
// row holds, which it knows from a count per pair of columns of the rows holding both. Built once,
// row by row (about 1 ms at Q=65536), then kept as rows change.
import { PositionSets } from './position-sets.js';
import type { ScanIndex } from './slot-repair.js';
import type { SlotState } from './slot-state.js';

export class RowOrderScan implements ScanIndex {
  private readonly cols: number;
  private readonly free: PositionSets;
  private readonly ends: PositionSets;
  /** both[x * cols + y]: rows holding both x and y (x !== y). */
  private readonly both: Int32Array;

  constructor(private readonly s: SlotState) {
    const cols = (this.cols = s.cols);
    const lengths = new Int32Array(cols).fill(s.rows);
    this.free = new PositionSets(lengths);
    this.ends = new PositionSets(lengths);
    this.both = new Int32Array(cols * cols);
    for (let x = 0; x < cols; x++) this.free.fill(x);
    const { cells, len, width } = s.table;
    for (let r = 0; r < s.rows; r++) {
      for (let k = r * width, end = k + len[r]; k < end; k++) this.free.remove(cells[k], r);
      this.pairs(r, 1);
      if (this.accepts(r)) this.refresh(r);
    }
  }

  end(x: number): number {
    return this.ends.next(x, 0);
  }

  meet(x: number, seen: Uint8Array, meet: (y: number, row: number) => void): void {
    const { table } = this.s;
    // Columns some free row of x holds: count[y] rows hold y, both[x, y] of them hold x too.
    let left = 0;
    for (let y = 0; y < this.cols; y++) if (!seen[y] && table.count[y] > this.both[x * this.cols + y]) left++;
    for (let r = this.free.next(x, 0); r >= 0 && left > 0; r = this.free.next(x, r + 1)) {
      for (let k = r * table.width, last = k + table.len[r]; k < last; k++) {
        const y = table.cells[k];
        if (seen[y]) continue;
        meet(y, r);
        left--;
      }
    }
  }

  leave(r: number): void {
    this.pairs(r, -1);
  }

  enter(r: number): void {
    this.pairs(r, 1);
    this.refresh(r);
  }

  /** A path can end in row r: it has a hole or holds an over-target column. */
  private accepts(r: number): boolean {
    return this.s.hasHole(r) || this.s.victimIn(r, false) >= 0;
  }

  /** Adds (d = 1) or takes away (d = -1) row r's pairs of columns. */
  private pairs(r: number, d: number): void {
    const { cells, len, width } = this.s.table;
    for (let a = r * width, end = a + len[r]; a < end; a++) {
      for (let b = r * width; b < end; b++) if (b !== a) this.both[cells[a] * this.cols + cells[b]] += d;
    }
  }

  /** Recomputes row r's place in every column's sets. */
  private refresh(r: number): void {
    const { s } = this;
    const open = this.accepts(r);
    for (let x = 0; x < this.cols; x++) {
      const isFree = !s.table.has(r, x);
      if (isFree) this.free.add(x, r);
      else this.free.remove(x, r);
      if (open && isFree) this.ends.add(x, r);
      else this.ends.remove(x, r);
    }
  }
}
