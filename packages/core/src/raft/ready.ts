// The output batch of a RaftNode and the contract for handling it (see RaftNode.ready/advance).
import type { RaftMessage } from './messages.js';
import type { Entry, HardState, Snapshot, SoftState } from './types.js';

export interface Ready {
  /** Changed since the last Ready: volatile role and leader, for observability. */
  softState?: SoftState;
  /** Changed since the last Ready: persist it (after `snapshot`, with or after `entries`). */
  hardState?: HardState;
  /**
   * Entries to persist. They may overwrite a conflicting suffix: delete every persisted entry at
   * index >= entries[0].index, then append these. Empty if nothing new.
   */
  entries: Entry[];
  /** A snapshot received from the leader: persist it (replacing the whole persisted log), then apply. */
  snapshot?: Snapshot;
  /** Committed entries to apply to the state machine, in order, after the snapshot if any. */
  committedEntries: Entry[];
  /** Messages to send, ONLY after snapshot, entries and hardState are durable. */
  messages: RaftMessage[];
}

export function isEmptyReady(rd: Ready): boolean {
  return (
    rd.softState === undefined &&
    rd.hardState === undefined &&
    rd.snapshot === undefined &&
    rd.entries.length === 0 &&
    rd.committedEntries.length === 0 &&
    rd.messages.length === 0
  );
}
