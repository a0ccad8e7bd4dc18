// core's seeded PRNG. @ringkv/core's index does not re-export util/ (yet), so it comes by path.
export { Prng } from '../../packages/core/src/util/index.js';
