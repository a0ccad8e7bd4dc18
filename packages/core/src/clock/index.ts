// Clocks of core: timestamps (wall ms, logical, node) and the hybrid logical clock that issues them.
export * from './timestamp.js';
export * from './hlc.js';
