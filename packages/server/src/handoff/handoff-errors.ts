// Errors of handoff, partition and hint, with stable codes (listed in docs/errors.md).
import { RingkvError } from '@ringkv/core';

/**
 * The hints kept for one target hold maxBytesPerTarget already (as Cassandra's
 * max_hints_size_per_host): the hint is dropped, counted, and left to anti-entropy, so a long
 * outage cannot fill this node's disk. Not retryable: room comes back only as hints are delivered.
 */
export class HintQuotaExceededError extends RingkvError {
  static readonly code = 'HINT_QUOTA_EXCEEDED';

  constructor(target: string, heldBytes: number, limitBytes: number) {
    super(HintQuotaExceededError.code, `hints for ${target} hold ${heldBytes} of their ${limitBytes} bytes; the hint is dropped`, {
      details: { target, heldBytes, limitBytes },
    });
  }
}

/** A pull of a partition this node is itself still missing: ask another source. */
export class PartitionNotHeldError extends RingkvError {
  static readonly code = 'PARTITION_NOT_HELD';

  constructor(partition: number) {
    super(PartitionNotHeldError.code, `this node has not received partition ${partition} yet`, { retryable: true, details: { partition } });
  }
}

/**
 * A streamed chunk (or the manifest listing it) kept failing its checksum: refetched a few times,
 * each copy hashed to something else than the manifest says. The pull of the partition from this
 * source fails and is tried again later, from the last chunk that passed.
 */
export class StreamChecksumMismatchError extends RingkvError {
  static readonly code = 'STREAM_CHECKSUM_MISMATCH';

  constructor(partition: number, source: string, what: string, attempts: number) {
    super(StreamChecksumMismatchError.code, `${what} of partition ${partition} from ${source} failed its checksum ${attempts} times`, {
      retryable: true, details: { partition, source, what, attempts },
    });
  }
}
