// Step 3 of the slot solver: every column still below target, in a fixed order, gets shortest
// augmenting paths (breadth first over columns): it displaces a column from a row, which moves to
// another row, ... until one lands in a hole or displaces an over-target column. Each column scans
// the rows it may enter, in plain row order (restricted problems: in its walk); the path only has
// to exist, not to be scattered. The scan itself is not run: a column's path ends at the first row
// it may enter, is not in, and that has a hole or a victim; the rows before it only matter for the
// columns they hold (the first row holding each one). An index answers both (row-order-scan.ts,
// hash-order-scan.ts), so the search finds exactly the path the scan finds. Scanning every row for
// every column of every path took 6 to 21 s for one join at Q=65536 (5 members in 2 zones: 6033
// paths); 6 ms with the index.
import { HashOrderScan } from './hash-order-scan.js';
import { RowOrderScan } from './row-order-scan.js';
import type { SlotState } from './slot-state.js';

/** What a search needs to know of each column's scan; rows leave it before they change and enter it after. */
export interface ScanIndex {
  /** The row where column x's path ends, or -1. */
  end(x: number): number;
  /** Calls meet(y, row) for the columns not seen yet that x's scan meets, in order, each with the first row holding it. */
  meet(x: number, seen: Uint8Array, meet: (y: number, row: number) => void): void;
  leave(r: number): void;
  enter(r: number): void;
}

export function repair(s: SlotState): void {
  let paths: AugmentingPaths | undefined;
  for (const c of s.deficitOrder()) {
    while (s.over(c) < 0) {
      paths ??= new AugmentingPaths(s);
      if (!paths.augment(c)) break;
    }
  }
}

class AugmentingPaths {
  private readonly index: ScanIndex;
  private readonly seen: Uint8Array;
  private readonly viaRow: Int32Array;
  private readonly viaCol: Int32Array;
  private readonly queue: Int32Array;
  private size = 0;
  private by = -1;
  private readonly enqueue = (y: number, row: number): void => {
    this.seen[y] = 1;
    this.viaRow[y] = row;
    this.viaCol[y] = this.by;
    this.queue[this.size++] = y;
  };

  constructor(private readonly s: SlotState) {
    this.index = s.restrict ? new HashOrderScan(s) : new RowOrderScan(s);
    this.seen = new Uint8Array(s.cols);
    this.viaRow = new Int32Array(s.cols);
    this.viaCol = new Int32Array(s.cols);
    this.queue = new Int32Array(s.cols);
  }

  /** Breadth-first augmenting path from column c; applies it and returns true if one exists. */
  augment(c: number): boolean {
    const { seen, queue } = this;
    this.size = 0;
    this.enqueue(c, -1);
    let found = false;
    for (let qi = 0; qi < this.size; qi++) {
      const x = queue[qi];
      const end = this.index.end(x);
      if (end >= 0) {
        // The scan would have met the columns of the rows before the end, then stopped there.
        this.apply(c, x, end);
        found = true;
        break;
      }
      this.by = x;
      this.index.meet(x, seen, this.enqueue);
    }
    for (let i = 0; i < this.size; i++) seen[queue[i]] = 0;
    return found;
  }

  /**
   * x enters row r (a hole or in place of its victim); then each displaced column's place goes to
   * the column that displaced it. The rows of the path leave the index before the first move and
   * enter it after the last: in between, the columns on the path hold one cell too many.
   */
  private apply(start: number, x: number, r: number): void {
    const { s, viaRow, viaCol, index } = this;
    const rows = [r];
    for (let y = x; y !== start; y = viaCol[y]) if (!rows.includes(viaRow[y])) rows.push(viaRow[y]);
    for (const row of rows) index.leave(row);
    const victim = s.hasHole(r) ? -1 : s.victimIn(r, false);
    s.place(x, r, victim);
    while (x !== start) {
      const by = viaCol[x];
      s.place(by, viaRow[x], x);
      x = by;
    }
    for (const row of rows) index.enter(row);
    // A victim that reached its target no longer makes its other rows end a path.
    if (victim >= 0 && s.over(victim) === 0) {
      for (let row = 0; row < s.rows; row++) {
        if (!s.table.has(row, victim) || rows.includes(row)) continue;
        index.leave(row);
        index.enter(row);
      }
    }
  }
}
