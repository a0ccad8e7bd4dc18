import { describe, expect, test } from '@jest/globals';
import { InvalidConsistencyError, effectiveQuorum, isRingkvError, quorumSize, resolveConsistency } from '@ringkv/core';

describe('resolveConsistency', () => {
  test.each([
    [1, 3, 1],
    [3, 3, 3],
    ['1', 3, 1],
    ['2', 3, 2],
    ['03', 3, 3],
    ['one', 3, 1],
    ['quorum', 1, 1],
    ['quorum', 2, 2],
    ['quorum', 3, 2],
    ['quorum', 4, 3],
    ['quorum', 5, 3],
    ['all', 1, 1],
    ['all', 5, 5],
    [undefined, 3, 2], // the fallback
  ])('%j with n=%i is %i', (input, n, want) => {
    expect(resolveConsistency(input, n, 2 > n ? n : 2, 'r')).toBe(want);
  });

  test.each([
    [0],
    [4],
    [-1],
    [2.5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['0'],
    ['4'],
    ['2.5'],
    [' 2'],
    ['2 '],
    ['+2'],
    ['-1'],
    ['2e0'],
    ['0x2'],
    ['abc'],
    [''],
    ['ONE'],
    ['Quorum'],
    ['all '],
    ['99999999999999999999'],
  ])('rejects %j with n=3', (input) => {
    let err: unknown;
    try {
      resolveConsistency(input, 3, 2, 'w');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidConsistencyError);
    expect(isRingkvError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'INVALID_PARAMETER', retryable: false, details: { param: 'w', value: input, n: 3 } });
  });

  test('a fallback outside 1..n is rejected like a request', () => {
    expect(() => resolveConsistency(undefined, 3, 4, 'r')).toThrow(InvalidConsistencyError);
    expect(() => resolveConsistency(undefined, 3, 0, 'r')).toThrow(InvalidConsistencyError);
  });

  test('n itself must be a positive integer (a programmer mistake)', () => {
    expect(() => resolveConsistency('one', 0, 1, 'r')).toThrow(RangeError);
    expect(() => resolveConsistency('one', 1.5, 1, 'r')).toThrow(RangeError);
  });

  test.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [6, 4],
    [7, 4],
  ])('quorumSize(%i) = %i', (n, want) => {
    expect(quorumSize(n)).toBe(want);
  });

  test.each([
    // requested, replicas of the key, what counts
    [2, 3, 2],
    [3, 3, 3],
    [2, 1, 1],
    [3, 2, 2],
    [1, 2, 1],
    [2, 0, 1],
  ])('effectiveQuorum(%i, %i replicas) = %i', (requested, replicas, want) => {
    expect(effectiveQuorum(requested, replicas)).toBe(want);
  });
});
