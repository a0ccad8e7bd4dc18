// Errors of membership changes.
import { RingkvError } from '@ringkv/core';

/** No Raft leader is known or reachable right now; retry shortly. */
export class NoLeaderError extends RingkvError {
  static readonly code = 'NO_LEADER';

  constructor(message = 'no membership leader is known right now; retry shortly') {
    super(NoLeaderError.code, message, { retryable: true });
  }
}

/** The change was committed but refused by the membership rules (unknown member, duplicate id...). */
export class MembershipChangeRefusedError extends RingkvError {
  static readonly code = 'MEMBERSHIP_CHANGE_REFUSED';

  /** What the change asks for already holds (a retried add of the same member): done, in effect. */
  readonly inEffect: boolean;

  constructor(reason: string, inEffect = false) {
    super(MembershipChangeRefusedError.code, reason, inEffect ? { details: { inEffect } } : {});
    this.inEffect = inEffect;
  }
}

/** The change did not commit in time (it may still commit). */
export class MembershipChangeTimeoutError extends RingkvError {
  static readonly code = 'MEMBERSHIP_CHANGE_TIMEOUT';

  constructor(timeoutMs: number) {
    super(MembershipChangeTimeoutError.code, `the membership change did not commit within ${timeoutMs} ms; it may still commit`, { retryable: true });
  }
}
