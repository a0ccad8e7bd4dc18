// The open/close state machine every engine shares. It refuses operations unless the engine is
// open (EngineClosedError), counts operations in flight so close() can let them finish before
// the native handle goes away (the rocksdb binding segfaults on a closed handle), and closes the
// cursors still open (a caller that never finished iterating) before the database itself.
import type { EngineKind } from './engine.js';
import { EngineClosedError } from './errors.js';

export type LifecycleState = 'new' | 'opening' | 'open' | 'closing' | 'closed';

/** An open native iterator, as the lifecycle tracks it. */
export interface OpenCursor {
  /** Releases the native iterator; safe to call twice. */
  close(): Promise<void>;
}

/** One open native iterator, an entry at a time. */
export interface Cursor extends OpenCursor {
  /** The next entry, or undefined at the end. */
  next(): Promise<[Uint8Array, Uint8Array] | undefined>;
}

/** One open native iterator, a batch at a time (its size set when it was made). */
export interface BatchCursor extends OpenCursor {
  /** The next entries, at most the batch's count and (by one entry) bytes; empty at the end. */
  nextBatch(): Promise<[Uint8Array, Uint8Array][]>;
}

export class Lifecycle {
  readonly kind: EngineKind;
  private stateNow: LifecycleState = 'new';
  private generationNow = 0;
  private transition: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];
  private readonly cursors = new Set<OpenCursor>();
  private readonly cursorsClosing = new Set<Promise<void>>();

  constructor(kind: EngineKind) {
    this.kind = kind;
  }

  get state(): LifecycleState {
    return this.stateNow;
  }

  /** Counts successful opens, so a cursor from before a close is refused after a reopen. */
  get generation(): number {
    return this.generationNow;
  }

  get isOpen(): boolean {
    return this.stateNow === 'open';
  }

  /** Opens once; concurrent and repeated calls share the result. */
  open(doOpen: () => Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      if (this.stateNow === 'open') return;
      this.stateNow = 'opening';
      try {
        await doOpen();
        this.stateNow = 'open';
        this.generationNow++;
      } catch (err) {
        this.stateNow = 'closed';
        throw err;
      }
    });
  }

  /** Stops new operations, lets those in flight finish, closes cursors, then the database. */
  close(doClose: () => Promise<void>): Promise<void> {
    // Refuse new operations from this moment, not from when the queued step runs.
    if (this.stateNow === 'open') this.stateNow = 'closing';
    const run = async (): Promise<void> => {
      if (this.stateNow !== 'open' && this.stateNow !== 'closing') return;
      this.stateNow = 'closing';
      await this.drained();
      const open = [...this.cursors];
      this.cursors.clear();
      await Promise.allSettled([...this.cursorsClosing, ...open.map((c) => c.close())]);
      try {
        await doClose();
      } finally {
        this.stateNow = 'closed';
      }
    };
    return this.enqueue(run);
  }

  /** Throws EngineClosedError unless open. */
  assertOpen(operation: string): void {
    if (this.stateNow !== 'open') throw new EngineClosedError(this.kind, operation);
  }

  /** Runs one operation, counted as in flight so close() waits for it. */
  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.enter(operation);
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  /**
   * Starts one operation (throws EngineClosedError unless open); the caller must leave() once it
   * has settled, in a finally. run() without its closure, for the engines' hot paths.
   */
  enter(operation: string): void {
    if (this.stateNow !== 'open') throw new EngineClosedError(this.kind, operation);
    this.inFlight++;
  }

  /** Ends an operation enter() started. */
  leave(): void {
    this.inFlight--;
    if (this.inFlight === 0) this.wakeDrainWaiters();
  }

  trackCursor(cursor: OpenCursor): void {
    this.cursors.add(cursor);
  }

  /** Closes a cursor its owner is done with, unless close() has already taken it over; close()
   * waits for these before it closes the database. */
  async releaseCursor(cursor: OpenCursor): Promise<void> {
    if (!this.cursors.delete(cursor)) return;
    const closing = cursor.close();
    this.cursorsClosing.add(closing);
    try {
      await closing;
    } finally {
      this.cursorsClosing.delete(closing);
    }
  }

  /** Serialises open and close; a failed step does not block the next one. */
  private enqueue(step: () => Promise<void>): Promise<void> {
    const result = this.transition.then(step, step);
    this.transition = result.catch(() => undefined);
    return result;
  }

  private drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
