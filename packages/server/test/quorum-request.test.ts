// A coordinated request ends exactly once: by its quorum (succeed, fail, endWith) or by its
// deadline, whichever comes first; every ending is counted once, by outcome.
import { describe, expect, test } from '@jest/globals';
import { DeadlineQueue } from '../src/coordinator/deadline-queue.js';
import { QuorumRequests, type QuorumCall } from '../src/coordinator/quorum-request.js';
import type { ReplicationMetrics } from '../src/observability/replication-metrics.js';
import { RequestTimeoutError } from '../src/errors.js';
import { ManualClock } from '../../../test/support/manual-clock.js';

function setup() {
  const clock = new ManualClock(0);
  const counted: string[] = [];
  const metrics = { countCoordinated: (op: string, outcome: string) => counted.push(`${op} ${outcome}`) } as unknown as ReplicationMetrics;
  const requests = new QuorumRequests(new DeadlineQueue(clock, 100), metrics);
  return { clock, counted, requests };
}

/** Settles a promise's outcome into a value the test can compare. */
const outcomeOf = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

describe('QuorumRequests', () => {
  test('the first ending wins; later ones change nothing and are not counted', async () => {
    const { counted, requests } = setup();
    let call!: QuorumCall<string>;
    const answer = requests.run<string>('read', () => ({}), (c) => (call = c));
    expect(call.ended).toBe(false);
    call.succeed('first');
    call.fail(new Error('late'));
    call.succeed('second');
    expect(call.ended).toBe(true);
    await expect(answer).resolves.toBe('first');
    expect(counted).toEqual(['read succeeded']);
  });

  test('a failure is counted as the outcome given', async () => {
    const { counted, requests } = setup();
    const err = new Error('too few replicas');
    await expect(requests.run('write', () => ({}), (c) => c.fail(err, 'unavailable'))).rejects.toBe(err);
    expect(counted).toEqual(['write unavailable']);
  });

  test('the deadline rejects with the details of what was reached, once', async () => {
    const { clock, counted, requests } = setup();
    let call!: QuorumCall<number>;
    const answer = outcomeOf(requests.run<number>('write', () => ({ required: 2, acked: 1 }), (c) => (call = c)));
    clock.advance(99);
    expect(call.ended).toBe(false);
    clock.advance(1);
    expect(call.ended).toBe(true);
    call.succeed(1); // a reply after the deadline
    const { error } = (await answer) as { error: RequestTimeoutError };
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.details).toEqual({ timeoutMs: 100, required: 2, acked: 1 });
    expect(counted).toEqual(['write timeout']);
  });

  test('endWith: the deadline no longer applies, the answer is what finishing gives', async () => {
    const { clock, counted, requests } = setup();
    let finish!: (v: string) => void;
    const answer = requests.run<string>('read', () => ({}), (c) => c.endWith(new Promise((r) => (finish = r))));
    clock.advance(1000);
    expect(clock.pendingTimers).toBe(0);
    finish('repaired');
    await expect(answer).resolves.toBe('repaired');
    expect(counted).toEqual(['read succeeded']);
  });

  test('endWith a rejection counts a failure', async () => {
    const { counted, requests } = setup();
    const err = new Error('repair failed');
    await expect(requests.run('read', () => ({}), (c) => c.endWith(Promise.reject(err)))).rejects.toBe(err);
    expect(counted).toEqual(['read failed']);
  });

  test('a start that throws fails the request instead of throwing to the caller', async () => {
    const { counted, requests } = setup();
    const err = new Error('no ring yet');
    const answer = requests.run('read', () => ({}), () => {
      throw err;
    });
    await expect(answer).rejects.toBe(err);
    expect(counted).toEqual(['read failed']);
  });
});
