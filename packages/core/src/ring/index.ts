// The consistent-hash ring: key -> partition (xxHash64 mod Q), partition -> preference list per epoch,
// and the sloppy-quorum fallback targets. See docs/ring.md.
export * from './ring-errors.js';
export * from './key-hash.js';
export * from './ring-member.js';
export * from './assignment.js';
export * from './ring-steps.js';
export * from './assignment-packing.js';
export * from './assignment-stats.js';
export * from './ring.js';
export * from './sloppy-quorum.js';
