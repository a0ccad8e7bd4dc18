// Errors of peer communication, with stable codes. Retryable: another replica or a later attempt
// may succeed.
import { RingkvError } from '@ringkv/core';

export class PeerError extends RingkvError {}

export class PeerUnavailableError extends PeerError {
  static readonly code = 'PEER_UNAVAILABLE';

  constructor(address: string, reason: string) {
    super(PeerUnavailableError.code, `peer ${address} unavailable: ${reason}`, { retryable: true, details: { peer: address } });
  }
}

export class PeerTimeoutError extends PeerError {
  static readonly code = 'PEER_TIMEOUT';

  constructor(address: string, timeoutMs: number) {
    super(PeerTimeoutError.code, `peer ${address} did not answer within ${timeoutMs} ms`, { retryable: true, details: { peer: address, timeoutMs } });
  }
}

export class PeerOverloadedError extends PeerError {
  static readonly code = 'PEER_OVERLOADED';

  constructor(address: string, queued: number) {
    super(PeerOverloadedError.code, `too many requests queued for peer ${address} (${queued})`, { retryable: true, details: { peer: address } });
  }
}

export class PeerRemoteError extends PeerError {
  static readonly code = 'PEER_REMOTE';

  constructor(address: string, readonly remoteCode: string, message: string) {
    super(PeerRemoteError.code, `peer ${address} failed: ${remoteCode}: ${message}`, { retryable: true, details: { peer: address, remoteCode } });
  }
}

/** The handshake was refused: wrong secret, protocol version or cluster. */
export class PeerHandshakeError extends PeerError {
  static readonly code = 'PEER_HANDSHAKE_REFUSED';

  constructor(address: string, reason: string) {
    super(PeerHandshakeError.code, `handshake with ${address} refused: ${reason}`, { details: { peer: address } });
  }
}


/** A request body that fails its schema: the handler never sees it. */
export class PeerBadMessageError extends PeerError {
  static readonly code: string = 'PEER_BAD_MESSAGE';

  constructor(message: string) {
    // A subclass names a more specific code.
    super((new.target as typeof PeerBadMessageError).code, message);
  }
}

/** A request of a type this node does not know (or serves no handler for). */
export class PeerUnknownMessageError extends PeerBadMessageError {
  static override readonly code: string = 'PEER_UNKNOWN_MESSAGE';
}

/** The node has no peer request handler yet (it is still starting): answered, never thrown. */
export class PeerNoHandlerError extends PeerError {
  static readonly code = 'PEER_NO_HANDLER';

  constructor() {
    super(PeerNoHandlerError.code, 'this node has no peer request handler yet');
  }
}

/** A reply the serving node could not encode (sent instead of it). */
export class PeerReplyUnencodableError extends PeerError {
  static readonly code = 'PEER_REPLY_UNENCODABLE';

  constructor(message: string) {
    super(PeerReplyUnencodableError.code, message);
  }
}

/** An error reply that does not decode: what the caller sees instead of it. */
export class PeerBadErrorReplyError extends PeerError {
  static readonly code = 'PEER_BAD_ERROR_REPLY';

  constructor() {
    super(PeerBadErrorReplyError.code, 'the peer sent a malformed error reply');
  }
}

/** A reply that fails its schema: the request counts as failed. */
export class PeerBadReplyError extends PeerError {
  static readonly code = 'PEER_BAD_REPLY';

  constructor(address: string, message: string) {
    super(PeerBadReplyError.code, `peer ${address} sent a malformed reply: ${message}`, { retryable: true, details: { peer: address } });
  }
}

/**
 * The sender may not ask this: it is not a member, its message claims another sender, or it
 * asks about a partition neither of the two replicates.
 */
export class PeerForbiddenError extends PeerError {
  static readonly code = 'PEER_FORBIDDEN';

  constructor(message: string) {
    super(PeerForbiddenError.code, message);
  }
}

/** A message larger than the peer frame limit: it is never sent. */
export class PeerMessageTooLargeError extends PeerError {
  static readonly code = 'PEER_MESSAGE_TOO_LARGE';

  constructor(address: string, bytes: number, limitBytes: number) {
    super(PeerMessageTooLargeError.code, `message of ${bytes} bytes to ${address} exceeds the frame limit of ${limitBytes} bytes`, { details: { peer: address, bytes, limitBytes } });
  }
}

/** The peer could not be reached, or would not let this node in: evidence for liveness that it is down. */
export function isPeerUnreachable(err: unknown): boolean {
  return err instanceof PeerUnavailableError || err instanceof PeerHandshakeError;
}
