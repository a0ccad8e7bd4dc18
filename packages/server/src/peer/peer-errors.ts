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

export const PEER_ERROR_CODES = ['PEER_UNAVAILABLE', 'PEER_TIMEOUT', 'PEER_OVERLOADED', 'PEER_REMOTE', 'PEER_HANDSHAKE_REFUSED', 'PEER_MESSAGE_TOO_LARGE'] as const;

/** A message larger than the peer frame limit: it is never sent. */
export class PeerMessageTooLargeError extends PeerError {
  constructor(address: string, bytes: number, limitBytes: number) {
    super('PEER_MESSAGE_TOO_LARGE', `message of ${bytes} bytes to ${address} exceeds the frame limit of ${limitBytes} bytes`, { details: { peer: address, bytes, limitBytes } });
  }
}
