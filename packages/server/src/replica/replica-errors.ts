// Errors of this node's replica store, with stable codes (listed in docs/errors.md).
import { RingkvError } from '@ringkv/core';

/**
 * The store's queue of applies holds maxQueueBytes already: the apply is refused at once, not
 * queued, so a flood cannot grow memory and latency without bound. Retryable: the queue drains at
 * the engine's batched rate.
 */
export class ReplicaOverloadedError extends RingkvError {
  static readonly code = 'REPLICA_OVERLOADED';

  constructor(queuedBytes: number, limitBytes: number) {
    super(ReplicaOverloadedError.code, `this node's replica has ${queuedBytes} bytes of writes queued (limit ${limitBytes}); retry later`, {
      retryable: true,
      details: { queuedBytes, limitBytes },
    });
  }
}
