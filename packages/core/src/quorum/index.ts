// Coordinator decisions: consistency levels, when R or W is met, the read winner, read repair.
export * from './consistency.js';
export * from './write-quorum.js';
export * from './read-quorum.js';
export * from './read-repair.js';
