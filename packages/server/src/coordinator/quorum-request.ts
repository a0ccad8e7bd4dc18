// One coordinated request's ending, written once for the write and the read path: it settles
// exactly once, by its quorum's outcome or by its deadline (all of a node's deadlines share one
// timer), and every ending is counted by outcome.
import type { DeadlineQueue } from './deadline-queue.js';
import type { ReplicationMetrics } from '../observability/replication-metrics.js';
import { RequestTimeoutError } from '../errors.js';

export type CoordinatedOp = 'read' | 'write';

/** What the path running a request uses to end it. Only the first ending counts. */
export interface QuorumCall<T> {
  /** Whether the request has ended (answered, failed or timed out). */
  readonly ended: boolean;
  succeed(value: T): void;
  /** Ends it with `err`, counted as `outcome`. */
  fail(err: Error, outcome?: 'failed' | 'unavailable'): void;
  /** Ends it now, answered when `finishing` settles (the deadline no longer applies). */
  endWith(finishing: Promise<T>): void;
}

export class QuorumRequests {
  constructor(
    private readonly deadlines: DeadlineQueue,
    private readonly metrics: ReplicationMetrics,
  ) {}

  /**
   * Runs a request: `start` sends to the replicas and ends the call as their replies come in.
   * `timeoutDetails` says, when the deadline passes first, what had been reached.
   */
  run<T>(op: CoordinatedOp, timeoutDetails: () => Record<string, unknown>, start: (call: QuorumCall<T>) => void): Promise<T> {
    const { deadlines, metrics } = this;
    return new Promise<T>((resolve, reject) => {
      let ended = false;
      const deadline = deadlines.add(() => {
        if (ended) return;
        ended = true;
        metrics.countCoordinated(op, 'timeout');
        reject(new RequestTimeoutError(deadlines.delayMs, timeoutDetails()));
      });
      const end = (): boolean => {
        if (ended) return false;
        ended = true;
        deadline.done();
        return true;
      };
      const call: QuorumCall<T> = {
        get ended() {
          return ended;
        },
        succeed(value) {
          if (!end()) return;
          metrics.countCoordinated(op, 'succeeded');
          resolve(value);
        },
        fail(err, outcome = 'failed') {
          if (!end()) return;
          metrics.countCoordinated(op, outcome);
          reject(err);
        },
        endWith(finishing) {
          if (!end()) return;
          finishing.then(
            (value) => {
              metrics.countCoordinated(op, 'succeeded');
              resolve(value);
            },
            (err: unknown) => {
              metrics.countCoordinated(op, 'failed');
              reject(err);
            },
          );
        },
      };
      try {
        start(call);
      } catch (err) {
        call.fail(err as Error);
      }
    });
  }
}
