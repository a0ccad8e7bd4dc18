// The console's pure modules, run in Node (no browser): number formats, chart paths and axes, the
// stream row keys of the Transfers page, the Traffic page's rates and error codes, and the
// requests each membership action sends (plan body, then the CLI's endpoint for the commit).
import { describe, expect, test } from '@jest/globals';
// @ts-expect-error plain ES modules of the console (no types)
import * as format from '../../ui/format.js';
// @ts-expect-error plain ES modules of the console (no types)
import { niceMax, pathData } from '../../ui/chart.js';
// @ts-expect-error plain ES modules of the console (no types)
import { streamKeys } from '../../ui/pages/transfers.js';
// @ts-expect-error plain ES modules of the console (no types)
import { errorCodes, opsPerSecond } from '../../ui/pages/traffic.js';
// @ts-expect-error plain ES modules of the console (no types)
import { changeRequests } from '../../ui/pages/membership.js';

describe('format', () => {
  test.each([
    [0, '0 B'], [1023, '1023 B'], [1024, '1.00 KiB'], [1536, '1.50 KiB'], [10 * 1024 * 1024, '10.0 MiB'], [5 * 1024 ** 4, '5.00 TiB'],
    [null, '–'], [Number.NaN, '–'],
  ])('bytes(%p) is %p', (v, text) => expect(format.bytes(v)).toBe(text));

  test.each([
    [0, '0 ms'], [850, '850 ms'], [1500, '1.5 s'], [42_000, '42 s'], [250_000, '4 min 10 s'], [3 * 3_600_000 + 300_000, '3 h 5 min'],
    [52 * 3_600_000, '2 d 4 h'], [null, '–'], [-1500, '-1.5 s'],
  ])('duration(%p) is %p', (v, text) => expect(format.duration(v)).toBe(text));

  test('shares, latencies and ages', () => {
    expect(format.pct(0.6)).toBe('60.0%');
    expect(format.pct(null)).toBe('–');
    expect(format.ms(1.234)).toBe('1.23 ms');
    expect(format.ms(123.4)).toBe('123 ms');
    expect(format.ago(null, 5)).toBe('never');
    expect(format.ago(1000, 61_000)).toBe('1 min 0 s ago');
    expect(format.rate(2048)).toBe('2.00 KiB/s');
    expect(format.num(1234567)).toBe('1,234,567');
  });
});

describe('chart', () => {
  test.each([[0, 1], [0.3, 0.5], [1, 1], [7, 10], [12, 20], [4999, 5000], [-3, 1], [Number.NaN, 1]])('niceMax(%p) is %p', (v, m) => expect(niceMax(v)).toBe(m));

  test('a path scales into the box and a null breaks the line', () => {
    const box = { x: 0, y: 0, w: 100, h: 10 };
    expect(pathData([[0, 0], [50, 5], [100, 10]], 0, 100, 10, box)).toBe('M0.0 10.0L50.0 5.0L100.0 0.0');
    expect(pathData([[0, 1], [25, null], [50, 1], [100, 1]], 0, 100, 10, box)).toBe('M0.0 9.0M50.0 9.0L100.0 9.0');
    // Above the axis is drawn at its top, not outside the box.
    expect(pathData([[0, 50]], 0, 100, 10, box)).toBe('M0.0 0.0');
    expect(pathData([], 0, 100, 10, box)).toBe('');
  });
});

describe('page helpers', () => {
  test('a stream row is keyed by its partition, and by partition and destination when the partition has several', () => {
    expect(streamKeys([{ partition: 3, destination: 'n5' }, { partition: 9, destination: 'n5' }, { partition: 9, destination: 'n3' }])).toEqual(['3', '9-n5', '9-n3']);
  });

  test('ops of a sample count one interval; error codes most frequent first', () => {
    expect(opsPerSecond({ get: { ops: 500 } }, 'get', 10_000)).toBe(50);
    expect(opsPerSecond({}, 'get', 10_000)).toBeNull();
    expect(errorCodes([{ errors: { B: 1, A: 1 } }, { errors: { C: 5 } }, { errors: {} }])).toEqual(['C', 'A', 'B']);
  });

  test('each membership action: the plan body, then the endpoint the CLI uses', () => {
    expect(changeRequests({ op: 'leave', id: 'n1' }, 'n1')).toEqual({ plan: { op: 'leave', id: 'n1' }, commit: { path: '/cluster/leave', body: {} } });
    expect(changeRequests({ op: 'leave', id: 'n3' }, 'n1')).toEqual({ plan: { op: 'leave', id: 'n3' }, commit: { path: '/cluster/changes', body: { op: 'leave', id: 'n3' } } });
    expect(changeRequests({ op: 'remove', id: 'n3', force: true }, 'n1').commit).toEqual({ path: '/cluster/changes', body: { op: 'remove', id: 'n3', force: true } });
    expect(changeRequests({ op: 'remove', id: 'n3', force: false }, 'n1').commit.body).toEqual({ op: 'remove', id: 'n3' });
    expect(changeRequests({ op: 'add', id: 'n4', peer: 'h:2', http: 'h:1', zone: null, seeds: ['s:1'] }, 'n4')).toEqual({
      plan: { op: 'add', member: { id: 'n4', peer: 'h:2', http: 'h:1' }, seeds: ['s:1'] }, commit: { path: '/cluster/join', body: { seeds: ['s:1'] } },
    });
  });
});
