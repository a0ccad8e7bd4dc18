// Which failures may be retried for reads and writes, and the backoff's bounds.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  AbortedError, ClientTimeoutError, ConnectionError, InvalidArgumentError, serverErrorFor,
} from '../src/errors.js';
import { backoffDelayMs, certainlyNotApplied, coolDownMs, shouldRetry } from '../src/retry-policy.js';

const server = (status: number, code: string, details: Record<string, unknown> = {}) =>
  serverErrorFor(code, code, { status, endpoint: 'http://n1', details });

// [name, error, read?, write?, idempotent write?]
const table: [string, unknown, boolean, boolean, boolean][] = [
  ['refused connection', new ConnectionError('x', 'e', undefined, false), true, true, true],
  ['reset connection', new ConnectionError('x', 'e', undefined, true), true, false, true],
  ['client timeout', new ClientTimeoutError(10, 'e'), true, false, true],
  ['503 OVERLOADED', server(503, 'OVERLOADED'), true, true, true],
  ['503 NOT_READY', server(503, 'NOT_READY'), true, true, true],
  ['503 SHUTTING_DOWN', server(503, 'SHUTTING_DOWN'), true, true, true],
  ['503 QUORUM_UNAVAILABLE refused up front', server(503, 'QUORUM_UNAVAILABLE', { required: 2, acked: 0, alive: 1 }), true, true, true],
  ['503 QUORUM_UNAVAILABLE after trying', server(503, 'QUORUM_UNAVAILABLE', { required: 2, acked: 0 }), true, false, true],
  ['504 TIMEOUT', server(504, 'TIMEOUT', { required: 2, acked: 1 }), true, false, true],
  ['500 INTERNAL', server(500, 'INTERNAL'), true, false, true],
  ['400 INVALID_KEY', server(400, 'INVALID_KEY'), false, false, false],
  ['413 VALUE_TOO_LARGE', server(413, 'VALUE_TOO_LARGE'), false, false, false],
  ['aborted', new AbortedError('e'), false, false, false],
  ['invalid argument', new InvalidArgumentError('x'), false, false, false],
  ['a foreign error', new Error('boom'), false, false, false],
];

describe('shouldRetry', () => {
  test.each(table)('%s: read %s, write %s, idempotent write %s', (_n, err, read, write, idempotentWrite) => {
    expect([shouldRetry('read', err, false), shouldRetry('write', err, false), shouldRetry('write', err, true)])
      .toEqual([read, write, idempotentWrite]);
  });

  test('a write is retried without idempotence exactly when it certainly did nothing', () => {
    for (const [, err] of table) expect(shouldRetry('write', err, false)).toBe(certainlyNotApplied(err));
  });
});

describe('backoffDelayMs', () => {
  test.each([
    [0, 0.5, 50], [1, 0.5, 100], [2, 0.5, 200], [5, 0.999, 999], [40, 0.5, 500],
  ])('retry %i with random %f waits %i ms (base 100, max 1000)', (retry, r, ms) => {
    expect(backoffDelayMs(retry, 100, 1000, () => r)).toBe(ms);
  });

  test('stays within [0, min(max, base * 2^retry))', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 100_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (retry, base, max, r) => {
        const d = backoffDelayMs(retry, base, max, () => r);
        const ceiling = Math.min(max, base * 2 ** retry);
        return Number.isInteger(d) && d >= 0 && (ceiling === 0 ? d === 0 : d < ceiling);
      },
    ), { numRuns: 300 });
  });
});

describe('coolDownMs', () => {
  test('follows Retry-After when the node sent one', () => {
    expect(coolDownMs(server(503, 'OVERLOADED', { retryAfterS: 2 }), 1)).toBe(2000);
  });
  test.each([[1, 500], [2, 1000], [3, 2000], [7, 30_000], [50, 30_000]])('after %i failures in a row: %i ms', (n, ms) => {
    expect(coolDownMs(new ConnectionError('x', 'e'), n)).toBe(ms);
  });
});
