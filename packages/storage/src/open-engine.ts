// The one place that turns an engine kind and a data directory into an Engine.
import type { Engine, EngineKind } from './engine.js';
import { LevelEngine } from './level-engine.js';
import { MemoryEngine } from './memory-engine.js';
import { RocksdbEngine } from './rocksdb-engine.js';

/** A closed engine of this kind; level and rocksdb need a directory (created at open()). */
export function createEngine(kind: EngineKind, dir: string | undefined): Engine {
  switch (kind) {
    case 'memory':
      return new MemoryEngine();
    case 'level':
      return new LevelEngine(requireDir(kind, dir));
    case 'rocksdb':
      return new RocksdbEngine(requireDir(kind, dir));
    default:
      throw new TypeError(`unknown engine kind ${String(kind)}; expected level, rocksdb or memory`);
  }
}

/** An opened engine of this kind; memory ignores dir. */
export async function openEngine(kind: EngineKind, dir: string | undefined): Promise<Engine> {
  const engine = createEngine(kind, dir);
  await engine.open();
  return engine;
}

function requireDir(kind: EngineKind, dir: string | undefined): string {
  if (dir === undefined || dir === '') throw new TypeError(`the ${kind} engine needs a data directory`);
  return dir;
}
