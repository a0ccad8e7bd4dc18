export * from './engine.js';
export * from './keys.js';
export * from './errors.js';
export { compareBytes, bytesEqual } from './bytes.js';
export { GroupCommitter, GROUP_COMMIT_MAX_OPS, type BatchWriter, type GroupCommitStats } from './group-commit.js';
export { LevelEngine } from './level-engine.js';
export { RocksdbEngine } from './rocksdb-engine.js';
export { MemoryEngine, type MemoryEngineStats } from './memory-engine.js';
export { createEngine, openEngine } from './open-engine.js';
