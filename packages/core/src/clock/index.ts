export * from './timestamp.js';
