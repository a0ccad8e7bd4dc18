import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { WriteQuorum, type QuorumOutcome, type WriteTarget } from '@ringkv/core';

const primary = (node: string): WriteTarget => ({ node, hinted: false });
const hint = (node: string, forNode: string): WriteTarget => ({ node, hinted: true, forNode });
const abc = [primary('a'), primary('b'), primary('c')];

describe('WriteQuorum', () => {
  test('succeeds at the w-th ack; later acks and fails leave the outcome but move the count', () => {
    const q = new WriteQuorum({ targets: abc, w: 2, strict: false });
    expect(q.outcome()).toEqual({ state: 'pending' });
    expect(q.ack('a')).toEqual({ state: 'pending' });
    expect(q.ack('b')).toEqual({ state: 'succeeded', acked: 2 });
    expect(q.fail('c', 'timeout')).toEqual({ state: 'succeeded', acked: 2 });
    expect(q.ack('c')).toEqual({ state: 'succeeded', acked: 2 }); // late ack after the timeout
    expect(q.acked()).toBe(3);
    expect(q.failures()).toEqual([]);
  });

  test('fails as soon as w is out of reach, with what was needed and what acked', () => {
    const q = new WriteQuorum({ targets: abc, w: 2, strict: false });
    expect(q.ack('a')).toEqual({ state: 'pending' });
    expect(q.fail('b', 'refused')).toEqual({ state: 'pending' });
    expect(q.fail('c')).toEqual({ state: 'failed', required: 2, acked: 1 });
    expect(q.ack('b')).toEqual({ state: 'failed', required: 2, acked: 1 });
    expect(q.acked()).toBe(2);
  });

  test('w = n fails on the first failure', () => {
    const q = new WriteQuorum({ targets: abc, w: 3, strict: false });
    expect(q.fail('b')).toEqual({ state: 'failed', required: 3, acked: 0 });
  });

  test('sloppy quorum: a hinted stand-in counts toward w', () => {
    const q = new WriteQuorum({ targets: [primary('a'), hint('d', 'b'), primary('c')], w: 2, strict: false });
    q.ack('a');
    expect(q.ack('d')).toEqual({ state: 'succeeded', acked: 2 });
    expect(q.ackedTargets()).toEqual([primary('a'), hint('d', 'b')]);
  });

  test('strict: hinted acks do not count, but are still reported as acked targets', () => {
    const q = new WriteQuorum({ targets: [primary('a'), hint('d', 'b'), primary('c')], w: 2, strict: true });
    q.ack('a');
    expect(q.ack('d')).toEqual({ state: 'pending' });
    expect(q.acked()).toBe(1);
    expect(q.ackedTargets().map((t) => t.node)).toEqual(['a', 'd']);
    expect(q.fail('c', 'down')).toEqual({ state: 'failed', required: 2, acked: 1 });
    expect(q.failures()).toEqual([{ node: 'c', reason: 'down' }]);
  });

  test('strict with fewer primaries than w fails before any reply', () => {
    const q = new WriteQuorum({ targets: [primary('a'), hint('d', 'b'), hint('e', 'c')], w: 2, strict: true });
    expect(q.outcome()).toEqual({ state: 'failed', required: 2, acked: 0 });
  });

  test('no targets at all fails at once', () => {
    expect(new WriteQuorum({ targets: [], w: 1, strict: false }).outcome()).toEqual({ state: 'failed', required: 1, acked: 0 });
  });

  test('duplicate acks count once; unknown nodes are ignored; a fail after an ack is ignored', () => {
    const q = new WriteQuorum({ targets: abc, w: 2, strict: false });
    q.ack('a');
    expect(q.ack('a')).toEqual({ state: 'pending' });
    expect(q.ack('zz')).toEqual({ state: 'pending' });
    expect(q.fail('zz')).toEqual({ state: 'pending' });
    expect(q.fail('a')).toEqual({ state: 'pending' });
    expect(q.acked()).toBe(1);
    expect(q.failures()).toEqual([]);
    expect(q.ack('c')).toEqual({ state: 'succeeded', acked: 2 });
  });

  test('an ack after a failure counts while the write is still pending', () => {
    const q = new WriteQuorum({ targets: abc, w: 2, strict: false });
    q.fail('a', 'timeout');
    expect(q.failures()).toEqual([{ node: 'a', reason: 'timeout' }]);
    q.ack('a');
    expect(q.failures()).toEqual([]);
    expect(q.ack('b')).toEqual({ state: 'succeeded', acked: 2 });
  });

  test('a node listed twice is one replica', () => {
    const q = new WriteQuorum({ targets: [primary('a'), primary('a'), primary('b')], w: 3, strict: false });
    expect(q.outcome()).toEqual({ state: 'failed', required: 3, acked: 0 });
  });

  test.each([[0], [-1], [1.5]])('w=%p is a programmer mistake', (w) => {
    expect(() => new WriteQuorum({ targets: abc, w, strict: false })).toThrow(RangeError);
  });
});

// The dumb reference: recompute everything from the whole prefix of events, every time.
type Ev = { kind: 'ack' | 'fail'; node: string };
function referenceOutcome(targets: WriteTarget[], w: number, strict: boolean, events: Ev[]): { outcome: QuorumOutcome; acked: number } {
  const counted = (t: WriteTarget) => !t.hinted || strict === false;
  const countsAt = (i: number) => {
    const prefix = events.slice(0, i);
    let acks = 0;
    let waiting = 0;
    for (const t of targets.filter(counted)) {
      const acked = prefix.some((e) => e.kind === 'ack' && e.node === t.node);
      const failed = prefix.some((e) => e.kind === 'fail' && e.node === t.node);
      if (acked) acks++;
      else if (!failed) waiting++;
    }
    return { acks, waiting };
  };
  let outcome: QuorumOutcome = { state: 'pending' };
  for (let i = 0; i <= events.length; i++) {
    const { acks, waiting } = countsAt(i);
    if (acks >= w) outcome = { state: 'succeeded', acked: acks };
    else if (acks + waiting < w) outcome = { state: 'failed', required: w, acked: acks };
    if (outcome.state !== 'pending') break;
  }
  return { outcome, acked: countsAt(events.length).acks };
}

describe('WriteQuorum against a reference', () => {
  test('outcome and ack count after every event', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...nodes), { maxLength: 5 }).chain((ns) =>
          fc.tuple(
            fc.tuple(...ns.map((node) => fc.boolean().map((hinted): WriteTarget => ({ node, hinted })))),
            fc.integer({ min: 1, max: 6 }),
            fc.boolean(),
            fc.array(fc.record({ kind: fc.constantFrom('ack' as const, 'fail' as const), node: fc.constantFrom(...nodes, 'x') }), { maxLength: 16 }),
          ),
        ),
        ([targets, w, strict, events]) => {
          const q = new WriteQuorum({ targets, w, strict });
          expect(q.outcome()).toEqual(referenceOutcome(targets, w, strict, []).outcome);
          events.forEach((e, i) => {
            const got = e.kind === 'ack' ? q.ack(e.node) : q.fail(e.node);
            const want = referenceOutcome(targets, w, strict, events.slice(0, i + 1));
            expect(got).toEqual(want.outcome);
            expect(q.outcome()).toEqual(want.outcome);
            expect(q.acked()).toBe(want.acked);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
