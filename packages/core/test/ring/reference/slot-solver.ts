// TEST-ONLY REFERENCE: src/ring/slot-solver.ts as of commit 5995f2d (ring algorithm version 1), kept verbatim below
// this line so assignment.reference.test.ts can check the optimised src gives exactly the same output.
// The one combinatorial engine behind the assignment: fill a table of rows (partitions) with distinct
// columns (zones, members) so that row r holds demand[r] columns and column c ends with target[c]
// rows, keeping as many of the initial (previous-epoch) cells as it can. It is a bipartite
// b-matching solved in three steps:
//   1. keep: start from the initial cells, trimming rows that hold more than they need;
//   2. greedy, in two passes: (a) each column short of its target walks the rows in its own
//      pseudo-random order and takes the cell of the most over-target column in a row ("move from
//      the most loaded to the least loaded"), columns taking turns; (b) each remaining hole, row by
//      row, goes to the eligible column furthest below target (the Gale-Ryser greedy, which cannot
//      get stuck when the only constraint is distinctness and nothing was kept);
//   3. repair: a column the walk cannot serve gets a shortest augmenting path (breadth first):
//      it displaces a column from a row, which moves to another row, ... until one lands in a hole
//      or displaces an over-target column. If no path exists the targets are infeasible, and the
//      remaining holes go to the least loaded eligible column (never happens for distinctness-only
//      problems, whose targets the caller derived feasibly).
// Every choice is ordered by (count, 32-bit hash of column and row), so the result is deterministic.
import { mix32, permutation, type Permutation } from './mix-hash.js';

export interface SlotProblem {
  /** Number of rows; a power of two (the partition count). */
  readonly rows: number;
  readonly demand: ArrayLike<number>;
  readonly target: ArrayLike<number>;
  /** A stable 32-bit key per column (hash of its id): walk orders and tie-breaks derive from it. */
  readonly colKeys: ArrayLike<number>;
  /** Per row, the columns to keep if possible, in order. Taken over (mutated) by the solver. */
  readonly initial: number[][];
  /**
   * Restricts where columns may go (besides distinctness within a row): rowsOf[c] lists the rows
   * column c may enter, in the order it should try them, and allows(row, col) must agree with it.
   * Default: every column may enter every row, walking them in a keyed pseudo-random order.
   */
  /**
   * Initial cells that cost nothing to give up (at the zone level: a zone's extra replica that only a
   * departed member held). Over-target columns give these up first.
   */
  readonly weak?: (row: number, col: number) => boolean;
  readonly restrict?: {
    readonly rowsOf: readonly (readonly number[])[];
    readonly allows: (row: number, col: number) => boolean;
  };
}

export interface SlotSolution {
  readonly rows: number[][];
  /** Columns that ended above or below target because the targets were infeasible (normally 0). */
  readonly unmet: number;
}

export function solveSlots(p: SlotProblem): SlotSolution {
  return new Solver(p).run();
}

class Solver {
  private readonly rows: number[][];
  private readonly count: Int32Array;
  private readonly walks: Permutation[];
  private readonly eligible: (row: number, col: number) => boolean;

  constructor(private readonly p: SlotProblem) {
    this.rows = p.initial;
    this.count = new Int32Array(p.target.length);
    const bits = Math.round(Math.log2(p.rows));
    this.walks = Array.from(p.colKeys, (k) => permutation(k, bits));
    this.eligible = p.restrict?.allows ?? (() => true);
    for (const row of this.rows) for (const c of row) this.count[c]++;
  }

  run(): SlotSolution {
    this.trimRows();
    this.takeFromOverloaded();
    this.fillHoles();
    this.repair();
    const unmet = this.completeRelaxed();
    return { rows: this.rows, unmet };
  }

  private over(c: number): number {
    return this.count[c] - this.p.target[c];
  }

  private score(c: number, r: number): number {
    return mix32(this.p.colKeys[c], r);
  }

  /** The i-th row column c tries, and how many there are. */
  private rowAt(c: number, i: number): number {
    return this.p.restrict ? this.p.restrict.rowsOf[c][i] : this.walks[c](i);
  }

  private walkLength(c: number): number {
    return this.p.restrict ? this.p.restrict.rowsOf[c].length : this.p.rows;
  }

  /** Rows holding more than their demand (N shrank, zones changed) drop their most over-target columns. */
  private trimRows(): void {
    this.rows.forEach((row, r) => {
      while (row.length > this.p.demand[r]) {
        let worst = 0;
        for (let i = 1; i < row.length; i++) {
          const [a, b] = [row[i], row[worst]];
          if (this.over(a) > this.over(b) || (this.over(a) === this.over(b) && this.score(a, r) < this.score(b, r))) worst = i;
        }
        this.count[row[worst]]--;
        row.splice(worst, 1);
      }
    });
  }

  /** The column of `row` to displace: the most over target, then the lowest score; -1 if none is over. */
  private victimIn(r: number, weakOnly = false): number {
    let best = -1;
    for (const v of this.rows[r]) {
      if (this.over(v) <= 0 || (weakOnly && !this.isWeak(r, v))) continue;
      if (best < 0 || this.over(v) > this.over(best) || (this.over(v) === this.over(best) && this.score(v, r) < this.score(best, r))) {
        best = v;
      }
    }
    return best;
  }

  private isWeak(r: number, c: number): boolean {
    return this.p.weak !== undefined && this.p.weak(r, c);
  }

  private canEnter(r: number, c: number): boolean {
    return !this.rows[r].includes(c) && this.eligible(r, c);
  }

  /** Puts c into row r, into a hole or in place of victim v (-1 for a hole). */
  private place(c: number, r: number, v: number): void {
    const row = this.rows[r];
    if (v < 0) row.push(c);
    else {
      row[row.indexOf(v)] = c;
      this.count[v]--;
    }
    this.count[c]++;
  }

  private deficitOrder(): number[] {
    return Array.from({ length: this.p.target.length }, (_, c) => c).sort(
      (a, b) => this.p.colKeys[a] - this.p.colKeys[b] || a - b,
    );
  }

  /**
   * Pass (a): columns below target take cells of over-target columns, one per turn; weak cells
   * first (a walk of their own), then any.
   */
  private takeFromOverloaded(): void {
    const order = this.deficitOrder();
    let overTotal = 0;
    for (let c = 0; c < order.length; c++) overTotal += Math.max(0, this.over(c));
    for (const weakOnly of this.p.weak ? [true, false] : [false]) {
      const cursor = new Int32Array(order.length);
      let progress = true;
      while (progress && overTotal > 0) {
        progress = false;
        for (const c of order) {
          if (overTotal === 0) break;
          if (this.over(c) >= 0 || !this.stepOver(c, cursor, weakOnly)) continue;
          overTotal--;
          progress = true;
        }
      }
    }
  }

  private stepOver(c: number, cursor: Int32Array, weakOnly: boolean): boolean {
    while (cursor[c] < this.walkLength(c)) {
      const r = this.rowAt(c, cursor[c]++);
      if (!this.canEnter(r, c)) continue;
      const v = this.victimIn(r, weakOnly);
      if (v >= 0) {
        this.place(c, r, v);
        return true;
      }
    }
    return false;
  }

  /** Pass (b): every hole, row by row, to the eligible column furthest below its target. */
  private fillHoles(): void {
    const cols = this.p.target.length;
    for (let r = 0; r < this.p.rows; r++) {
      const row = this.rows[r];
      while (row.length < this.p.demand[r]) {
        let best = -1;
        let bestOver = 0;
        let bestScore = 0;
        for (let c = 0; c < cols; c++) {
          const o = this.over(c);
          if (o >= 0 || (best >= 0 && o > bestOver) || !this.canEnter(r, c)) continue;
          const sc = this.score(c, r);
          if (best < 0 || o < bestOver || sc < bestScore) {
            best = c;
            bestOver = o;
            bestScore = sc;
          }
        }
        if (best < 0) break;
        this.place(best, r, -1);
      }
    }
  }

  /** Step 3: augmenting paths for every column still below target, in a fixed order. */
  private repair(): void {
    for (const c of this.deficitOrder()) {
      while (this.over(c) < 0 && this.augment(c));
    }
  }

  /** Breadth-first augmenting path from column c; applies it and returns true if one exists. */
  private augment(c: number): boolean {
    const cols = this.p.target.length;
    const viaRow = new Int32Array(cols).fill(-1);
    const viaCol = new Int32Array(cols).fill(-1);
    const seen = new Uint8Array(cols);
    seen[c] = 1;
    const queue = [c];
    for (let qi = 0; qi < queue.length; qi++) {
      const x = queue[qi];
      // Breadth first in plain row order: the path found only has to exist, not to be scattered.
      for (let i = 0, len = this.walkLength(x); i < len; i++) {
        const r = this.p.restrict ? this.rowAt(x, i) : i;
        if (!this.canEnter(r, x)) continue;
        const v = this.rows[r].length < this.p.demand[r] ? -1 : this.victimIn(r);
        if (this.rows[r].length < this.p.demand[r] || v >= 0) {
          this.place(x, r, v);
          this.unwind(x, c, viaRow, viaCol);
          return true;
        }
        for (const y of this.rows[r]) {
          if (seen[y]) continue;
          seen[y] = 1;
          viaRow[y] = r;
          viaCol[y] = x;
          queue.push(y);
        }
      }
    }
    return false;
  }

  /** Walks the path back: each displaced column's place goes to the column that displaced it. */
  private unwind(x: number, start: number, viaRow: Int32Array, viaCol: Int32Array): void {
    while (x !== start) {
      const r = viaRow[x];
      const by = viaCol[x];
      this.place(by, r, x);
      x = by;
    }
  }

  /** Fills any hole left by infeasible targets with the least loaded eligible column. */
  private completeRelaxed(): number {
    let unmet = 0;
    this.rows.forEach((row, r) => {
      while (row.length < this.p.demand[r]) {
        let best = -1;
        for (let c = 0; c < this.p.target.length; c++) {
          if (!this.canEnter(r, c)) continue;
          if (best < 0 || this.over(c) < this.over(best) || (this.over(c) === this.over(best) && this.score(c, r) < this.score(best, r))) best = c;
        }
        if (best < 0) break;
        this.place(best, r, -1);
        unmet++;
      }
    });
    return unmet;
  }
}
