export * from './timestamp.js';
export * from './hlc.js';
