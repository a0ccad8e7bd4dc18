// Errors of membership changes.
import { RingkvError } from '@ringkv/core';

/** No Raft leader is known or reachable right now; retry shortly. */
export class NoLeaderError extends RingkvError {
  constructor(message = 'no membership leader is known right now; retry shortly') {
    super('NO_LEADER', message, { retryable: true });
  }
}

/** The change was committed but refused by the membership rules (unknown member, duplicate id...). */
export class MembershipChangeRefusedError extends RingkvError {
  constructor(reason: string) {
    super('MEMBERSHIP_CHANGE_REFUSED', reason);
  }
}

/** The change did not commit in time (it may still commit). */
export class MembershipChangeTimeoutError extends RingkvError {
  constructor(timeoutMs: number) {
    super('MEMBERSHIP_CHANGE_TIMEOUT', `the membership change did not commit within ${timeoutMs} ms; it may still commit`, { retryable: true });
  }
}

export const MEMBERSHIP_ERROR_CODES = ['NO_LEADER', 'MEMBERSHIP_CHANGE_REFUSED', 'MEMBERSHIP_CHANGE_TIMEOUT'] as const;
