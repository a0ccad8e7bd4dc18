import { describe, expect, test } from '@jest/globals';
import { isRingkvError } from '@ringkv/core';
import { buildConfig, CONFIG_SCHEMA, defaultConfig, parseAddress, type ConfigInput } from '@ringkv/server';

describe('node configuration', () => {
  test('defaults follow docs/design.md and every option has a reason', () => {
    const c = defaultConfig();
    expect(c).toMatchObject({ replicas: 3, r: 2, w: 2, partitions: 256, engine: 'level', maxValueBytes: 1024 * 1024, requestTimeoutMs: 2000 });
    expect(c.id).toBe('node-127-0-0-1-7071');
    expect(c.data).toBe('data/node-127-0-0-1-7071');
    expect(Object.isFrozen(c)).toBe(true);
    for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
      expect([key, spec.reason.length > 5, spec.describe.length > 5]).toEqual([key, true, true]);
    }
  });

  test('strings from flags and the environment are coerced', () => {
    const c = buildConfig({ replicas: '5', r: '3', w: '3', seeds: 'a:1, b:2', partitions: '1024' });
    expect(c.replicas).toBe(5);
    expect(c.seeds).toEqual(['a:1', 'b:2']);
    expect(c.partitions).toBe(1024);
  });

  test.each([
    [{ nope: 1 }, /unknown option "nope"/],
    [{ replicas: 'three' }, /"replicas" must be an integer/],
    [{ replicas: 0 }, /"replicas" must be at least 1/],
    [{ partitions: 100 }, /power of two/],
    [{ r: 4 }, /"r" \(4\) cannot exceed replicas \(3\)/],
    [{ engine: 'sqlite' }, /"engine" must be one of level, rocksdb, memory/],
    [{ http: 'localhost' }, /HOST:PORT/],
    [{ http: 'localhost:70000' }, /HOST:PORT/],
    [{ seeds: 'a:1,b' }, /"seeds" must be HOST:PORT/],
    [{ id: 'has space' }, /"id" must be/],
    [{ maxValueBytes: -1 }, /at least 0/],
  ] as [ConfigInput, RegExp][])('rejects %j with a clear message', (input, message) => {
    let caught: unknown;
    try {
      buildConfig(input);
    } catch (err) {
      caught = err;
    }
    expect(isRingkvError(caught) ? caught.code : caught).toBe('CONFIG_INVALID');
    expect((caught as Error).message).toMatch(message);
  });

  test.each([
    ['127.0.0.1:7070', { host: '127.0.0.1', port: 7070 }],
    ['[::1]:80', { host: '::1', port: 80 }],
    ['ringkv-0.ringkv.default.svc:7071', { host: 'ringkv-0.ringkv.default.svc', port: 7071 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
  ])('parses address %s', (text, expected) => {
    expect(parseAddress(text)).toEqual(expected);
  });
});
