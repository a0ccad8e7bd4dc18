import { describe, expect, test } from '@jest/globals';
import { isRingkvError } from '@ringkv/core';
import { parseFlag, parseKey, parseQuery, parseTtlSeconds } from '@ringkv/server';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isRingkvError(err) ? err.code : 'not-a-ringkv-error';
  }
  return undefined;
}

describe('key parsing', () => {
  test.each([
    ['simple', 'simple', 6],
    ['a%2Fb', 'a/b', 3],
    ['a/b/c', 'a/b/c', 5],
    ['100%25', '100%', 4],
    ['%E2%82%AC', '€', 3],
    ['%F0%9F%94%91', '🔑', 4],
    ['x'.repeat(1024), 'x'.repeat(1024), 1024],
  ])('%s decodes to %s (%i bytes)', (encoded, text, bytes) => {
    const key = parseKey(encoded, 1024);
    expect(key.text).toBe(text);
    expect(key.bytes.length).toBe(bytes);
  });

  test.each([
    ['', 'INVALID_KEY'],
    ['x'.repeat(1025), 'INVALID_KEY'],
    ['%E2%82', 'INVALID_KEY'],
    ['%zz', 'INVALID_KEY'],
    ['%FF', 'INVALID_KEY'],
    ['%E2%82%AC'.repeat(342), 'INVALID_KEY'],
  ])('rejects %s', (encoded, code) => {
    expect(codeOf(() => parseKey(encoded, 1024))).toBe(code);
  });
});

describe('query parsing', () => {
  test('accepts known parameters', () => {
    expect([...parseQuery('w=2&ttl=10', ['w', 'ttl'])]).toEqual([['w', '2'], ['ttl', '10']]);
  });
  test.each([
    ['x=1', 'INVALID_PARAMETER'],
    ['w=1&w=2', 'INVALID_PARAMETER'],
  ])('rejects %s', (search, code) => {
    expect(codeOf(() => parseQuery(search, ['w']))).toBe(code);
  });
  test.each([
    ['local=1', true], ['local=true', true], ['local', true], ['local=0', false], ['', false],
  ])('flag %s is %s', (search, value) => {
    expect(parseFlag(parseQuery(search, ['local']), 'local')).toBe(value);
  });
  test('a flag with another value is rejected', () => {
    expect(codeOf(() => parseFlag(parseQuery('local=yes', ['local']), 'local'))).toBe('INVALID_PARAMETER');
  });
  test.each([['1', 1], ['3600', 3600]])('ttl %s', (v, s) => {
    expect(parseTtlSeconds(parseQuery(`ttl=${v}`, ['ttl']), 1e9)).toBe(s);
  });
  test.each(['0', '-1', '1.5', 'abc', '', '99999999999'])('ttl %s is rejected', (v) => {
    expect(codeOf(() => parseTtlSeconds(parseQuery(`ttl=${v}`, ['ttl']), 1e9))).toBe('INVALID_PARAMETER');
  });
});
