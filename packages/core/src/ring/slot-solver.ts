// The one combinatorial engine behind the assignment: fill a table of rows (partitions) with distinct
// columns (zones, members) so that row r holds demand[r] columns and column c ends with target[c]
// rows, keeping as many of the initial (previous-epoch) cells as it can. It is a bipartite
// b-matching solved in three steps:
//   1. keep: start from the initial cells, trimming rows that hold more than they need;
//   2. greedy, in two passes: (a) each column short of its target walks the rows in its own
//      pseudo-random order and takes the cell of the most over-target column in a row ("move from
//      the most loaded to the least loaded"), columns taking turns; (b) each remaining hole, row by
//      row, goes to the eligible column furthest below target (the Gale-Ryser greedy, which cannot
//      get stuck when the only constraint is distinctness and nothing was kept; hole-fill.ts);
//   3. repair (slot-repair.ts): a column the walk cannot serve gets a shortest augmenting path. If
//      no path exists the targets are infeasible, and the remaining holes go to the least loaded
//      eligible column (never happens for distinctness-only problems, whose targets the caller
//      derived feasibly).
// Every choice is ordered by (count, 32-bit hash of column and row), so the result is deterministic.
// The table is flat (slot-table.ts) and the state and moves are in slot-state.ts.
import { fillHoles } from './hole-fill.js';
import { repair } from './slot-repair.js';
import { SlotState, type SlotProblem } from './slot-state.js';
import type { CellList, SlotTable } from './slot-table.js';

export type { SlotProblem } from './slot-state.js';

export interface SlotSolution {
  readonly table: SlotTable;
  /** Columns that ended above or below target because the targets were infeasible (normally 0). */
  readonly unmet: number;
}

export function solveSlots(p: SlotProblem): SlotSolution {
  const s = new SlotState(p);
  keep(s, p.initial);
  takeFromOverloaded(s);
  if (s.restrict) fillHolesRestricted(s);
  else fillHoles(s);
  repair(s);
  return { table: s.table, unmet: completeRelaxed(s) };
}

/** Step 1: the initial cells; a row holding more than its demand drops its most over-target columns. */
function keep(s: SlotState, initial: CellList): void {
  const { cells, len, count, width } = s.table;
  const { demand } = s;
  const n = initial.length;
  for (let i = 0; i < n; i++) count[initial.col(i)]++;
  for (let i = 0; i < n; ) {
    const r = initial.row(i);
    let end = i + 1;
    while (end < n && initial.row(end) === r) end++;
    if (end - i > demand[r]) {
      trim(s, r, initial, i, end);
      i = end;
      continue;
    }
    for (; i < end; i++) cells[r * width + len[r]++] = initial.col(i);
  }
}

/** Row r's initial cells initial[from .. to), more than its demand: it keeps the least over target. */
function trim(s: SlotState, r: number, initial: CellList, from: number, to: number): void {
  const { cells, len, count, width } = s.table;
  const row: number[] = [];
  for (let i = from; i < to; i++) row.push(initial.col(i));
  while (row.length > s.demand[r]) {
    let worst = 0;
    for (let j = 1; j < row.length; j++) {
      const [a, b] = [row[j], row[worst]];
      if (s.over(a) > s.over(b) || (s.over(a) === s.over(b) && s.score(a, r) < s.score(b, r))) worst = j;
    }
    count[row[worst]]--;
    row.splice(worst, 1);
  }
  for (const c of row) cells[r * width + len[r]++] = c;
}

/**
 * Pass (a): columns below target take cells of over-target columns, one per turn; weak cells
 * first (a walk of their own), then any.
 */
function takeFromOverloaded(s: SlotState): void {
  const order = s.deficitOrder();
  let overTotal = 0;
  for (let c = 0; c < s.cols; c++) overTotal += Math.max(0, s.over(c));
  for (const weakOnly of s.weak ? [true, false] : [false]) {
    const cursor = new Int32Array(s.cols);
    let progress = true;
    while (progress && overTotal > 0) {
      progress = false;
      for (const c of order) {
        if (overTotal === 0) break;
        if (s.over(c) >= 0 || !stepOver(s, c, cursor, weakOnly)) continue;
        overTotal--;
        progress = true;
      }
    }
  }
}

function stepOver(s: SlotState, c: number, cursor: Int32Array, weakOnly: boolean): boolean {
  for (let len = s.walkLength(c); cursor[c] < len; ) {
    const r = s.rowAt(c, cursor[c]++);
    if (s.table.has(r, c)) continue;
    const v = s.victimIn(r, weakOnly);
    if (v >= 0) {
      s.place(c, r, v);
      return true;
    }
  }
  return false;
}

/** Pass (b) when columns may only enter some rows: the same choice among the row's entrants. */
function fillHolesRestricted(s: SlotState): void {
  const { len } = s.table;
  const { demand } = s;
  for (let r = 0; r < s.rows; r++) {
    while (len[r] < demand[r]) {
      const best = s.leastEntrant(r, 0);
      if (best < 0) break;
      s.table.push(r, best);
    }
  }
}

/** Fills any hole left by infeasible targets with the least loaded eligible column. */
function completeRelaxed(s: SlotState): number {
  let unmet = 0;
  for (let r = 0; r < s.rows; r++) {
    while (s.hasHole(r)) {
      let best = -1;
      if (s.restrict) best = s.leastEntrant(r, Infinity);
      else {
        for (let c = 0; c < s.cols; c++) {
          if (s.table.has(r, c)) continue;
          if (best < 0 || s.over(c) < s.over(best) || (s.over(c) === s.over(best) && s.score(c, r) < s.score(best, r))) best = c;
        }
      }
      if (best < 0) break;
      s.place(best, r, -1);
      unmet++;
    }
  }
  return unmet;
}
