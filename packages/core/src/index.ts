// @ringkv/core: the deterministic heart of ringkv. Pure functions and state machines only:
// no I/O, no timers, no real clock, no ambient randomness (scripts/lint-core-purity.mjs checks).
export * from './errors.js';
export { CORE_ERROR_CODES } from './error-codes.js';
export * from './clock/index.js';
export * from './record/index.js';
export * from './ring/index.js';
export * from './quorum/index.js';
export * from './raft/index.js';
export * from './merkle/index.js';
export * from './liveness/index.js';
export * from './util/index.js';
export * from './membership/index.js';
export * from './health/index.js';
export * from './pacing/index.js';
