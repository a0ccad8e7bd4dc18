// Errors of peer communication, with stable codes. Retryable: another replica or a later attempt
// may succeed.
import { RingkvError } from '@ringkv/core';

export class PeerError extends RingkvError {}

export class PeerUnavailableError extends PeerError {
  constructor(address: string, reason: string) {
    super('PEER_UNAVAILABLE', `peer ${address} unavailable: ${reason}`, { retryable: true, details: { peer: address } });
  }
}

export class PeerTimeoutError extends PeerError {
  constructor(address: string, timeoutMs: number) {
    super('PEER_TIMEOUT', `peer ${address} did not answer within ${timeoutMs} ms`, { retryable: true, details: { peer: address, timeoutMs } });
  }
}

export class PeerOverloadedError extends PeerError {
  constructor(address: string, queued: number) {
    super('PEER_OVERLOADED', `too many requests queued for peer ${address} (${queued})`, { retryable: true, details: { peer: address } });
  }
}

export class PeerRemoteError extends PeerError {
  constructor(address: string, readonly remoteCode: string, message: string) {
    super('PEER_REMOTE', `peer ${address} failed: ${remoteCode}: ${message}`, { retryable: true, details: { peer: address, remoteCode } });
  }
}

/** The handshake was refused: wrong secret, protocol version or cluster. */
export class PeerHandshakeError extends PeerError {
  constructor(address: string, reason: string) {
    super('PEER_HANDSHAKE_REFUSED', `handshake with ${address} refused: ${reason}`, { details: { peer: address } });
  }
}

export const PEER_ERROR_CODES = [
  'PEER_UNAVAILABLE', 'PEER_TIMEOUT', 'PEER_OVERLOADED', 'PEER_REMOTE', 'PEER_HANDSHAKE_REFUSED', 'PEER_MESSAGE_TOO_LARGE',
  'PEER_BAD_MESSAGE', 'PEER_UNKNOWN_MESSAGE', 'PEER_BAD_REPLY', 'PEER_BAD_ERROR_REPLY', 'PEER_FORBIDDEN', 'PEER_NO_HANDLER',
  'PEER_REPLY_UNENCODABLE',
] as const;

/** A request body that fails its schema (or of an unknown type): the handler never sees it. */
export class PeerBadMessageError extends PeerError {
  constructor(message: string, code: 'PEER_BAD_MESSAGE' | 'PEER_UNKNOWN_MESSAGE' = 'PEER_BAD_MESSAGE') {
    super(code, message);
  }
}

/** A reply that fails its schema: the request counts as failed. */
export class PeerBadReplyError extends PeerError {
  constructor(address: string, message: string) {
    super('PEER_BAD_REPLY', `peer ${address} sent a malformed reply: ${message}`, { retryable: true, details: { peer: address } });
  }
}

/**
 * The sender may not ask this: it is not a member, its message claims another sender, or it
 * asks about a partition neither of the two replicates.
 */
export class PeerForbiddenError extends PeerError {
  constructor(message: string) {
    super('PEER_FORBIDDEN', message);
  }
}

/** A message larger than the peer frame limit: it is never sent. */
export class PeerMessageTooLargeError extends PeerError {
  constructor(address: string, bytes: number, limitBytes: number) {
    super('PEER_MESSAGE_TOO_LARGE', `message of ${bytes} bytes to ${address} exceeds the frame limit of ${limitBytes} bytes`, { details: { peer: address, bytes, limitBytes } });
  }
}

/** The peer could not be reached, or would not let this node in: evidence for liveness that it is down. */
export function isPeerUnreachable(err: unknown): boolean {
  return err instanceof PeerUnavailableError || err instanceof PeerHandshakeError;
}
