// What only the on-disk engines do: the directory lock, damaged files, the open-engine factory.
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Engine, EngineKind } from '../src/engine.js';
import { EngineCorruptionError, EngineLockedError } from '../src/errors.js';
import { LevelEngine } from '../src/level-engine.js';
import { MemoryEngine } from '../src/memory-engine.js';
import { createEngine, openEngine } from '../src/open-engine.js';
import { RocksdbEngine } from '../src/rocksdb-engine.js';

const dirs: string[] = [];
const opened: Engine[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringkv-disk-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const e of opened.splice(0)) await e.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each(['level', 'rocksdb'] as const)('%s engine on disk', (kind) => {
  test('a second engine on a held directory fails with ENGINE_LOCKED naming the directory', async () => {
    const dir = path.join(tempDir(), 'node-a');
    const first = await openEngine(kind, dir);
    opened.push(first);
    const second = createEngine(kind, dir);
    const err = await second.open().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineLockedError);
    expect(err).toMatchObject({ code: 'ENGINE_LOCKED', details: { kind, location: dir } });
    expect((err as Error).message).toContain(dir);
    expect((err as Error).cause).toBeDefined();
    await expect(second.get(Uint8Array.of(1))).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
    await second.close();
    // Once the holder lets go, the directory opens.
    await first.close();
    await second.open();
    opened.push(second);
  });

  test('a damaged CURRENT file fails the open with ENGINE_CORRUPTION', async () => {
    const dir = path.join(tempDir(), 'data');
    const engine = await openEngine(kind, dir);
    await engine.put(Uint8Array.of(1), Uint8Array.of(1), { sync: true });
    await engine.close();
    writeFileSync(path.join(dir, 'CURRENT'), 'MANIFEST-garbage');
    const err = await createEngine(kind, dir).open().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineCorruptionError);
    expect(err).toMatchObject({ code: 'ENGINE_CORRUPTION' });
  });
});

describe('openEngine and createEngine', () => {
  test.each([
    ['memory', MemoryEngine],
    ['level', LevelEngine],
    ['rocksdb', RocksdbEngine],
  ] as const)('%s opens, creating missing parent directories', async (kind, type) => {
    const engine = await openEngine(kind, path.join(tempDir(), 'a', 'b', 'c'));
    opened.push(engine);
    expect(engine).toBeInstanceOf(type);
    expect(engine.kind).toBe(kind);
    await engine.put(Uint8Array.of(1), Uint8Array.of(2));
    expect(await engine.get(Uint8Array.of(1))).toEqual(Uint8Array.of(2));
  });

  test('memory needs no directory', async () => {
    const engine = await openEngine('memory', undefined);
    opened.push(engine);
    expect(engine.kind).toBe('memory');
  });

  test.each(['level', 'rocksdb'] as const)('%s without a directory is a TypeError', (kind) => {
    expect(() => createEngine(kind, undefined)).toThrow(TypeError);
    expect(() => createEngine(kind, '')).toThrow(/data directory/);
  });

  test('an unknown kind is a TypeError', () => {
    expect(() => createEngine('sqlite' as EngineKind, '/tmp/x')).toThrow(/unknown engine kind/);
  });

  test('createEngine does not open (nor lock) anything', async () => {
    const dir = path.join(tempDir(), 'data');
    const idle = createEngine('level', dir);
    const engine = await openEngine('level', dir);
    opened.push(engine);
    await expect(idle.get(Uint8Array.of(1))).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
  });
});

describe.each(['level', 'rocksdb'] as const)('%s engine held by another process', (kind) => {
  test('open fails with ENGINE_LOCKED', async () => {
    const dir = path.join(tempDir(), 'data');
    // The child opens the directory through the raw library (no TypeScript loader needed), says
    // "held", and keeps the lock until its stdin closes.
    const script =
      kind === 'level'
        ? `const { ClassicLevel } = await import('classic-level'); const db = new ClassicLevel(${JSON.stringify(dir)}); await db.open();`
        : `const { createRequire } = await import('node:module'); const db = createRequire(process.cwd() + '/')('rocksdb')(${JSON.stringify(dir)}); await new Promise((r, j) => db.open({ createIfMissing: true }, (e) => (e ? j(e) : r())));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', `${script} process.stdout.write('held\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`], {
      cwd: process.cwd(),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('held') ? resolve() : undefined));
        child.on('exit', (code) => reject(new Error(`lock holder exited early with ${code}`)));
      });
      const err = await createEngine(kind, dir).open().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(EngineLockedError);
      expect((err as Error).message).toContain(dir);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin.end();
        await exited;
      }
    }
  });
});
