// Storage of a slot problem (slot-solver.ts): SlotTable, the rows x width cells as one flat typed
// array with each row's length and each column's cell count, and CellList, cells given as
// (row, column) pairs in row order (a problem's initial cells). One array per row cost about a third
// of the assignment's time in garbage collection at Q=65536 (160 of 510 ms, node --cpu-prof).

/** A growable list of (row, column) cells. */
export class CellList {
  private rowOf: Int32Array;
  private colOf: Int32Array;
  private size = 0;

  /** capacity: how many cells to make room for at first. */
  constructor(capacity = 64) {
    this.rowOf = new Int32Array(Math.max(capacity, 1));
    this.colOf = new Int32Array(Math.max(capacity, 1));
  }

  get length(): number {
    return this.size;
  }

  push(row: number, col: number): void {
    if (this.size === this.rowOf.length) {
      const rowOf = new Int32Array(this.size * 2);
      const colOf = new Int32Array(this.size * 2);
      rowOf.set(this.rowOf);
      colOf.set(this.colOf);
      this.rowOf = rowOf;
      this.colOf = colOf;
    }
    this.rowOf[this.size] = row;
    this.colOf[this.size++] = col;
  }

  row(i: number): number {
    return this.rowOf[i];
  }

  col(i: number): number {
    return this.colOf[i];
  }
}

/** Up to `width` distinct columns per row, in the order they were put there. */
export class SlotTable {
  /** Cells in row r: cells[r * width] .. cells[r * width + len[r] - 1]. */
  readonly cells: Int32Array;
  readonly len: Int32Array;
  /** Cells each column holds. */
  readonly count: Int32Array;

  constructor(
    readonly rows: number,
    readonly width: number,
    cols: number,
  ) {
    this.cells = new Int32Array(rows * width);
    this.len = new Int32Array(rows);
    this.count = new Int32Array(cols);
  }

  at(r: number, i: number): number {
    return this.cells[r * this.width + i];
  }

  has(r: number, c: number): boolean {
    const base = r * this.width;
    for (let i = base, end = base + this.len[r]; i < end; i++) if (this.cells[i] === c) return true;
    return false;
  }

  /** Appends c to row r (which has room). */
  push(r: number, c: number): void {
    this.cells[r * this.width + this.len[r]++] = c;
    this.count[c]++;
  }

  /** Puts c where v is in row r. */
  replace(r: number, v: number, c: number): void {
    const base = r * this.width;
    let i = base;
    while (this.cells[i] !== v) i++;
    this.cells[i] = c;
    this.count[v]--;
    this.count[c]++;
  }
}
