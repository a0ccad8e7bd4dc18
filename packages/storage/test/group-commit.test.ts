// GroupCommitter against a fake native writer whose writes complete when the test says so.
import { describe, expect, test } from '@jest/globals';
import type { BatchOp } from '../src/engine.js';
import { GroupCommitter } from '../src/group-commit.js';

interface Call {
  ops: readonly BatchOp[];
  sync: boolean;
  finish: (err?: Error) => void;
}

function fakeWriter(): { calls: Call[]; write: (ops: readonly BatchOp[], sync: boolean) => Promise<void> } {
  const calls: Call[] = [];
  return {
    calls,
    write: (ops, sync) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ ops, sync, finish: (err) => (err ? reject(err) : resolve()) });
      }),
  };
}

const put = (n: number): BatchOp => ({ type: 'put', key: Uint8Array.of(n), value: Uint8Array.of(n) });
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitter', () => {
  test('the first synced write goes at once; those arriving meanwhile share one synced batch', async () => {
    const fake = fakeWriter();
    const gc = new GroupCommitter(fake.write);
    const settled: number[] = [];
    const first = gc.write([put(0)], true).then(() => settled.push(0));
    const rest = [1, 2, 3].map((n) => gc.write([put(n), put(n + 10)], true).then(() => settled.push(n)));
    await flush();
    expect(fake.calls).toHaveLength(1);
    expect(gc.queued).toBe(3);
    fake.calls[0].finish();
    await first;
    await flush();
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1].sync).toBe(true);
    expect(fake.calls[1].ops.map((op) => op.key[0])).toEqual([1, 11, 2, 12, 3, 13]);
    expect(settled).toEqual([0]);
    fake.calls[1].finish();
    await Promise.all(rest);
    expect(settled).toEqual([0, 1, 2, 3]);
    expect(gc.stats).toEqual({ groups: 2, writes: 4 });
  });

  test('unsynced writes take the fast path even while a group is in flight', async () => {
    const fake = fakeWriter();
    const gc = new GroupCommitter(fake.write);
    void gc.write([put(0)], true);
    const fast = gc.write([put(1)], false);
    expect(fake.calls.map((c) => c.sync)).toEqual([true, false]);
    fake.calls[1].finish();
    await fast;
    fake.calls[0].finish();
  });

  test('a failed group rejects every writer in it and the next group still runs', async () => {
    const fake = fakeWriter();
    const gc = new GroupCommitter(fake.write);
    const a = gc.write([put(0)], true);
    const b = gc.write([put(1)], true);
    const c = gc.write([put(2)], true);
    fake.calls[0].finish();
    await a;
    await flush();
    fake.calls[1].finish(new Error('disk full'));
    await expect(b).rejects.toThrow('disk full');
    await expect(c).rejects.toThrow('disk full');
    const d = gc.write([put(3)], true);
    await flush();
    fake.calls[2].finish();
    await d;
    expect(gc.stats).toEqual({ groups: 2, writes: 2 });
  });

  test('a group holds at most maxOps ops, but never splits one writer', async () => {
    const fake = fakeWriter();
    const gc = new GroupCommitter(fake.write, 3);
    const all = [gc.write([put(0)], true), gc.write([put(1), put(2)], true), gc.write([put(3), put(4)], true), gc.write([put(5), put(6), put(7), put(8)], true)];
    for (let i = 0; i < 4; i++) {
      await flush();
      fake.calls[i].finish();
    }
    await Promise.all(all);
    expect(fake.calls.map((c) => c.ops.length)).toEqual([1, 2, 2, 4]);
  });
});
