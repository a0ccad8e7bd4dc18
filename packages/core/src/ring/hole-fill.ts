// Pass (b) of the slot solver (slot-solver.ts) when every column may enter every row: each hole,
// row by row, goes to the column furthest below its target that is not in the row yet, then the
// lowest score, then the lowest index. Looking at every column for every hole took 28 to 35 ms for
// the member solve at Q=65536 with 50 members (N=3); this takes 19 ms, and gives the same cells:
//   - the columns are kept sorted by level, min(count - target, 0) (the bucket trick of k-core
//     peeling: a column moves up one level by swapping with the last column of its level, whose
//     block then ends one place earlier), so only the lowest level that has a column free to enter
//     the row is looked at;
//   - it is looked at once per row for all of the row's holes: the best k of its columns are the
//     ones the holes take one by one, since each moves up a level (and is in the row) once taken.
import { mixSalt } from './mix-hash.js';

// Bound once (see mix-hash.ts: under Jest's vm sandbox every `Math` lookup is slow).
const imul = Math.imul;

/** mix32(key, row) with salt = mixSalt(row), flipped to signed (x ^ 2^31): the same order, in int32 arithmetic. */
function signedScore(key: number, salt: number): number {
  // fmix32 (mix-hash.ts) inline.
  let h = key ^ salt;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h ^ 0x80000000;
}
import type { SlotState } from './slot-state.js';

export function fillHoles(s: SlotState): void {
  const filler = new HoleFiller(s);
  for (let r = 0; r < s.rows; r++) if (s.table.len[r] < s.demand[r]) filler.fillRow(r);
}

class HoleFiller {
  private readonly cells: Int32Array;
  private readonly len: Int32Array;
  private readonly count: Int32Array;
  private readonly width: number;
  private readonly demand: Int32Array;
  private readonly cols: number;
  /** count - target per column. */
  private readonly over: Int32Array;
  /** The columns, lowest level first (within a level in no particular order), and where each is. */
  private readonly order: Int32Array;
  private readonly at: Int32Array;
  /** keyAt[j] = keys[order[j]]: the keys in order, read without a look-up. */
  private readonly keyAt: Uint32Array;
  /** start[l] is the first place in `order` with level >= l - offset (levels run -offset .. 0). */
  private readonly start: Int32Array;
  private readonly offset: number;
  /** inRow[c] === r + 1: column c is in row r. */
  private readonly inRow: Int32Array;
  /** The best columns of the level looked at, by (score, index); the scores flipped to signed (x ^ 2^31), which keeps their order. */
  private readonly pick: Int32Array;
  private readonly pickScore: Int32Array;

  constructor(s: SlotState) {
    const { table } = s;
    this.cells = table.cells;
    this.len = table.len;
    this.count = table.count;
    this.width = table.width;
    this.demand = s.demand;
    this.cols = s.cols;
    this.over = Int32Array.from(s.target, (t, c) => table.count[c] - t);
    this.offset = s.maxTarget();
    this.order = new Int32Array(s.cols);
    this.at = new Int32Array(s.cols);
    this.start = new Int32Array(this.offset + 2);
    const slot = (c: number): number => (this.over[c] < 0 ? this.over[c] : 0) + this.offset;
    for (let c = 0; c < s.cols; c++) this.start[slot(c) + 1]++;
    for (let l = 1; l < this.start.length; l++) this.start[l] += this.start[l - 1];
    const next = this.start.slice(0, this.offset + 1);
    this.keyAt = new Uint32Array(s.cols);
    for (let c = 0; c < s.cols; c++) {
      const i = next[slot(c)]++;
      this.order[i] = c;
      this.at[c] = i;
      this.keyAt[i] = s.keys[c];
    }
    this.inRow = new Int32Array(s.cols);
    this.pick = new Int32Array(this.width);
    this.pickScore = new Int32Array(this.width);
  }

  fillRow(r: number): void {
    const { cells, len, inRow } = this;
    const base = r * this.width;
    const mark = r + 1;
    const salt = mixSalt(r);
    if (len[r] === 0) this.fillEmpty(r, salt);
    for (let k = base; k < base + len[r]; k++) inRow[cells[k]] = mark;
    while (len[r] < this.demand[r]) if (!this.fillSome(r, salt, mark)) return;
  }

  /**
   * An empty row: none of the lowest level's columns is in it, so it takes the best of them (keys
   * read in order, no look-up per column; a column looked up only when it beats the worst kept); if
   * they are fewer than its holes, the rest is for fillSome.
   */
  private fillEmpty(r: number, salt: number): void {
    const { order, over, keyAt, pick, pickScore, cols } = this;
    if (cols === 0 || over[order[0]] >= 0) return;
    const lowest = over[order[0]];
    const holes = this.demand[r];
    const end = this.start[lowest + this.offset + 1];
    // Placeholders (score 2^31 - 1, column cols) lose to any column.
    for (let i = 0; i < holes; i++) {
      pick[i] = cols;
      pickScore[i] = 0x7fffffff;
    }
    let worst = 0x7fffffff;
    for (let j = 0; j < end; j++) {
      const sc = signedScore(keyAt[j], salt);
      if (sc > worst) continue;
      const c = order[j];
      if (sc === worst && c > pick[holes - 1]) continue;
      let at = holes - 1;
      for (; at > 0 && (pickScore[at - 1] > sc || (pickScore[at - 1] === sc && pick[at - 1] > c)); at--) {
        pick[at] = pick[at - 1];
        pickScore[at] = pickScore[at - 1];
      }
      pick[at] = c;
      pickScore[at] = sc;
      worst = pickScore[holes - 1];
    }
    this.place(r, end < holes ? end : holes, lowest);
  }

  /** Fills some of row r's holes from the lowest level with a column not in the row; false if there is none. */
  private fillSome(r: number, salt: number, mark: number): boolean {
    const { len, over, order, inRow, pick, pickScore, keyAt } = this;
    const holes = this.demand[r] - len[r];
    let picked = 0;
    let level = 0;
    let worst = 0;
    for (let j = 0; j < this.cols; j++) {
      const c = order[j];
      const o = over[c];
      if (o >= 0 || (picked > 0 && o > level)) break;
      if (inRow[c] === mark) continue;
      const sc = signedScore(keyAt[j], salt);
      if (picked === holes && (sc > worst || (sc === worst && c > pick[picked - 1]))) continue;
      let at = picked < holes ? picked++ : picked - 1;
      for (; at > 0 && (pickScore[at - 1] > sc || (pickScore[at - 1] === sc && pick[at - 1] > c)); at--) {
        pick[at] = pick[at - 1];
        pickScore[at] = pickScore[at - 1];
      }
      pick[at] = c;
      pickScore[at] = sc;
      worst = pickScore[picked - 1];
      level = o;
    }
    if (picked === 0) return false;
    this.place(r, picked, level);
    for (let i = 0; i < picked; i++) inRow[pick[i]] = mark;
    return true;
  }

  /** Row r takes pick[0 .. n), all at `level`, in that order. */
  private place(r: number, n: number, level: number): void {
    const { cells, len, count, over, pick } = this;
    const base = r * this.width;
    for (let i = 0; i < n; i++) {
      const c = pick[i];
      cells[base + len[r]++] = c;
      count[c]++;
      over[c]++;
      this.raise(c, level);
    }
  }

  /** Column c, at level `level` < 0, moves to level + 1. */
  private raise(c: number, level: number): void {
    const last = --this.start[level + this.offset + 1];
    const d = this.order[last];
    const i = this.at[c];
    this.order[i] = d;
    this.at[d] = i;
    this.order[last] = c;
    this.at[c] = last;
    const key = this.keyAt[i];
    this.keyAt[i] = this.keyAt[last];
    this.keyAt[last] = key;
  }
}
