// What a node has streamed so far in the current move, kept in the meta key space so a crash of
// either side resumes where it stopped instead of starting over.
import { namedKey, type Engine } from '@ringkv/storage';

const KEY = namedKey('meta', 'stream-progress');

export interface StreamProgressState {
  /** Partitions fully moved, per purpose ("receive" or "send:<node>"). */
  done: Record<string, number[]>;
  /** Last key moved (hex) of partitions in progress, per purpose and partition. */
  cursors: Record<string, Record<string, string>>;
  /** Highest epoch whose gained partitions this node has already pulled (or had none). */
  caughtUpEpoch?: number;
  /** This node saw itself removed: handing its hints over, or done (it has left). Survives a restart. */
  removed?: 'handing-over-hints' | 'left';
}

export class StreamProgress {
  private state: StreamProgressState = { done: {}, cursors: {} };

  constructor(private readonly engine: Engine) {}

  async load(): Promise<void> {
    const bytes = await this.engine.get(KEY);
    if (bytes) this.state = JSON.parse(Buffer.from(bytes).toString('utf8')) as StreamProgressState;
  }

  isDone(purpose: string, partition: number): boolean {
    return this.state.done[purpose]?.includes(partition) ?? false;
  }

  cursor(purpose: string, partition: number): Uint8Array | undefined {
    const hex = this.state.cursors[purpose]?.[String(partition)];
    return hex === undefined ? undefined : Buffer.from(hex, 'hex');
  }

  async advance(purpose: string, partition: number, lastKey: Uint8Array): Promise<void> {
    (this.state.cursors[purpose] ??= {})[String(partition)] = Buffer.from(lastKey).toString('hex');
    await this.save();
  }

  async finish(purpose: string, partition: number): Promise<void> {
    (this.state.done[purpose] ??= []).push(partition);
    delete this.state.cursors[purpose]?.[String(partition)];
    await this.save();
  }

  get caughtUpEpoch(): number {
    return this.state.caughtUpEpoch ?? 0;
  }

  async markCaughtUp(epoch: number): Promise<void> {
    if (epoch <= this.caughtUpEpoch) return;
    this.state.caughtUpEpoch = epoch;
    await this.save();
  }

  get removed(): StreamProgressState['removed'] {
    return this.state.removed;
  }

  async markRemoved(phase: StreamProgressState['removed']): Promise<void> {
    if (this.state.removed === phase) return;
    if (phase === undefined) delete this.state.removed;
    else this.state.removed = phase;
    await this.save();
  }

  async clear(purpose?: string): Promise<void> {
    const before = JSON.stringify(this.state);
    if (purpose === undefined) this.state = { done: {}, cursors: {}, caughtUpEpoch: this.state.caughtUpEpoch, removed: this.state.removed };
    else {
      delete this.state.done[purpose];
      delete this.state.cursors[purpose];
    }
    // A synced write costs a flush: only when something changed.
    if (JSON.stringify(this.state) !== before) await this.save();
  }

  private async save(): Promise<void> {
    await this.engine.put(KEY, Buffer.from(JSON.stringify(this.state)), { sync: true });
  }
}
