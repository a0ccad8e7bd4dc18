// Stable codes of storage errors and the mapping from native library errors onto them.
import { describe, expect, test } from '@jest/globals';
import { RingkvError, isRingkvError } from '@ringkv/core';
import {
  EngineClosedError,
  EngineCorruptionError,
  EngineIoError,
  EngineLockedError,
} from '../src/errors.js';
import { STORAGE_ERROR_CODES } from '../src/error-codes.js';
import { mapNativeError } from '../src/native-errors.js';

function codeError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

describe('storage errors', () => {
  test.each([
    [new EngineClosedError('level', 'get'), 'ENGINE_CLOSED'],
    [new EngineIoError('rocksdb', 'batch', new Error('disk full'), '/d'), 'ENGINE_IO'],
    [new EngineCorruptionError('level', '/d', new Error('bad block')), 'ENGINE_CORRUPTION'],
    [new EngineLockedError('level', '/d', new Error('lock')), 'ENGINE_LOCKED'],
  ])('%p has code %s, is a RingkvError and is listed', (err, code) => {
    expect(err).toBeInstanceOf(RingkvError);
    expect(isRingkvError(err)).toBe(true);
    expect(err.code).toBe(code);
    expect(STORAGE_ERROR_CODES).toContain(code);
  });

  test('every listed code has a class', () => {
    expect([...STORAGE_ERROR_CODES].sort()).toEqual(['ENGINE_CLOSED', 'ENGINE_CORRUPTION', 'ENGINE_IO', 'ENGINE_LOCKED']);
  });

  test('EngineIoError keeps the native error as cause and in its message', () => {
    const cause = new Error('No space left on device');
    const err = new EngineIoError('level', 'batch', cause, '/var/lib/ringkv');
    expect(err.cause).toBe(cause);
    expect(err.message).toContain('No space left on device');
    expect(err.message).toContain('/var/lib/ringkv');
  });
});

describe('mapNativeError', () => {
  const lockedLevel = codeError('LEVEL_DATABASE_NOT_OPEN', 'Database failed to open', codeError('LEVEL_LOCKED', 'IO error: lock /d/LOCK: already held by process'));
  test.each([
    ['classic-level lock (wrapped)', lockedLevel, 'ENGINE_LOCKED'],
    ['classic-level lock', codeError('LEVEL_LOCKED', 'x'), 'ENGINE_LOCKED'],
    ['rocksdb lock', new Error('IO error: lock hold by current process, acquire time 1 acquiring thread 2: /d/LOCK: No locks available'), 'ENGINE_LOCKED'],
    ['rocksdb lock (other process)', new Error('IO error: While lock file: /d/LOCK: Resource temporarily unavailable'), 'ENGINE_LOCKED'],
    ['classic-level corruption (wrapped)', codeError('LEVEL_DATABASE_NOT_OPEN', 'Database failed to open', codeError('LEVEL_CORRUPTION', 'Corruption: bad')), 'ENGINE_CORRUPTION'],
    ['rocksdb corruption', new Error('Corruption: CURRENT file does not end with newline'), 'ENGINE_CORRUPTION'],
    ['rocksdb lock file missing', new Error('IO error: No such file or directory: While open a file for appending: /d/000001.log'), 'ENGINE_IO'],
    ['anything else', new Error('IO error: No space left on device'), 'ENGINE_IO'],
    ['a non-error', 'boom', 'ENGINE_IO'],
  ])('%s maps to %s', (_name, native, code) => {
    expect(mapNativeError('level', 'open', '/d', native)).toMatchObject({ code });
  });

  test('an engine without a directory (memory) has no lock: a lock-looking error is ENGINE_IO', () => {
    expect(mapNativeError('memory', 'get', undefined, codeError('LEVEL_LOCKED', 'x'))).toMatchObject({ code: 'ENGINE_IO' });
  });

  test('our own errors and TypeErrors pass through', () => {
    const closed = new EngineClosedError('level', 'get');
    const type = new TypeError('key must not be empty');
    expect(mapNativeError('level', 'get', '/d', closed)).toBe(closed);
    expect(mapNativeError('level', 'get', '/d', type)).toBe(type);
  });
});
