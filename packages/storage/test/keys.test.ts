// Table tests for the key layout in keys.ts.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  KEYSPACES,
  dataKey,
  hintKey,
  keyspaceRange,
  namedKey,
  parseDataKey,
  parseHintKey,
  parseLegacyHintKey,
  parseRaftLogKey,
  partitionPrefix,
  partitionRange,
  raftLogKey,
} from '../src/keys.js';
import { compareBytes, inRange } from '../src/bytes.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const arr = (u: Uint8Array | undefined): number[] => Array.from(u ?? []);

describe('dataKey', () => {
  test.each([
    [0, 'a'],
    [1, ''],
    [255, 'user/42'],
    [256, '\u0000\u00ff'],
    [0xffff, 'last'],
  ])('partition %i key %j round-trips', (partition, key) => {
    const k = dataKey(partition, text(key));
    expect(k[0]).toBe(KEYSPACES.data);
    expect(parseDataKey(k)).toEqual({ partition, userKey: text(key) });
  });

  test.each([-1, 0x10000, 1.5, NaN])('partition %p is refused', (p) => {
    expect(() => dataKey(p, text('a'))).toThrow(RangeError);
  });

  test.each([[Uint8Array.of(1, 0)], [Uint8Array.of(2, 0, 0, 1)]])('%p is not a data key', (k) => {
    expect(() => parseDataKey(k)).toThrow(RangeError);
  });
});

/** A hint key of the layout before the length prefix: the target id ended by a NUL. */
function legacyHintKey(partition: number, node: string, key: Uint8Array): Uint8Array {
  return Uint8Array.of(KEYSPACES.legacyHints, partition >>> 8, partition & 0xff, ...text(node), 0, ...key);
}

const VALID_ID = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);

describe('hintKey', () => {
  test.each([
    [0, 'node-1', 'k'],
    [7, 'n', ''],
    [0xffff, 'zone-a.node_9', 'key\u0000with nul'],
    [3, 'n'.repeat(63), '\u0000'],
  ])('partition %i node %j key %j round-trips', (partition, node, key) => {
    const parsed = parseHintKey(hintKey(partition, node, text(key)));
    expect(parsed).toEqual({ partition, targetNode: node, userKey: text(key) });
  });

  test('the target id is length-prefixed, after the partition', () => {
    expect(arr(hintKey(0x0102, 'ab', text('k')))).toEqual([KEYSPACES.hints, 1, 2, 2, 0x61, 0x62, 0x6b]);
  });

  test('any valid id and any key round-trip, and distinct (id, key) pairs give distinct keys', () => {
    fc.assert(
      fc.property(VALID_ID, fc.uint8Array({ maxLength: 8 }), VALID_ID, fc.uint8Array({ maxLength: 8 }), (a, ka, b, kb) => {
        expect(parseHintKey(hintKey(1, a, ka))).toEqual({ partition: 1, targetNode: a, userKey: ka });
        const same = a === b && Buffer.from(ka).equals(Buffer.from(kb));
        expect(Buffer.from(hintKey(1, a, ka)).equals(Buffer.from(hintKey(1, b, kb)))).toBe(same);
      }),
      { numRuns: 200 },
    );
  });

  test.each(['', 'a\u0000b', 'n'.repeat(64), 'n\u00e9', '-lead', 'a:1', 'zone/node', ' n'])('target %j is not a node id and is refused', (id) => {
    expect(() => hintKey(0, id, text('k'))).toThrow(RangeError);
  });

  test('hints for one partition stay inside that partition range', () => {
    const range = partitionRange('hints', 9);
    expect(inRange(hintKey(9, 'a', text('x')), range)).toBe(true);
    expect(inRange(hintKey(10, 'a', text('x')), range)).toBe(false);
    expect(inRange(dataKey(9, text('x')), range)).toBe(false);
  });

  test.each([
    ['a legacy hint key', legacyHintKey(0, 'n1', text('k'))],
    ['a data key', Uint8Array.of(1, 0, 1, 1, 0x61)],
    ['a key shorter than its id length', Uint8Array.of(KEYSPACES.hints, 0, 1, 5, 0x61, 0x62)],
    ['an empty id', Uint8Array.of(KEYSPACES.hints, 0, 1, 0, 0x61)],
    ['an id with a NUL', Uint8Array.of(KEYSPACES.hints, 0, 1, 3, 0x61, 0, 0x62, 0x6b)],
    ['an id with a byte above ASCII', Uint8Array.of(KEYSPACES.hints, 0, 1, 2, 0x61, 0xe9, 0x6b)],
    ['a prefix alone', Uint8Array.of(KEYSPACES.hints, 0, 1, 1)],
  ])('%s is not a hint key', (_what, k) => {
    expect(() => parseHintKey(k)).toThrow(RangeError);
  });
});

describe('parseLegacyHintKey', () => {
  test.each([
    [0, 'node-1', 'k'],
    [0xffff, 'n', 'key\u0000with nul'],
  ])('partition %i node %j key %j parses', (partition, node, key) => {
    expect(parseLegacyHintKey(legacyHintKey(partition, node, text(key)))).toEqual({ partition, targetNode: node, userKey: text(key) });
  });

  test.each([
    ['a current hint key', hintKey(0, 'n1', text('k'))],
    ['no terminator', Uint8Array.of(KEYSPACES.legacyHints, 0, 1, 0x61)],
    ['an empty id', Uint8Array.of(KEYSPACES.legacyHints, 0, 1, 0, 0x61)],
    ['an id that is not a node id', legacyHintKey(0, 'zone/node', text('k'))],
  ])('%s is refused', (_what, k) => {
    expect(() => parseLegacyHintKey(k)).toThrow(RangeError);
  });
});

describe('raftLogKey', () => {
  test.each([0, 1, 255, 256, 65536, 2 ** 32, Number.MAX_SAFE_INTEGER])('index %i round-trips', (i) => {
    expect(parseRaftLogKey(raftLogKey(i))).toBe(i);
  });

  test('keys sort by index', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (a, b) => {
        expect(Math.sign(compareBytes(raftLogKey(a), raftLogKey(b)))).toBe(Math.sign(a - b));
      }),
      { numRuns: 200 },
    );
  });

  test.each([-1, 1.5, 2 ** 53])('index %p is refused', (i) => {
    expect(() => raftLogKey(i)).toThrow(RangeError);
  });
});

describe('partitionRange', () => {
  test.each([
    ['data', 0, [1, 0, 0], [1, 0, 1]],
    ['data', 255, [1, 0, 255], [1, 1, 0]],
    ['data', 0xffff, [1, 255, 255], [2, 0, 0]],
    ['hints', 0, [6, 0, 0], [6, 0, 1]],
    ['hints', 0xffff, [6, 255, 255], [7, 0, 0]],
  ] as const)('%s partition %i is [%j, %j)', (space, p, gte, lt) => {
    const range = partitionRange(space, p);
    expect(arr(range.gte)).toEqual(gte);
    expect(arr(range.lt)).toEqual(lt);
    expect(arr(partitionPrefix(space, p))).toEqual(gte);
  });

  test('partition 0xffff of data holds its keys but no hint key', () => {
    const range = partitionRange('data', 0xffff);
    expect(inRange(dataKey(0xffff, Uint8Array.of(0xff, 0xff)), range)).toBe(true);
    expect(inRange(dataKey(0xfffe, Uint8Array.of(0xff)), range)).toBe(false);
    expect(inRange(hintKey(0, 'n', text('a')), range)).toBe(false);
  });

  test('every data key lies in its own partition range and no other', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }), fc.uint8Array({ maxLength: 8 }), (p, q, key) => {
        expect(inRange(dataKey(p, key), partitionRange('data', q))).toBe(p === q);
      }),
      { numRuns: 200 },
    );
  });
});

describe('named keys and key spaces', () => {
  test.each([
    ['raftstate', 'hard-state'],
    ['meta', 'node-id'],
  ] as const)('%s %j lies in its key space only', (space, name) => {
    const key = namedKey(space, name);
    expect(key[0]).toBe(KEYSPACES[space]);
    expect(inRange(key, keyspaceRange(space))).toBe(true);
    expect(inRange(key, keyspaceRange('data'))).toBe(false);
  });

  test('key spaces do not overlap and come in order', () => {
    const spaces = ['data', 'legacyHints', 'raftlog', 'raftstate', 'meta', 'hints'] as const;
    for (let i = 1; i < spaces.length; i++) {
      expect(compareBytes(keyspaceRange(spaces[i - 1]).lt!, keyspaceRange(spaces[i]).gte!)).toBeLessThanOrEqual(0);
    }
    expect(inRange(raftLogKey(2 ** 40), keyspaceRange('raftlog'))).toBe(true);
    expect(inRange(hintKey(0xffff, 'n', Uint8Array.of(0xff)), keyspaceRange('hints'))).toBe(true);
    expect(inRange(legacyHintKey(0, 'n', text('k')), keyspaceRange('hints'))).toBe(false);
  });
});
