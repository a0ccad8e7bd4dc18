// The level engine's write path through classic-level's private chained batch
// (level-native-batch.ts): the installed classic-level must still offer it, so a test fails when an
// upgrade would put the engine on the slower public path; and the public path, with the hooks
// taken away, still passes the whole engine suite.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { AbstractChainedBatch, AbstractLevel } from 'abstract-level';
import { ClassicLevel } from 'classic-level';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LevelEngine } from '../src/level-engine.js';
import { CHECKED_VERSIONS, levelBatchWriter } from '../src/level-native-batch.js';
import { collect, runEngineConformance } from './engine-conformance.js';

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
const dirs: string[] = [];
const engines: LevelEngine[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringkv-native-batch-'));
  dirs.push(dir);
  return dir;
}

async function openedEngine(): Promise<LevelEngine> {
  const engine = new LevelEngine(path.join(tempDir(), 'data'));
  engines.push(engine);
  await engine.open();
  return engine;
}

afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The prototype of classic-level's ChainedBatch (the class is not exported). */
async function chainedBatchPrototype(): Promise<Record<string, unknown>> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path.join(tempDir(), 'probe'), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const batch = (db as unknown as { _chainedBatch(): object })._chainedBatch();
  await db.close();
  return Object.getPrototypeOf(batch) as Record<string, unknown>;
}

/** Replaces (or, with undefined, removes) an own property of `target` until the returned undo. */
function patch(target: object, name: string, value: unknown): () => void {
  const before = Object.getOwnPropertyDescriptor(target, name);
  if (value === undefined) Reflect.deleteProperty(target, name);
  else Object.defineProperty(target, name, { value, configurable: true, writable: true });
  return () => {
    if (before === undefined) Reflect.deleteProperty(target, name);
    else Object.defineProperty(target, name, before);
  };
}

describe('the native batch path', () => {
  test('the installed classic-level offers it: the engine is not on the fallback', async () => {
    const engine = await openedEngine();
    expect(engine.batchPath).toEqual({ path: 'native' });
  });

  test('writes really go through the chained batch, also after a reopen', async () => {
    const proto = await chainedBatchPrototype();
    const write = proto._write as (this: unknown, options: { sync: boolean }) => Promise<void>;
    const syncs: boolean[] = [];
    const undo = patch(proto, '_write', function (this: unknown, options: { sync: boolean }) {
      syncs.push(options.sync);
      return write.call(this, options);
    });
    try {
      const engine = await openedEngine();
      await engine.put(b(1), b(1));
      await engine.batch([{ type: 'put', key: b(2), value: b(2) }, { type: 'del', key: b(1) }], { sync: true });
      await engine.close();
      await engine.open();
      await engine.put(b(3), b(3));
      expect(syncs).toEqual([false, true, false]);
      expect((await collect(engine)).map(([k]) => k[0])).toEqual([2, 3]);
    } finally {
      undo();
    }
  });

  test('the installed versions are the ones it was checked against, and package.json pins their minor', () => {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    for (const [name, checked] of Object.entries(CHECKED_VERSIONS)) {
      const installed = (require(`${name}/package.json`) as { version: string }).version;
      const minor = (v: string): string => v.split('.').slice(0, 2).join('.');
      expect({ name, installed: minor(installed) }).toEqual({ name, installed: minor(checked) });
      expect({ name, range: pkg.dependencies[name] }).toEqual({ name, range: `~${checked}` });
    }
  });
});

describe('the public fallback', () => {
  test('without classic-level\'s own _chainedBatch the engine says so and writes through db.batch()', async () => {
    const undo = patch(ClassicLevel.prototype, '_chainedBatch', (AbstractLevel.prototype as unknown as Record<string, unknown>)._chainedBatch);
    try {
      const engine = await openedEngine();
      expect(engine.batchPath).toEqual({ path: 'public', reason: 'classic-level does not implement _chainedBatch' });
      await engine.batch([{ type: 'put', key: b(1), value: b(1) }, { type: 'put', key: b(2), value: b(2) }], { sync: true });
      expect(await engine.getMany([b(1), b(2)])).toEqual([b(1), b(2)]);
    } finally {
      undo();
    }
  });

  test.each(['_put', '_del', '_clear', '_write'])('a chained batch without its own %s (abstract-level\'s is a no-op) is not used', async (hook) => {
    const proto = await chainedBatchPrototype();
    expect(proto[hook]).not.toBe((AbstractChainedBatch.prototype as unknown as Record<string, unknown>)[hook]);
    const undo = patch(proto, hook, undefined);
    try {
      const engine = await openedEngine();
      expect(engine.batchPath).toEqual({ path: 'public', reason: `classic-level's chained batch does not implement ${hook}` });
      // No write is dropped on the floor.
      await engine.put(b(7), b(7));
      await engine.del(b(8));
      expect(await engine.get(b(7))).toEqual(b(7));
    } finally {
      undo();
    }
  });

  test('a database from another copy of abstract-level is refused', () => {
    const foreign = { _chainedBatch: () => ({}), detachResource: () => undefined };
    expect(levelBatchWriter(foreign as never).status).toEqual({
      path: 'public',
      reason: 'classic-level is built on another copy of abstract-level than the one storage pins',
    });
  });

  describe('with the native hooks taken away', () => {
    let undo: () => void = () => undefined;
    beforeAll(() => {
      undo = patch(ClassicLevel.prototype, '_chainedBatch', (AbstractLevel.prototype as unknown as Record<string, unknown>)._chainedBatch);
    });
    afterAll(() => undo());

    test('the engine is on the public path', async () => {
      expect((await openedEngine()).batchPath?.path).toBe('public');
    });

    const suiteDirs: string[] = [];
    runEngineConformance('level', {
      create() {
        const dir = mkdtempSync(path.join(tmpdir(), 'ringkv-public-batch-'));
        suiteDirs.push(dir);
        return new LevelEngine(path.join(dir, 'data'));
      },
      reopen: (engine) => new LevelEngine((engine as LevelEngine).location),
      async cleanup() {
        for (const dir of suiteDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
      },
    });
  });
});
