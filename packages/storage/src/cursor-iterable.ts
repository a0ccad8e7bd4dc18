// Turns a native cursor into the AsyncIterable the Engine interface promises: entries one at a
// time (iterate) or in batches (iterateBatches). The cursor opens lazily on the first next(), each
// next() counts as an operation in flight (so close() waits for it), and return() (a `break` out
// of for-await) releases the native iterator at once. Errors of the native cursor leave through
// the engine's error mapping.
import type { Entry, KeyRange } from './engine.js';
import type { BatchCursor, Cursor, Lifecycle, OpenCursor } from './lifecycle.js';
import { EngineClosedError } from './errors.js';

/** Iterate options as a backend's `_iterator` gets them: checked, only the bounds that are set. */
export interface CursorOptions extends KeyRange {
  reverse: boolean;
  /** At most this many entries; -1 means all. */
  limit: number;
}

/** Batch iterate options as a backend's `_batchIterator` gets them: checked, defaults filled in. */
export interface BatchCursorOptions extends CursorOptions {
  /** Entries per batch, at most (at least 1). */
  batchEntries: number;
  /** A batch ends with the entry that brings it to this many bytes of keys and values (at least 1). */
  batchBytes: number;
}

export function cursorIterable(
  lifecycle: Lifecycle,
  options: CursorOptions,
  openCursor: (options: CursorOptions) => Cursor,
  mapError: (err: unknown) => Error,
): AsyncIterable<Entry> {
  const step = (cursor: Cursor) => cursor.next();
  return {
    [Symbol.asyncIterator]: () => new CursorIterator<CursorOptions, Cursor, Entry>(lifecycle, 'iterate', options, openCursor, step, mapError),
  };
}

export function batchCursorIterable(
  lifecycle: Lifecycle,
  options: BatchCursorOptions,
  openCursor: (options: BatchCursorOptions) => BatchCursor,
  mapError: (err: unknown) => Error,
): AsyncIterable<Entry[]> {
  // An empty batch is the end.
  const step = (cursor: BatchCursor) => cursor.nextBatch().then((batch) => (batch.length === 0 ? undefined : batch));
  return {
    [Symbol.asyncIterator]: () => new CursorIterator<BatchCursorOptions, BatchCursor, Entry[]>(lifecycle, 'iterateBatches', options, openCursor, step, mapError),
  };
}

class CursorIterator<O extends CursorOptions, C extends OpenCursor, T> implements AsyncIterator<T> {
  private cursor: C | undefined;
  private done = false;
  private generation = -1;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly operation: string,
    private readonly options: O,
    private readonly openCursor: (options: O) => C,
    private readonly step: (cursor: C) => Promise<T | undefined>,
    private readonly mapError: (err: unknown) => Error,
  ) {}

  async next(): Promise<IteratorResult<T>> {
    if (this.done) return { done: true, value: undefined };
    let item: T | undefined;
    this.lifecycle.enter(this.operation);
    try {
      item = await this.advance();
    } catch (err) {
      throw this.mapError(err);
    } finally {
      this.lifecycle.leave();
    }
    if (item === undefined) {
      await this.release();
      return { done: true, value: undefined };
    }
    return { done: false, value: item };
  }

  async return(): Promise<IteratorResult<T>> {
    await this.release();
    return { done: true, value: undefined };
  }

  async throw(err: unknown): Promise<IteratorResult<T>> {
    await this.release();
    throw err;
  }

  /** The next item of the cursor (opened at the first call), undefined at the end. */
  private advance(): Promise<T | undefined> | undefined {
    if (this.options.limit === 0) return undefined;
    if (this.cursor === undefined) {
      this.generation = this.lifecycle.generation;
      this.cursor = this.openCursor(this.options);
      this.lifecycle.trackCursor(this.cursor);
    } else if (this.generation !== this.lifecycle.generation) {
      // The engine was closed (closing this cursor) and opened again.
      throw new EngineClosedError(this.lifecycle.kind, this.operation);
    }
    return this.step(this.cursor);
  }

  private async release(): Promise<void> {
    this.done = true;
    const cursor = this.cursor;
    this.cursor = undefined;
    if (cursor !== undefined) await this.lifecycle.releaseCursor(cursor);
  }
}
