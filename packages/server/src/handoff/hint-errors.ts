// Errors of the hint store, with stable codes (listed in docs/errors.md).
import { RingkvError } from '@ringkv/core';

/**
 * The hints kept for one target hold maxBytesPerTarget already (as Cassandra's
 * max_hints_size_per_host): the hint is dropped, counted, and left to anti-entropy, so a long
 * outage cannot fill this node's disk. Not retryable: room comes back only as hints are delivered.
 */
export class HintQuotaExceededError extends RingkvError {
  constructor(target: string, heldBytes: number, limitBytes: number) {
    super('HINT_QUOTA_EXCEEDED', `hints for ${target} hold ${heldBytes} of their ${limitBytes} bytes; the hint is dropped`, {
      details: { target, heldBytes, limitBytes },
    });
  }
}

export const HINT_ERROR_CODES = ['HINT_QUOTA_EXCEEDED'] as const;
