// The simulator's generator is core's seeded Prng: one seed, forked per node and component.
export { Prng } from '@ringkv/core';
