// Cluster health computed from the ring and liveness: replica health of the partitions.
export * from './replica-health.js';
