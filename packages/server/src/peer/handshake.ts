// The first frames on every peer connection: both sides state protocol version, node id and
// advertised address, and prove they hold the cluster secret without sending it. Each side picks
// a random nonce; each proves with HMAC-SHA256(secret, role, both nonces, both identities). The
// role label keeps one side's proof from being replayed as the other's, and the other side's fresh
// nonce keeps an old proof from being replayed at all.
//
//   dialer                                   acceptor
//   Hello {v, id, address, nonce}    ->
//                                    <-      Challenge {v, id, address, nonce, proof(acceptor)}
//   Auth {proof(dialer)}             ->
//                                    <-      Welcome {}
//
// Either side refuses by closing with CloseCode.HandshakeRefused and a reason. The classes below
// are synchronous state machines fed one frame at a time, so no frame that follows the handshake
// in the same TCP read can slip past before the connection installs its own listener.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION } from './message-types.js';
import { FrameType, decodeControlFrame, encodeControlFrame } from './frame-codec.js';

export const NONCE_BYTES = 32;

export interface LocalIdentity {
  id: string;
  address: string;
  secret: string;
}

export interface RemoteIdentity {
  id: string;
  address: string;
}

/** How a handshake step ends when it does not simply continue. */
export type HandshakeStep =
  | { kind: 'continue' }
  | { kind: 'established'; peer: RemoteIdentity }
  | { kind: 'refuse'; reason: string; code?: number };

export function proof(secret: string, role: 'dialer' | 'acceptor', nonceDialer: Uint8Array, nonceAcceptor: Uint8Array, dialer: RemoteIdentity, acceptor: RemoteIdentity): Buffer {
  const transcript = JSON.stringify([
    `ringkv-peer ${role}`, PROTOCOL_VERSION, Buffer.from(nonceDialer).toString('hex'), Buffer.from(nonceAcceptor).toString('hex'),
    dialer.id, dialer.address, acceptor.id, acceptor.address,
  ]);
  return createHmac('sha256', secret).update(transcript).digest();
}

export function proofMatches(expected: Buffer, got: unknown): boolean {
  if (!(got instanceof Uint8Array) || got.length !== expected.length) return false;
  return timingSafeEqual(expected, got);
}

/** Checks the identity fields common to Hello and Challenge; returns a refusal reason or the identity. */
export function readIdentity(fields: Record<string, unknown>, selfId: string): RemoteIdentity | string {
  if (fields.v !== PROTOCOL_VERSION) return `protocol version ${String(fields.v)} is not ${PROTOCOL_VERSION}`;
  const { id, address, nonce } = fields;
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) return 'missing or bad node id';
  if (typeof address !== 'string' || address.length === 0 || address.length > 512) return 'missing or bad address';
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) return 'missing or bad nonce';
  if (id === selfId) return `peer claims this node's own id ${id}`;
  return { id, address };
}

/** The dialing side: sends Hello at once, then answers the Challenge. */
export class DialerHandshake {
  private readonly nonce = randomBytes(NONCE_BYTES);
  private state: 'challenge' | 'welcome' | 'done' = 'challenge';
  private peer?: RemoteIdentity;

  constructor(private readonly self: LocalIdentity, private readonly send: (frame: Buffer) => void) {}

  start(): void {
    this.send(encodeControlFrame(FrameType.Hello, { v: PROTOCOL_VERSION, id: this.self.id, address: this.self.address, nonce: this.nonce }));
  }

  /** Throws FrameDecodeError on a malformed or unexpected frame. */
  onFrame(frame: Buffer): HandshakeStep {
    if (this.state === 'challenge') {
      const fields = decodeControlFrame(frame, FrameType.Challenge);
      const peer = readIdentity(fields, this.self.id);
      if (typeof peer === 'string') return { kind: 'refuse', reason: peer };
      const me = { id: this.self.id, address: this.self.address };
      const nonceA = fields.nonce as Uint8Array;
      if (!proofMatches(proof(this.self.secret, 'acceptor', this.nonce, nonceA, me, peer), fields.proof)) {
        return { kind: 'refuse', reason: 'acceptor failed to prove the cluster secret' };
      }
      this.send(encodeControlFrame(FrameType.Auth, { proof: proof(this.self.secret, 'dialer', this.nonce, nonceA, me, peer) }));
      this.peer = peer;
      this.state = 'welcome';
      return { kind: 'continue' };
    }
    if (this.state === 'welcome') {
      decodeControlFrame(frame, FrameType.Welcome);
      this.state = 'done';
      return { kind: 'established', peer: this.peer! };
    }
    return { kind: 'refuse', reason: 'frame after the handshake ended' };
  }
}

/**
 * The accepting side. `admit` is asked once the Hello names the peer, before anything is proven,
 * so the transport can settle a simultaneous dial; it returns a refusal or undefined.
 */
export class AcceptorHandshake {
  private readonly nonce = randomBytes(NONCE_BYTES);
  private state: 'hello' | 'auth' | 'done' = 'hello';
  private peer?: RemoteIdentity;
  private expectedProof?: Buffer;

  constructor(
    private readonly self: LocalIdentity,
    private readonly send: (frame: Buffer) => void,
    private readonly admit: (peer: RemoteIdentity) => { reason: string; code: number } | undefined,
  ) {}

  /** The peer as named in its Hello (not yet proven), if the Hello has arrived. */
  get claimedPeer(): RemoteIdentity | undefined {
    return this.peer;
  }

  onFrame(frame: Buffer): HandshakeStep {
    if (this.state === 'hello') {
      const fields = decodeControlFrame(frame, FrameType.Hello);
      const peer = readIdentity(fields, this.self.id);
      if (typeof peer === 'string') return { kind: 'refuse', reason: peer };
      const refusal = this.admit(peer);
      if (refusal) return { kind: 'refuse', reason: refusal.reason, code: refusal.code };
      const me = { id: this.self.id, address: this.self.address };
      const nonceD = fields.nonce as Uint8Array;
      this.peer = peer;
      this.expectedProof = proof(this.self.secret, 'dialer', nonceD, this.nonce, peer, me);
      this.send(encodeControlFrame(FrameType.Challenge, {
        v: PROTOCOL_VERSION, id: me.id, address: me.address, nonce: this.nonce,
        proof: proof(this.self.secret, 'acceptor', nonceD, this.nonce, peer, me),
      }));
      this.state = 'auth';
      return { kind: 'continue' };
    }
    if (this.state === 'auth') {
      const fields = decodeControlFrame(frame, FrameType.Auth);
      if (!proofMatches(this.expectedProof!, fields.proof)) {
        return { kind: 'refuse', reason: 'dialer failed to prove the cluster secret' };
      }
      this.send(encodeControlFrame(FrameType.Welcome, {}));
      this.state = 'done';
      return { kind: 'established', peer: this.peer! };
    }
    return { kind: 'refuse', reason: 'frame after the handshake ended' };
  }
}
