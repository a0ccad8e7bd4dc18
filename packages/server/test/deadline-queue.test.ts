// One timer for many request timeouts: each expires exactly when a timer per request would have,
// never after it was settled, and nothing stays armed once every request is settled and the delay
// has passed.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DeadlineQueue } from '../src/coordinator/deadline-queue.js';
import { ManualClock } from '../../../test/support/manual-clock.js';

describe('DeadlineQueue', () => {
  test('expires what is not settled in time, and only that', () => {
    const clock = new ManualClock(0);
    const q = new DeadlineQueue(clock, 100);
    const expired: string[] = [];
    const a = q.add(() => expired.push('a'));
    clock.advance(40);
    const b = q.add(() => expired.push('b'));
    q.add(() => expired.push('c'));
    a.done();
    clock.advance(60); // a's deadline: a was settled
    expect(expired).toEqual([]);
    clock.advance(39);
    expect(expired).toEqual([]);
    clock.advance(1); // b's and c's deadline
    expect(expired).toEqual(['b', 'c']);
    b.done(); // after expiry: no effect
    expect(expired).toEqual(['b', 'c']);
    expect(clock.pendingTimers).toBe(0);
    expect(q.size).toBe(0);
  });

  test('requests settled at once (cache hits) share one timer instead of arming one each', () => {
    const clock = new ManualClock(0);
    const q = new DeadlineQueue(clock, 100);
    for (let i = 0; i < 1000; i++) {
      q.add(() => { throw new Error('a settled request expired'); }).done();
      clock.advance(i % 20 === 0 ? 1 : 0); // 50 ms in all, within one delay
    }
    expect(q.size).toBe(0);
    expect(clock.timersStarted).toBe(1);
    clock.advance(100); // the one timer fires, finds nothing, and is not re-armed
    expect(clock.pendingTimers).toBe(0);
    expect(clock.timersStarted).toBe(1);
  });

  test('matches a timer per request under any interleaving, and leaves no timer armed', () => {
    type Step = { kind: 'add' } | { kind: 'done'; pick: number } | { kind: 'advance'; ms: number };
    const step = fc.oneof(
      fc.constant<Step>({ kind: 'add' }),
      fc.nat(50).map<Step>((pick) => ({ kind: 'done', pick })),
      fc.integer({ min: 0, max: 80 }).map<Step>((ms) => ({ kind: 'advance', ms })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const clock = new ManualClock(0);
        const delay = 50;
        const q = new DeadlineQueue(clock, delay);
        const reqs: { addedAt: number; doneAt?: number; expiredAt?: number; handle: { done(): void } }[] = [];
        for (const s of steps) {
          if (s.kind === 'add') {
            const r: (typeof reqs)[number] = { addedAt: clock.nowMs(), handle: { done() {} } };
            r.handle = q.add(() => {
              expect(r.expiredAt).toBeUndefined();
              r.expiredAt = clock.nowMs();
            });
            reqs.push(r);
          } else if (s.kind === 'done' && reqs.length > 0) {
            const r = reqs[s.pick % reqs.length];
            r.handle.done();
            if (r.doneAt === undefined && r.expiredAt === undefined) r.doneAt = clock.nowMs();
          } else if (s.kind === 'advance') {
            clock.advance(s.ms);
          }
        }
        clock.advance(delay); // everything still waiting is now due
        for (const r of reqs) {
          if (r.doneAt !== undefined) expect(r.expiredAt).toBeUndefined();
          else expect(r.expiredAt).toBe(r.addedAt + delay);
        }
        expect(clock.pendingTimers).toBe(0);
        expect(q.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
