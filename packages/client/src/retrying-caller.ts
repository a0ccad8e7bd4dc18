// Runs one client call as a series of attempts: picks an endpoint, sends, and on failure decides
// (retry-policy.ts) whether to try again elsewhere after a jittered backoff, within the call's
// time budget and retry count.
import { AbortedError, ClientTimeoutError, isRingkvClientError, ServerError, type RingkvClientError } from './errors.js';
import type { EndpointPool } from './endpoint-pool.js';
import { sendAttempt, type AttemptRequest, type AttemptResult } from './http-attempt.js';
import type { ResolvedOptions } from './options.js';
import { backoffDelayMs, coolDownMs, isNodeFailure, shouldRetry, type OperationKind } from './retry-policy.js';

/** One call as the client methods describe it. */
export interface CallSpec {
  kind: OperationKind;
  method: AttemptRequest['method'];
  path: string;
  body?: Uint8Array;
  timeoutMs: number;
  retries: number;
  idempotent: boolean;
  signal?: AbortSignal;
}

/** Sends calls with failover and retries over an endpoint pool. */
export class RetryingCaller {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly pool: EndpointPool,
    /** Called when a node could not be used, so that discovery can refresh the list. */
    private readonly onNodeFailure: () => void = () => {},
  ) {}

  async call(spec: CallSpec): Promise<AttemptResult> {
    const { options, pool } = this;
    const deadline = options.now() + spec.timeoutMs;
    const tried = new Set<string>();
    const offset = pool.nextOffset();
    let attempts = 0;
    for (let retry = 0; ; retry++) {
      const endpoint = pool.pick(tried, offset);
      tried.add(endpoint);
      const leftMs = deadline - options.now();
      if (leftMs <= 0) throw finish(new ClientTimeoutError(spec.timeoutMs, endpoint), attempts);
      attempts++;
      let err: unknown;
      try {
        const transport = await options.transport();
        const result = await sendAttempt(transport.fetch, transport.dispatcher, {
          endpoint, method: spec.method, path: spec.path, body: spec.body, signal: spec.signal,
          timeoutMs: Math.min(options.attemptTimeoutMs, leftMs), credential: options.credential,
        });
        pool.markUp(endpoint);
        return result;
      } catch (e) {
        err = e;
      }
      if (isNodeFailure(err)) {
        pool.markDown(endpoint, (n) => coolDownMs(err, n));
        this.onNodeFailure();
      } else if (err instanceof ServerError) {
        pool.markUp(endpoint); // it answered: the node works, the request did not
      }
      if (retry >= spec.retries || !shouldRetry(spec.kind, err, spec.idempotent)) throw finish(err, attempts);
      const delayMs = backoffDelayMs(retry, options.backoffBaseMs, options.backoffMaxMs, options.random);
      if (options.now() + delayMs >= deadline) throw finish(err, attempts);
      try {
        if (delayMs > 0) await options.sleep(delayMs, spec.signal);
      } catch (sleepErr) {
        throw finish(new AbortedError(endpoint, sleepErr), attempts);
      }
      if (spec.signal?.aborted) throw finish(new AbortedError(endpoint, spec.signal.reason), attempts);
    }
  }
}

function finish(err: unknown, attempts: number): unknown {
  if (isRingkvClientError(err)) (err as RingkvClientError).extra.attempts = attempts;
  return err;
}
