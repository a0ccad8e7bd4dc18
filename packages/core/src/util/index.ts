// Small pure utilities shared by core's areas.
export { Prng } from './prng.js';
