// Endpoint rotation, cool-downs and discovered endpoints.
import { describe, expect, test } from '@jest/globals';
import { EndpointPool } from '../src/endpoint-pool.js';

function pool(urls: string[]) {
  const clock = { t: 0 };
  return { clock, p: new EndpointPool(urls, () => clock.t) };
}

describe('EndpointPool', () => {
  test('calls start at successive endpoints and then walk the rotation', () => {
    const { p } = pool(['a', 'b', 'c']);
    const firsts = [0, 1, 2, 3].map(() => p.pick(new Set(), p.nextOffset()));
    expect(firsts).toEqual(['a', 'b', 'c', 'a']);
    expect(p.pick(new Set(['b']), 1)).toBe('c');
    expect(p.pick(new Set(['b', 'c']), 1)).toBe('a');
  });

  test('a node cooling down is skipped until its time is up', () => {
    const { p, clock } = pool(['a', 'b']);
    p.markDown('a', () => 1000);
    expect(p.pick(new Set(), 0)).toBe('b');
    expect(p.healthy()).toEqual(['b']);
    clock.t = 1000;
    expect(p.pick(new Set(), 0)).toBe('a');
  });

  test('when all are cooling down, the one due first is tried', () => {
    const { p } = pool(['a', 'b', 'c']);
    p.markDown('a', () => 3000);
    p.markDown('b', () => 1000);
    p.markDown('c', () => 2000);
    expect(p.pick(new Set(), 0)).toBe('b');
    expect(p.pick(new Set(['b']), 0)).toBe('c');
  });

  test('failures in a row grow the cool-down; a success resets it', () => {
    const { p } = pool(['a']);
    const seen: number[] = [];
    p.markDown('a', (n) => { seen.push(n); return 10; });
    p.markDown('a', (n) => { seen.push(n); return 10; });
    p.markUp('a');
    p.markDown('a', (n) => { seen.push(n); return 10; });
    expect(seen).toEqual([1, 2, 1]);
  });

  test('discovered endpoints are replaced on refresh; configured ones stay', () => {
    const { p } = pool(['seed']);
    p.setDiscovered(['seed', 'x', 'y']);
    expect(p.list()).toEqual(['seed', 'x', 'y']);
    p.setDiscovered(['z'], ['x']);
    expect(p.list()).toEqual(['seed', 'x', 'z']);
    expect(p.healthy()).toEqual(['seed', 'z']);
    p.setDiscovered([]);
    expect(p.list()).toEqual(['seed']);
  });
});
