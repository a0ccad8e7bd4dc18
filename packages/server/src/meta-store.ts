// The node's own metadata (the meta key space: the HLC ceiling, stream progress, ...), one
// named value each, read and written whole. Components that keep such state get this, not the
// engine: they cannot touch data keys (the replica store's), hints or the Raft log.
import { namedKey, type Engine } from '@ringkv/storage';

export class MetaStore {
  constructor(private readonly engine: Pick<Engine, 'get' | 'put'>) {}

  get(name: string): Promise<Uint8Array | undefined> {
    return this.engine.get(namedKey('meta', name));
  }

  /** Synced by default: metadata is written rarely and must survive a crash. */
  put(name: string, value: Uint8Array, options: { sync: boolean } = { sync: true }): Promise<void> {
    return this.engine.put(namedKey('meta', name), value, options);
  }
}
