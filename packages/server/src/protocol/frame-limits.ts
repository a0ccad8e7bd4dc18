// The largest frame a node accepts from an authenticated peer: twice the largest message its own
// limits allow (a batch frame holds at most frameTarget bytes of messages, or one larger message
// alone). Anything bigger is no legal message of this cluster, so the WebSocket refuses it before
// buffering more (ws maxPayload). Handshake frames have their own, much smaller cap
// (HANDSHAKE_FRAME_MAX_BYTES), and a connection sends at most PRE_AUTH_BYTES_MAX before it proved
// the secret.
import { RECORD_OVERHEAD_BYTES, membershipStateMaxBytes } from './peer-messages.js';

export interface FrameLimitInputs {
  partitions: number;
  maxKeyBytes: number;
  maxValueBytes: number;
  streamChunkBytes: number;
  /** Entry bytes of one anti-entropy message (pageBytes), and its trees' leaf buckets. */
  antiEntropyPageBytes: number;
  treeBuckets: number;
  /** The batch frame size the sender aims for. */
  frameTargetBytes: number;
}

/** msgpack adds a few bytes per entry (array and bin headers): at most half again for the smallest entries. */
const ENTRY_ENCODING_FACTOR = 1.5;
const ENVELOPE_BYTES = 64 * 1024;

export function largestMessageBytes(l: FrameLimitInputs): number {
  const entry = l.maxKeyBytes + l.maxValueBytes + RECORD_OVERHEAD_BYTES;
  return Math.ceil(Math.max(
    entry, // a replica write or read reply
    ENTRY_ENCODING_FACTOR * l.streamChunkBytes + entry, // a stream chunk: up to its size, or one entry past an empty chunk
    ENTRY_ENCODING_FACTOR * l.antiEntropyPageBytes + entry + 4 * l.treeBuckets, // an exchange step and its bucket list
    membershipStateMaxBytes(l.partitions), // a membership state (Raft snapshot, MembershipReply)
    l.frameTargetBytes,
  )) + ENVELOPE_BYTES;
}

/** The post-authentication frame cap: twice the largest legal message, in whole KiB. */
export function peerFrameCapBytes(l: FrameLimitInputs): number {
  return Math.ceil((2 * largestMessageBytes(l)) / 1024) * 1024;
}
