export * from './engine.js';
export * from './keys.js';
