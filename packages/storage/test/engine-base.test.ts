// What EngineBase does for every engine, tested once against a fake backend that records its `_`
// calls and fails on demand: argument checks, the open/closed gate, routing (group commit, the
// deleteRange barrier, range options) and the mapping of native errors.
import { describe, expect, test } from '@jest/globals';
import type { BatchOp, KeyRange } from '../src/engine.js';
import type { BatchCursorOptions, CursorOptions } from '../src/cursor-iterable.js';
import { EngineBase } from '../src/engine-base.js';
import { EngineClosedError, EngineCorruptionError, EngineIoError, EngineLockedError } from '../src/errors.js';
import type { BatchCursor, Cursor } from '../src/lifecycle.js';
import { collect, collectBatches } from './engine-conformance.js';

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const LOCATION = '/var/lib/ringkv/test';

type Call = [name: string, ...args: unknown[]];

function nativeError(code: string | undefined, message: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

/** A backend whose every `_` method is logged; `fail` makes the named one throw once. */
class FakeEngine extends EngineBase<'level', { handle: number }> {
  readonly calls: Call[] = [];
  readonly fail = new Map<string, unknown>();
  /** Pending _batch writes, finished by the test (for group commit). */
  readonly pending: Array<() => void> = [];
  holdWrites = false;
  private opens = 0;

  constructor(groupCommit = true) {
    super('level', { location: LOCATION, groupCommit });
  }

  get stats() {
    return this.committer.stats;
  }

  private record(name: string, ...args: unknown[]): void {
    this.calls.push([name, ...args]);
    const err = this.fail.get(name);
    if (err !== undefined) {
      this.fail.delete(name);
      throw err;
    }
  }

  protected async _open() {
    this.record('_open');
    return { handle: ++this.opens };
  }

  protected async _close(native: { handle: number }) {
    this.record('_close', native.handle);
  }

  protected async _get(key: Uint8Array) {
    this.record('_get', key, this.native.handle);
    return b(9);
  }

  protected async _getMany(keys: readonly Uint8Array[]) {
    this.record('_getMany', keys);
    return keys.map(() => undefined);
  }

  protected _batch(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    this.record('_batch', ops.map((op) => `${op.type}:${op.key.join('.')}`), sync);
    if (!this.holdWrites) return Promise.resolve();
    return new Promise((resolve) => this.pending.push(resolve));
  }

  protected _iterator(options: CursorOptions): Cursor {
    this.record('_iterator', options);
    let left = 2;
    return {
      next: async () => {
        this.record('next');
        return left-- > 0 ? [b(left), b(left)] : undefined;
      },
      close: async () => {
        this.calls.push(['cursor.close']);
      },
    };
  }

  protected _batchIterator(options: BatchCursorOptions): BatchCursor {
    this.record('_batchIterator', options);
    const batches = [[[b(1), b(1)], [b(2), b(2)]], [[b(3), b(3)]]] as [Uint8Array, Uint8Array][][];
    return {
      nextBatch: async () => {
        this.record('nextBatch');
        return batches.shift() ?? [];
      },
      close: async () => {
        this.calls.push(['cursor.close']);
      },
    };
  }

  protected async _clear(range: KeyRange) {
    this.record('_clear', range);
  }
}

async function opened(groupCommit = true): Promise<FakeEngine> {
  const engine = new FakeEngine(groupCommit);
  await engine.open();
  engine.calls.length = 0;
  return engine;
}

const names = (engine: FakeEngine): string[] => engine.calls.map(([name]) => name);

describe('EngineBase argument checks', () => {
  const notBytes = 'k' as unknown as Uint8Array;
  test.each<[string, (e: FakeEngine) => Promise<unknown>, RegExp]>([
    ['get of a string', (e) => e.get(notBytes), /key must be a Uint8Array/],
    ['get of an empty key', (e) => e.get(b()), /key must not be empty/],
    ['getMany of a non-array', (e) => e.getMany(b(1) as unknown as Uint8Array[]), /keys must be an array/],
    ['getMany with one empty key', (e) => e.getMany([b(1), b()]), /key must not be empty/],
    ['put of a value that is not bytes', (e) => e.put(b(1), 'v' as unknown as Uint8Array), /value must be a Uint8Array/],
    ['del of an empty key', (e) => e.del(b()), /key must not be empty/],
    ['batch of a non-array', (e) => e.batch({} as unknown as BatchOp[]), /must be an array/],
    ['batch with an unknown op type', (e) => e.batch([{ type: 'merge', key: b(1) } as unknown as BatchOp]), /unknown batch op type merge/],
    ['batch with one bad op among good ones', (e) => e.batch([{ type: 'put', key: b(1), value: b(1) }, { type: 'del', key: b() }], { sync: true }), /key must not be empty/],
    ['deleteRange with a bound that is not bytes', (e) => e.deleteRange({ lt: 5 as unknown as Uint8Array }), /lt must be a Uint8Array/],
  ])('%s is a plain TypeError and reaches no backend method', async (_name, call, message) => {
    const engine = await opened();
    const err = await call(engine).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).not.toHaveProperty('code');
    expect((err as Error).message).toMatch(message);
    expect(engine.calls).toEqual([]);
  });

  test('iterate checks its options at once, before any cursor', async () => {
    const engine = await opened();
    expect(() => engine.iterate({ gte: 'a' as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => engine.iterate({ limit: '5' as unknown as number })).toThrow(/limit must be a number/);
    expect(engine.calls).toEqual([]);
  });

  test.each<[string, object, RegExp]>([
    ['a bound that is not bytes', { lt: 'z' }, /lt must be a Uint8Array/],
    ['a limit that is not a number', { limit: '5' }, /limit must be a number/],
    ['batchEntries 0', { batchEntries: 0 }, /batchEntries must be an integer from 1 to 100000/],
    ['batchEntries 1.5', { batchEntries: 1.5 }, /batchEntries must be an integer/],
    ['batchEntries past the maximum', { batchEntries: 100_001 }, /batchEntries must be an integer/],
    ['batchBytes as a string', { batchBytes: '1024' }, /batchBytes must be an integer from 1 to 67108864/],
    ['batchBytes negative', { batchBytes: -1 }, /batchBytes must be an integer/],
    ['batchBytes NaN', { batchBytes: Number.NaN }, /batchBytes must be an integer/],
  ])('iterateBatches with %s is a TypeError at once, before any cursor', async (_name, options, message) => {
    const engine = await opened();
    expect(() => engine.iterateBatches(options as never)).toThrow(TypeError);
    expect(() => engine.iterateBatches(options as never)).toThrow(message);
    expect(engine.calls).toEqual([]);
  });

  test('the open state is checked first, as abstract-level does: a closed engine answers ENGINE_CLOSED even to a bad key', async () => {
    const engine = new FakeEngine();
    await expect(engine.get(b())).rejects.toBeInstanceOf(EngineClosedError);
  });
});

describe('EngineBase open/closed gate', () => {
  test.each<[string, string, (e: FakeEngine) => Promise<unknown>]>([
    ['get', 'get', (e) => e.get(b(1))],
    ['getMany', 'getMany', (e) => e.getMany([b(1)])],
    ['put', 'batch', (e) => e.put(b(1), b(1), { sync: true })],
    ['del', 'batch', (e) => e.del(b(1))],
    ['batch', 'batch', (e) => e.batch([])],
    ['deleteRange', 'deleteRange', (e) => e.deleteRange({})],
    ['iterate', 'iterate', (e) => collect(e)],
    ['iterateBatches', 'iterateBatches', (e) => collectBatches(e)],
  ])('%s before open() and after close() is ENGINE_CLOSED for operation %s', async (_method, operation, call) => {
    const engine = new FakeEngine();
    const before = await call(engine).then(() => undefined, (e: unknown) => e);
    expect(before).toBeInstanceOf(EngineClosedError);
    expect(before).toMatchObject({ code: 'ENGINE_CLOSED', details: { kind: 'level', operation } });
    await engine.open();
    await engine.close();
    await expect(call(engine)).rejects.toMatchObject({ code: 'ENGINE_CLOSED', details: { operation } });
    expect(names(engine)).toEqual(['_open', '_close']);
  });

  test('each open gets a handle from _open, and _close gets that handle back', async () => {
    const engine = new FakeEngine();
    await engine.open();
    await engine.open();
    await engine.get(b(1));
    await engine.close();
    await engine.close();
    await engine.open();
    await engine.get(b(1));
    const described = engine.calls.map(([name, ...args]) => (name === '_get' ? `_get@${String(args[1])}` : name === '_close' ? `_close@${String(args[0])}` : name));
    expect(described).toEqual(['_open', '_get@1', '_close@1', '_open', '_get@2']);
  });
});

describe('EngineBase routing', () => {
  test('put and del are one-op batches; an unsynced batch goes straight to _batch', async () => {
    const engine = await opened();
    await engine.put(b(1), b(2));
    await engine.del(b(3), { sync: false });
    await engine.batch([]);
    expect(engine.calls).toEqual([
      ['_batch', ['put:1'], false],
      ['_batch', ['del:3'], false],
      ['_batch', [], false],
    ]);
  });

  test('synced writes arriving while one is in flight share one synced _batch (group commit)', async () => {
    const engine = await opened();
    engine.holdWrites = true;
    const writes = [engine.put(b(1), b(1), { sync: true }), engine.put(b(2), b(2), { sync: true }), engine.del(b(3), { sync: true })];
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.calls).toEqual([['_batch', ['put:1'], true]]);
    engine.pending.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.calls[1]).toEqual(['_batch', ['put:2', 'del:3'], true]);
    engine.pending.shift()!();
    await Promise.all(writes);
    expect(engine.stats).toEqual({ groups: 2, writes: 3 });
  });

  test('without group commit every synced write is its own _batch, in call order', async () => {
    const engine = await opened(false);
    await Promise.all([engine.put(b(1), b(1), { sync: true }), engine.put(b(2), b(2)), engine.put(b(3), b(3), { sync: true })]);
    expect(engine.calls).toEqual([
      ['_batch', ['put:1'], true],
      ['_batch', ['put:2'], false],
      ['_batch', ['put:3'], true],
    ]);
    expect(engine.stats).toEqual({ groups: 0, writes: 0 });
  });

  test('getMany of no keys answers [] without the backend', async () => {
    const engine = await opened();
    expect(await engine.getMany([])).toEqual([]);
    expect(await engine.getMany([b(1)])).toEqual([undefined]);
    expect(names(engine)).toEqual(['_getMany']);
  });

  test('deleteRange: an empty range does nothing; _clear gets only the bounds that are set', async () => {
    const engine = await opened();
    await engine.deleteRange({ gte: b(5), lt: b(5) }, { sync: true });
    await engine.deleteRange({ gte: b(9), lt: b(3) });
    expect(engine.calls).toEqual([]);
    await engine.deleteRange({ gte: b(1), lt: undefined });
    expect(engine.calls).toEqual([['_clear', { gte: b(1) }]]);
    expect(Object.keys(engine.calls[0][1] as object)).toEqual(['gte']);
  });

  test('a synced deleteRange clears, then writes a synced delete of the lowest key in the range (its barrier)', async () => {
    const engine = await opened();
    await engine.deleteRange({ gte: b(4, 2), lt: b(5) }, { sync: true });
    await engine.deleteRange({}, { sync: true });
    // No key sorts below [0] but the empty key, which is refused: nothing to clear or sync.
    await engine.deleteRange({ lt: b(0) }, { sync: true });
    expect(engine.calls).toEqual([
      ['_clear', { gte: b(4, 2), lt: b(5) }],
      ['_batch', ['del:4.2'], true],
      ['_clear', {}],
      ['_batch', ['del:0'], true],
      ['_clear', { lt: b(0) }],
    ]);
  });

  test('iterate opens the cursor at the first next(), with its options filled in, and closes it at the end', async () => {
    const engine = await opened();
    const iterable = engine.iterate({ lt: b(9), gte: undefined });
    expect(engine.calls).toEqual([]);
    const entries = [];
    for await (const entry of iterable) entries.push(entry);
    expect(entries).toEqual([[b(1), b(1)], [b(0), b(0)]]);
    expect(engine.calls[0]).toEqual(['_iterator', { lt: b(9), reverse: false, limit: -1 }]);
    expect(Object.keys(engine.calls[0][1] as object).sort()).toEqual(['limit', 'lt', 'reverse']);
    expect(names(engine).slice(1)).toEqual(['next', 'next', 'next', 'cursor.close']);
    engine.calls.length = 0;
    expect(await collect(engine, { limit: 0 })).toEqual([]);
    expect(engine.calls).toEqual([]);
  });
});

describe('EngineBase batch iteration', () => {
  test('iterateBatches opens the cursor at the first next() with its defaults filled in, yields each batch, ends at an empty one and closes', async () => {
    const engine = await opened();
    const iterable = engine.iterateBatches({ gte: b(1), lt: undefined, reverse: true });
    expect(engine.calls).toEqual([]);
    const batches = [];
    for await (const batch of iterable) batches.push(batch);
    expect(batches).toEqual([[[b(1), b(1)], [b(2), b(2)]], [[b(3), b(3)]]]);
    expect(engine.calls[0]).toEqual(['_batchIterator', { gte: b(1), reverse: true, limit: -1, batchEntries: 1000, batchBytes: 64 * 1024 }]);
    expect(Object.keys(engine.calls[0][1] as object).sort()).toEqual(['batchBytes', 'batchEntries', 'gte', 'limit', 'reverse']);
    expect(names(engine).slice(1)).toEqual(['nextBatch', 'nextBatch', 'nextBatch', 'cursor.close']);
  });

  test('iterateBatches passes the batch sizes asked for; limit 0 reaches no backend', async () => {
    const engine = await opened();
    await collectBatches(engine, { batchEntries: 7, batchBytes: 1, limit: 3 });
    expect(engine.calls[0]).toEqual(['_batchIterator', { reverse: false, limit: 3, batchEntries: 7, batchBytes: 1 }]);
    engine.calls.length = 0;
    expect(await collectBatches(engine, { limit: 0 })).toEqual([]);
    expect(engine.calls).toEqual([]);
  });
});

describe('EngineBase error mapping', () => {
  test.each<[string, string, unknown, unknown]>([
    ['a coded corruption', 'ENGINE_CORRUPTION', nativeError('LEVEL_CORRUPTION', 'Corruption: bad block'), EngineCorruptionError],
    ['a corruption message', 'ENGINE_CORRUPTION', nativeError(undefined, 'Corruption: checksum mismatch'), EngineCorruptionError],
    ['anything else', 'ENGINE_IO', nativeError(undefined, 'IO error: No space left on device'), EngineIoError],
    ['a non-error', 'ENGINE_IO', 'boom', EngineIoError],
  ])('%s from a backend method becomes %s, keeping the native error as cause', async (_name, code, native, type) => {
    for (const [method, call] of [
      ['_get', (e: FakeEngine) => e.get(b(1))],
      ['_getMany', (e: FakeEngine) => e.getMany([b(1)])],
      ['_batch', (e: FakeEngine) => e.put(b(1), b(1), { sync: true })],
      ['_clear', (e: FakeEngine) => e.deleteRange({})],
      ['next', (e: FakeEngine) => collect(e)],
      ['nextBatch', (e: FakeEngine) => collectBatches(e)],
    ] as const) {
      const engine = await opened();
      engine.fail.set(method, native);
      const err = await call(engine).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect(err).toMatchObject({ code, cause: native });
      if (code === 'ENGINE_IO') expect((err as Error).message).toContain(LOCATION);
    }
  });

  test('a failed _open is mapped (a held lock is ENGINE_LOCKED) and leaves the engine closed', async () => {
    const engine = new FakeEngine();
    engine.fail.set('_open', Object.assign(nativeError('LEVEL_DATABASE_NOT_OPEN', 'Database failed to open'), { cause: nativeError('LEVEL_LOCKED', 'IO error: lock held') }));
    const err = await engine.open().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineLockedError);
    expect(err).toMatchObject({ code: 'ENGINE_LOCKED', details: { kind: 'level', location: LOCATION } });
    await expect(engine.get(b(1))).rejects.toBeInstanceOf(EngineClosedError);
    await engine.open();
    expect(await engine.get(b(1))).toEqual(b(9));
  });

  test('a failed _close is mapped and still leaves the engine closed', async () => {
    const engine = await opened();
    engine.fail.set('_close', nativeError(undefined, 'IO error: close'));
    await expect(engine.close()).rejects.toMatchObject({ code: 'ENGINE_IO', details: { operation: 'close' } });
    await expect(engine.get(b(1))).rejects.toBeInstanceOf(EngineClosedError);
  });

  test('a TypeError or a storage error from a backend passes through as it is', async () => {
    const engine = await opened();
    const type = new TypeError('bad');
    const closed = new EngineClosedError('level', 'get');
    engine.fail.set('_get', type);
    await expect(engine.get(b(1))).rejects.toBe(type);
    engine.fail.set('_batch', closed);
    await expect(engine.put(b(1), b(1))).rejects.toBe(closed);
  });

  test('a failed group rejects each of its writers with the mapped error; the engine goes on', async () => {
    const engine = await opened();
    engine.holdWrites = true;
    const first = engine.put(b(1), b(1), { sync: true });
    const grouped = [engine.put(b(2), b(2), { sync: true }), engine.put(b(3), b(3), { sync: true })];
    engine.fail.set('_batch', nativeError(undefined, 'IO error: disk full'));
    engine.pending.shift()!();
    await first;
    for (const write of grouped) await expect(write).rejects.toMatchObject({ code: 'ENGINE_IO', details: { operation: 'batch' } });
    expect(engine.calls.at(-1)).toEqual(['_batch', ['put:2', 'put:3'], true]);
    engine.holdWrites = false;
    await engine.put(b(4), b(4), { sync: true });
    expect(engine.stats).toEqual({ groups: 2, writes: 2 });
  });
});
