// The hint store: hints kept per (partition, target, key) under a length-prefixed target id, legacy
// hints moved by open(), a byte quota per target, and undecodable hints deleted by scan() without
// stopping the hints after them.
import { describe, expect, test } from '@jest/globals';
import { decodeRecord, encodeRecord, type StoredRecord } from '@ringkv/core';
import { KEYSPACES, MemoryEngine, hintKey, keyspaceRange, type Engine } from '@ringkv/storage';
import { HintQuotaExceededError, HintStore, type HintDropReason, type HintStoreOptions } from '../src/handoff/hint-store.js';

const text = (s: string) => new TextEncoder().encode(s);
const rec = (wallMs: number, value: string): StoredRecord => ({ ts: { wallMs, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: text(value) });
const valueOf = (r: StoredRecord) => new TextDecoder().decode(r.value);

/** A stored hint value as the store writes it: created-at (float64 BE) | record encoding. */
function hintValue(createdAtMs: number, record: StoredRecord): Uint8Array {
  const r = encodeRecord(record);
  const out = new Uint8Array(8 + r.length);
  new DataView(out.buffer).setFloat64(0, createdAtMs);
  out.set(r, 8);
  return out;
}

/** A key of the layout before the length prefix: the target id ended by a NUL. */
function legacyKey(partition: number, target: string, key: Uint8Array): Uint8Array {
  return Uint8Array.of(KEYSPACES.legacyHints, partition >>> 8, partition & 0xff, ...text(target), 0, ...key);
}

async function entries(engine: Engine, space: 'hints' | 'legacyHints'): Promise<number> {
  let n = 0;
  for await (const _ of engine.iterate(keyspaceRange(space))) n++;
  return n;
}

interface Opened {
  engine: MemoryEngine;
  hints: HintStore;
  corrupt: Uint8Array[];
  dropped: [string | undefined, HintDropReason][];
}

async function openStore(options: Partial<HintStoreOptions> = {}, engine?: MemoryEngine): Promise<Opened> {
  if (!engine) {
    engine = new MemoryEngine();
    await engine.open();
  }
  const corrupt: Uint8Array[] = [];
  const dropped: [string | undefined, HintDropReason][] = [];
  const hints = new HintStore(engine, {
    sync: false, maxBytesPerTarget: 0, onCorrupt: (key) => corrupt.push(key), onDropped: (target, reason) => dropped.push([target, reason]), ...options,
  });
  await hints.open();
  return { engine, hints, corrupt, dropped };
}

describe('HintStore', () => {
  test('hints round-trip, newer records replace older ones, and removal frees their bytes', async () => {
    const { hints } = await openStore();
    await hints.store(3, 'n2', text('a'), rec(5, 'a5'), 100);
    await hints.store(3, 'n2', text('a'), rec(4, 'a4'), 200); // older: kept out
    await hints.store(3, 'n2', text('a'), rec(6, 'a6'), 300); // newer: replaces, keeps the creation time
    await hints.store(0, 'n3', text('b'), rec(1, 'b1'), 400);
    const all = await hints.scan(10);
    expect(all.map((h) => [h.partition, h.target, new TextDecoder().decode(h.key), valueOf(h.record), h.createdAtMs])).toEqual([
      [0, 'n3', 'b', 'b1', 400],
      [3, 'n2', 'a', 'a6', 100],
    ]);
    expect(hints.heldBytes('n2')).toBe(all[1].storageKey.length + all[1].storedValue.length);
    for (const h of all) await hints.remove(h);
    expect(await hints.scan(10)).toEqual([]);
    expect([hints.heldBytes('n2'), hints.heldBytes('n3')]).toEqual([0, 0]);
  });

  test.each(['', 'a\u0000b', 'zone/node', 'n'.repeat(64)])('a hint for %j, not a node id, is refused', async (target) => {
    const { engine, hints } = await openStore();
    await expect(hints.store(0, target, text('k'), rec(1, 'v'), 0)).rejects.toThrow(RangeError);
    expect(await entries(engine, 'hints')).toBe(0);
  });

  test('a store not opened refuses to be used', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    const hints = new HintStore(engine, { sync: false, maxBytesPerTarget: 0 });
    await expect(hints.store(0, 'n1', text('k'), rec(1, 'v'), 0)).rejects.toThrow(TypeError);
    await expect(hints.scan(10)).rejects.toThrow(TypeError);
  });

  test('open() moves legacy hints into the length-prefixed layout, page by page, once', async () => {
    const engine = new MemoryEngine();
    await engine.open();
    // More than one migration page; user keys holding NULs; targets of several lengths.
    const planted = Array.from({ length: 600 }, (_, i) => ({ partition: i % 7, target: `node-${i % 3}${'x'.repeat(i % 5)}`, key: text(`k\u0000${i}`), wall: i + 1 }));
    for (const h of planted) await engine.put(legacyKey(h.partition, h.target, h.key), hintValue(1000 + h.wall, rec(h.wall, `v${h.wall}`)));
    // A legacy key whose target is not a node id cannot be moved: dropped as corrupt.
    const bad = legacyKey(0, 'zone/node', text('k'));
    await engine.put(bad, hintValue(1, rec(1, 'lost')));
    // Keys held in both layouts (a downgrade wrote the legacy one again): the newer record stays.
    await engine.put(legacyKey(1, 'both', text('legacy-newer')), hintValue(1, rec(9, 'legacy')));
    await engine.put(hintKey(1, 'both', text('legacy-newer')), hintValue(1, rec(8, 'current')));
    await engine.put(legacyKey(1, 'both', text('current-newer')), hintValue(1, rec(8, 'legacy')));
    await engine.put(hintKey(1, 'both', text('current-newer')), hintValue(1, rec(9, 'current')));

    const { hints, corrupt, dropped } = await openStore({}, engine);
    expect(await entries(engine, 'legacyHints')).toBe(0);
    expect(corrupt).toEqual([bad]);
    expect(dropped).toEqual([[undefined, 'corrupt']]);
    const all = await hints.scan(10_000);
    expect(all).toHaveLength(planted.length + 2);
    const byKey = new Map(all.map((h) => [`${h.partition}/${h.target}/${Buffer.from(h.key).toString('latin1')}`, h]));
    for (const h of planted) {
      const got = byKey.get(`${h.partition}/${h.target}/${Buffer.from(h.key).toString('latin1')}`)!;
      expect([valueOf(got.record), got.createdAtMs]).toEqual([`v${h.wall}`, 1000 + h.wall]);
    }
    expect(valueOf(byKey.get('1/both/legacy-newer')!.record)).toBe('legacy');
    expect(valueOf(byKey.get('1/both/current-newer')!.record)).toBe('current');
    // Bytes per target counted over the moved hints.
    const n0 = all.filter((h) => h.target === 'node-0').reduce((s, h) => s + h.storageKey.length + h.storedValue.length, 0);
    expect(hints.heldBytes('node-0')).toBe(n0);

    // Opened again: nothing left to move, the same count.
    const again = await openStore({}, engine);
    expect(again.corrupt).toEqual([]);
    expect(again.hints.heldBytes('node-0')).toBe(n0);
    expect(await again.hints.scan(10_000)).toHaveLength(planted.length + 2);
  });

  describe('quota per target', () => {
    const key = (i: number) => text(`key-${String(i).padStart(2, '0')}`);
    // Every hint below takes the same bytes: its key and its stored value.
    const HINT_BYTES = hintKey(0, 'n2', key(0)).length + 8 + encodeRecord(rec(1, 'value')).length;
    const limit = 3 * HINT_BYTES;

    test('a hint past the quota of its target is refused and counted; other targets are not affected; removal frees room', async () => {
      const { hints, dropped } = await openStore({ maxBytesPerTarget: limit });
      for (let i = 0; i < 3; i++) await hints.store(0, 'n2', key(i), rec(1, 'value'), 0);
      expect(hints.heldBytes('n2')).toBe(limit);
      const refused = hints.store(0, 'n2', key(3), rec(1, 'value'), 0);
      await expect(refused).rejects.toBeInstanceOf(HintQuotaExceededError);
      await expect(refused).rejects.toMatchObject({ code: 'HINT_QUOTA_EXCEEDED', retryable: false, details: { target: 'n2', limitBytes: limit } });
      expect(dropped).toEqual([['n2', 'quota']]);
      // Another target has its own quota.
      for (let i = 0; i < 3; i++) await hints.store(0, 'n3', key(i), rec(1, 'value'), 0);
      // Replacing a held hint by a newer one of the same size counts only the difference (none);
      // one that would grow it is refused.
      await hints.store(0, 'n2', key(0), rec(2, 'VALUE'), 0);
      await expect(hints.store(0, 'n2', key(0), rec(3, 'larger value'), 0)).rejects.toBeInstanceOf(HintQuotaExceededError);
      expect(hints.heldBytes('n2')).toBe(limit);
      const [first] = await hints.scan(1);
      await hints.remove(first);
      expect(hints.heldBytes('n2')).toBe(2 * HINT_BYTES);
      await hints.store(0, 'n2', key(3), rec(1, 'value'), 0);
      expect((await hints.scan(10)).filter((h) => h.target === 'n2').map((h) => new TextDecoder().decode(h.key))).toEqual(['key-01', 'key-02', 'key-03']);
    });

    test('open() counts the bytes already held from disk', async () => {
      const { engine, hints } = await openStore({ maxBytesPerTarget: limit });
      for (let i = 0; i < 3; i++) await hints.store(0, 'n2', key(i), rec(1, 'value'), 0);
      await hints.store(0, 'n3', key(0), rec(1, 'value'), 0);
      const reopened = await openStore({ maxBytesPerTarget: limit }, engine);
      expect([reopened.hints.heldBytes('n2'), reopened.hints.heldBytes('n3')]).toEqual([limit, HINT_BYTES]);
      await expect(reopened.hints.store(0, 'n2', key(9), rec(1, 'value'), 0)).rejects.toBeInstanceOf(HintQuotaExceededError);
      await reopened.hints.store(0, 'n3', key(9), rec(1, 'value'), 0);
    });

    test('0 is no limit', async () => {
      const { hints } = await openStore({ maxBytesPerTarget: 0 });
      for (let i = 0; i < 50; i++) await hints.store(0, 'n2', key(i), rec(1, 'value'), 0);
      expect(hints.heldBytes('n2')).toBe(50 * HINT_BYTES);
    });
  });

  describe('corrupt hints', () => {
    /** Stores hints k0..k{n-1} for n2 (and one for n3 after them), then garbles some. */
    async function planted(n: number) {
      const opened = await openStore();
      for (let i = 0; i < n; i++) await opened.hints.store(0, 'n2', text(`k${i}`), rec(1, `v${i}`), 10);
      await opened.hints.store(1, 'n3', text('last'), rec(1, 'last'), 10);
      const stored = async (i: number) => (await opened.engine.get(hintKey(0, 'n2', text(`k${i}`))))!.slice();
      return {
        ...opened,
        /** Flips the record's last byte: its checksum fails. */
        badRecord: async (i: number) => {
          const v = await stored(i);
          v[v.length - 1] ^= 1;
          await opened.engine.put(hintKey(0, 'n2', text(`k${i}`)), v);
        },
        /** A creation time that is not a number: a hint that would never expire. */
        badTime: async (i: number) => {
          const v = await stored(i);
          new DataView(v.buffer).setFloat64(0, NaN);
          await opened.engine.put(hintKey(0, 'n2', text(`k${i}`)), v);
        },
      };
    }

    test('scan() skips and deletes an undecodable hint and returns the hints after it', async () => {
      const s = await planted(6);
      await s.badRecord(1);
      await s.badTime(3);
      // A key that does not parse (its id length runs past its end), in the middle of the key space.
      const badKey = Uint8Array.of(KEYSPACES.hints, 0, 0, 40, 0x6e);
      await s.engine.put(badKey, new Uint8Array(12));
      const before = s.hints.heldBytes('n2');
      const got = await s.hints.scan(100);
      expect(got.map((h) => `${h.target}:${new TextDecoder().decode(h.key)}`)).toEqual(['n2:k0', 'n2:k2', 'n2:k4', 'n2:k5', 'n3:last']);
      expect(s.corrupt.map((k) => Buffer.from(k).toString('hex')).sort()).toEqual(
        [badKey, hintKey(0, 'n2', text('k1')), hintKey(0, 'n2', text('k3'))].map((k) => Buffer.from(k).toString('hex')).sort(),
      );
      expect(s.dropped.map(([t, r]) => `${t}:${r}`).sort()).toEqual(['n2:corrupt', 'n2:corrupt', 'undefined:corrupt']);
      expect(await entries(s.engine, 'hints')).toBe(5);
      expect(s.hints.heldBytes('n2')).toBe(before - 2 * got[0].storageKey.length - 2 * got[0].storedValue.length);
      // Gone for good: the next scan sees only good hints and reports nothing more.
      expect(await s.hints.scan(100)).toHaveLength(5);
      expect(s.corrupt).toHaveLength(3);
    });

    test('a page of corrupt hints does not end a scan: it still returns `limit` good hints when there are', async () => {
      const s = await planted(8);
      for (const i of [0, 1, 2, 4]) await s.badRecord(i);
      const page = await s.hints.scan(2);
      expect(page.map((h) => new TextDecoder().decode(h.key))).toEqual(['k3', 'k5']);
      // Paging on from the last one, as hinted handoff does.
      const next = await s.hints.scan(2, page[1].storageKey);
      expect(next.map((h) => new TextDecoder().decode(h.key))).toEqual(['k6', 'k7']);
      expect(s.corrupt).toHaveLength(4);
    });

    test('a new hint for the key of a corrupt one replaces it, reported once', async () => {
      const s = await planted(2);
      await s.badRecord(0);
      await s.hints.store(0, 'n2', text('k0'), rec(1, 'again'), 50);
      expect(s.corrupt).toEqual([hintKey(0, 'n2', text('k0'))]);
      expect(s.dropped).toEqual([['n2', 'corrupt']]);
      const [first] = await s.hints.scan(1);
      expect([valueOf(first.record), first.createdAtMs]).toEqual(['again', 50]);
      expect(s.corrupt).toHaveLength(1);
      expect(decodeRecord((await s.engine.get(first.storageKey))!.subarray(8)).ts.wallMs).toBe(1);
    });
  });
});
