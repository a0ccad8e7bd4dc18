// Cluster health computed from the ring and liveness: replica health of the partitions, the
// console's verdicts, and what a membership change would move.
export * from './replica-health.js';
export * from './cluster-verdict.js';
export * from './ring-moves.js';
