// A map from byte keys to byte values kept in bytewise key order: two parallel arrays and a
// binary search. Inserts are O(n) array splices, which is fine for tests and the simulator
// (thousands of keys, not millions) and keeps range scans and range deletes trivial.
import type { KeyRange } from './engine.js';
import { compareBytes } from './bytes.js';

export class SortedMap {
  private keys: Uint8Array[] = [];
  private values: Uint8Array[] = [];

  get size(): number {
    return this.keys.length;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const i = this.search(key);
    return i >= 0 ? this.values[i] : undefined;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    const i = this.search(key);
    if (i >= 0) {
      this.values[i] = value;
    } else {
      this.keys.splice(~i, 0, key);
      this.values.splice(~i, 0, value);
    }
  }

  delete(key: Uint8Array): void {
    const i = this.search(key);
    if (i >= 0) {
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
    }
  }

  deleteRange(range: KeyRange): void {
    const [from, to] = this.bounds(range);
    if (to > from) {
      this.keys.splice(from, to - from);
      this.values.splice(from, to - from);
    }
  }

  /** A snapshot of the entries in range, in order (or reverse), at most limit of them. */
  entries(range: KeyRange, reverse = false, limit = -1): Array<[Uint8Array, Uint8Array]> {
    const [from, to] = this.bounds(range);
    const count = limit >= 0 ? Math.min(limit, to - from) : to - from;
    const out: Array<[Uint8Array, Uint8Array]> = new Array(Math.max(count, 0));
    for (let n = 0; n < out.length; n++) {
      const i = reverse ? to - 1 - n : from + n;
      out[n] = [this.keys[i], this.values[i]];
    }
    return out;
  }

  clone(): SortedMap {
    const copy = new SortedMap();
    copy.keys = this.keys.slice();
    copy.values = this.values.slice();
    return copy;
  }

  /** Index of key, or ~insertionPoint when absent (as Java's binarySearch). */
  private search(key: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.keys[mid], key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return ~lo;
  }

  /** [from, to) indexes of the keys inside range. */
  private bounds(range: KeyRange): [number, number] {
    const from = range.gte === undefined ? 0 : lowerBound(this.search(range.gte));
    const to = range.lt === undefined ? this.keys.length : lowerBound(this.search(range.lt));
    return [from, Math.max(from, to)];
  }
}

function lowerBound(searchResult: number): number {
  return searchResult >= 0 ? searchResult : ~searchResult;
}
