// A slot problem (see slot-solver.ts) and the state its solver works on: the table, each column's
// distance to target, its walk over the rows, and the moves (take a hole, displace a column) with
// the tie-breaks every step shares: (count, 32-bit hash of column and row), then column index.
import { HashOrder } from './hash-order.js';
import { KeyedWalks } from './keyed-walks.js';
import { fmix32, mix32, mixSalt } from './mix-hash.js';
import { SlotTable, type CellList } from './slot-table.js';

// Bound once (see mix-hash.ts: under Jest's vm sandbox every `Math` lookup is slow).
const clz32 = Math.clz32;

/** Where columns may go besides distinctness within a row (the primary of a partition: one of its replicas). */
export interface SlotRestriction {
  /** Per row, the columns that may enter it, each once, in any order. */
  readonly entrants: SlotTable;
  /** The rows column c may enter (exactly those it is an entrant of), in increasing order. */
  readonly rowsOf: (c: number) => Int32Array;
  /** Column c tries its rows in increasing mix32(walkKeys[c], row), a scattered order. */
  readonly walkKeys: Uint32Array;
}

export interface SlotProblem {
  /** Number of rows; a power of two (the partition count). */
  readonly rows: number;
  readonly demand: Int32Array;
  readonly target: ArrayLike<number>;
  /** A stable 32-bit key per column (hash of its id): walk orders and tie-breaks derive from it. */
  readonly colKeys: ArrayLike<number>;
  /** The columns to keep if possible (the previous epoch's), rows in increasing order, each row's in order. */
  readonly initial: CellList;
  /**
   * Initial cells that cost nothing to give up (at the zone level: a zone's extra replica that only a
   * departed member held). Over-target columns give these up first.
   */
  readonly weak: ((row: number, col: number) => boolean) | undefined;
  /** Default: every column may enter every row, walking them in a keyed pseudo-random order (keyed-walks.ts). */
  readonly restrict: SlotRestriction | undefined;
}

export class SlotState {
  readonly table: SlotTable;
  readonly rows: number;
  readonly cols: number;
  readonly demand: Int32Array;
  readonly target: Int32Array;
  readonly keys: Uint32Array;
  readonly weak: ((row: number, col: number) => boolean) | undefined;
  readonly restrict: SlotRestriction | undefined;
  private readonly keyed: KeyedWalks | undefined;
  private readonly walks: (HashOrder | undefined)[];

  constructor(p: SlotProblem) {
    this.rows = p.rows;
    this.cols = p.target.length;
    this.demand = p.demand;
    this.target = Int32Array.from(p.target);
    this.keys = Uint32Array.from(p.colKeys);
    this.weak = p.weak;
    this.restrict = p.restrict;
    let width = 0;
    for (let r = 0; r < p.rows; r++) if (p.demand[r] > width) width = p.demand[r];
    this.table = new SlotTable(p.rows, width, this.cols);
    this.keyed = p.restrict ? undefined : new KeyedWalks(this.keys, 31 - clz32(p.rows));
    this.walks = new Array<HashOrder | undefined>(this.cols).fill(undefined);
  }

  over(c: number): number {
    return this.table.count[c] - this.target[c];
  }

  /** The largest target: no column is further below target than this. */
  maxTarget(): number {
    let max = 0;
    for (let c = 0; c < this.cols; c++) if (this.target[c] > max) max = this.target[c];
    return max;
  }

  score(c: number, r: number): number {
    return mix32(this.keys[c], r);
  }

  /** Restricted problems: the rows column c may enter, in its order (sorted as far as it is read). */
  walk(c: number): HashOrder {
    let walk = this.walks[c];
    if (walk === undefined) {
      const { rowsOf, walkKeys } = this.restrict as SlotRestriction;
      const rows = rowsOf(c);
      const hash = new Uint32Array(rows.length);
      for (let i = 0; i < rows.length; i++) hash[i] = mix32(walkKeys[c], rows[i]);
      // mix32(key, row) is one-to-one in row, so the order is strict.
      walk = this.walks[c] = new HashOrder(rows, hash);
    }
    return walk;
  }

  /** The i-th row column c tries. */
  rowAt(c: number, i: number): number {
    return this.restrict ? this.walk(c).at(i) : (this.keyed as KeyedWalks).at(c, i);
  }

  walkLength(c: number): number {
    return this.restrict ? this.walk(c).length : this.rows;
  }

  hasHole(r: number): boolean {
    return this.table.len[r] < this.demand[r];
  }

  /** The column of row r to displace: the most over target, then the lowest score; -1 if none is over. */
  victimIn(r: number, weakOnly: boolean): number {
    const { cells, len, width } = this.table;
    let best = -1;
    let bestOver = 0;
    let bestScore = 0;
    for (let i = r * width, end = i + len[r]; i < end; i++) {
      const v = cells[i];
      const o = this.over(v);
      if (o <= 0 || (weakOnly && !(this.weak !== undefined && this.weak(r, v)))) continue;
      if (best < 0 || o > bestOver) {
        best = v;
        bestOver = o;
        bestScore = this.score(v, r);
      } else if (o === bestOver) {
        const s = this.score(v, r);
        if (s < bestScore) {
          best = v;
          bestScore = s;
        }
      }
    }
    return best;
  }

  /** Puts c into row r, into a hole or in place of victim v (-1 for a hole). */
  place(c: number, r: number, v: number): void {
    if (v < 0) this.table.push(r, c);
    else this.table.replace(r, v, c);
  }

  /** The columns by key, then index: the order columns take turns in. */
  deficitOrder(): Int32Array {
    return Int32Array.from({ length: this.cols }, (_, c) => c).sort((a, b) => this.keys[a] - this.keys[b] || a - b);
  }

  /**
   * Restricted problems: among the entrants of row r with over(c) < limit that are not in it yet,
   * the one with the least over(c), then the lowest score, then the lowest index; -1 if none.
   */
  leastEntrant(r: number, limit: number): number {
    const { cells, len, width } = (this.restrict as SlotRestriction).entrants;
    const { count } = this.table;
    const { target, keys } = this;
    const salt = mixSalt(r);
    let best = -1;
    let bestOver = 0;
    let bestScore = 0;
    for (let k = r * width, end = k + len[r]; k < end; k++) {
      const c = cells[k];
      const o = count[c] - target[c];
      if (o >= limit || (best >= 0 && o > bestOver) || this.table.has(r, c)) continue;
      const s = fmix32((keys[c] ^ salt) >>> 0);
      if (best < 0 || o < bestOver || s < bestScore || (s === bestScore && c < best)) {
        best = c;
        bestOver = o;
        bestScore = s;
      }
    }
    return best;
  }
}
