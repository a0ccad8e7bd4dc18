// Runs the shared conformance suite against every engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LevelEngine } from '../src/level-engine.js';
import { MemoryEngine } from '../src/memory-engine.js';
import { RocksdbEngine } from '../src/rocksdb-engine.js';
import { runEngineConformance, type EngineFactory } from './engine-conformance.js';

function onDisk(make: (dir: string) => LevelEngine | RocksdbEngine): EngineFactory {
  const dirs: string[] = [];
  return {
    create() {
      const dir = mkdtempSync(path.join(tmpdir(), 'ringkv-storage-'));
      dirs.push(dir);
      // A subdirectory, so open() has to create the data directory itself.
      return make(path.join(dir, 'data'));
    },
    reopen: (engine) => make((engine as LevelEngine | RocksdbEngine).location),
    async cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

runEngineConformance('memory', { create: () => new MemoryEngine(), reopen: (engine) => engine });
runEngineConformance('level', onDisk((dir) => new LevelEngine(dir)));
runEngineConformance('rocksdb', onDisk((dir) => new RocksdbEngine(dir)));
