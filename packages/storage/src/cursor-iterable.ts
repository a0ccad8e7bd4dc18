// Turns a native cursor into the AsyncIterable the Engine interface promises. The cursor opens
// lazily on the first next(), each next() counts as an operation in flight (so close() waits for
// it), and return() (a `break` out of for-await) releases the native iterator at once. Errors of
// the native cursor leave through the engine's error mapping.
import type { Entry, KeyRange } from './engine.js';
import type { Cursor, Lifecycle } from './lifecycle.js';
import { EngineClosedError } from './errors.js';

/** Iterate options as a backend's `_iterator` gets them: checked, only the bounds that are set. */
export interface CursorOptions extends KeyRange {
  reverse: boolean;
  /** At most this many entries; -1 means all. */
  limit: number;
}

export function cursorIterable(
  lifecycle: Lifecycle,
  options: CursorOptions,
  openCursor: (options: CursorOptions) => Cursor,
  mapError: (err: unknown) => Error,
): AsyncIterable<Entry> {
  return {
    [Symbol.asyncIterator]: () => new CursorIterator(lifecycle, options, openCursor, mapError),
  };
}

class CursorIterator implements AsyncIterator<Entry> {
  private cursor: Cursor | undefined;
  private done = false;
  private generation = -1;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly options: CursorOptions,
    private readonly openCursor: (options: CursorOptions) => Cursor,
    private readonly mapError: (err: unknown) => Error,
  ) {}

  async next(): Promise<IteratorResult<Entry>> {
    if (this.done) return { done: true, value: undefined };
    let entry: Entry | undefined;
    try {
      entry = await this.lifecycle.run('iterate', async () => {
        if (this.options.limit === 0) return undefined;
        if (this.cursor === undefined) {
          this.generation = this.lifecycle.generation;
          this.cursor = this.openCursor(this.options);
          this.lifecycle.trackCursor(this.cursor);
        } else if (this.generation !== this.lifecycle.generation) {
          // The engine was closed (closing this cursor) and opened again.
          throw new EngineClosedError(this.lifecycle.kind, 'iterate');
        }
        return this.cursor.next();
      });
    } catch (err) {
      throw this.mapError(err);
    }
    if (entry === undefined) {
      await this.release();
      return { done: true, value: undefined };
    }
    return { done: false, value: entry };
  }

  async return(): Promise<IteratorResult<Entry>> {
    await this.release();
    return { done: true, value: undefined };
  }

  async throw(err: unknown): Promise<IteratorResult<Entry>> {
    await this.release();
    throw err;
  }

  private async release(): Promise<void> {
    this.done = true;
    const cursor = this.cursor;
    this.cursor = undefined;
    if (cursor !== undefined) await this.lifecycle.releaseCursor(cursor);
  }
}
