// The storage package: the Engine interface, its level, rocksdb and memory engines, key layout and errors.
export * from './engine.js';
export * from './keys.js';
export * from './errors.js';
export { STORAGE_ERROR_CODES } from './error-codes.js';
export { compareBytes, bytesEqual } from './bytes.js';
export { allocBytes } from './byte-slab.js';
export { GroupCommitter, GROUP_COMMIT_MAX_OPS, type BatchWriter, type GroupCommitStats } from './group-commit.js';
export { EngineBase, type EngineBaseOptions } from './engine-base.js';
export type { BatchCursorOptions, CursorOptions } from './cursor-iterable.js';
export type { BatchCursor, Cursor, OpenCursor } from './lifecycle.js';
export { LevelEngine } from './level-engine.js';
export type { BatchPath } from './level-native-batch.js';
export { RocksdbEngine } from './rocksdb-engine.js';
export { MemoryEngine, type MemoryEngineStats } from './memory-engine.js';
export { createEngine, openEngine } from './open-engine.js';
