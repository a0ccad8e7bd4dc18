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
// in the same TCP read can slip past before the connection installs its own listener. Every frame
// is decoded against a fixed schema (its size capped before that, see decodeControlFrame); the
// dialer refuses an acceptor that is not the node it meant to dial, and the acceptor decides what
// the peer may do only once its proof checked out.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION } from './message-types.js';
import { FrameType, decodeControlFrame, encodeControlFrame } from './frame-codec.js';
import { Address, Bytes, NodeId, SafeInt, SchemaViolation, Type, decoder } from '../protocol/schema-kit.js';

export const NONCE_BYTES = 32;

export interface LocalIdentity {
  id: string;
  address: string;
  secret: string;
  /** Older secrets still accepted from peers while a new one rolls out (proofs use `secret`). */
  acceptedSecrets?: readonly string[];
}

/** Every secret whose proof this side accepts: the current one first. */
function secretsOf(self: LocalIdentity): readonly string[] {
  return self.acceptedSecrets && self.acceptedSecrets.length > 0 ? [self.secret, ...self.acceptedSecrets] : [self.secret];
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

/**
 * A side's proof: the HMAC of the transcript under the secret. `binding` (the TLS session's
 * keying-material export, when the peer port runs TLS) ties the proof to this TLS session.
 */
export function proof(
  secret: string, role: 'dialer' | 'acceptor', nonceDialer: Uint8Array, nonceAcceptor: Uint8Array, dialer: RemoteIdentity, acceptor: RemoteIdentity,
  binding?: Uint8Array,
): Buffer {
  const fields: (string | number)[] = [
    `ringkv-peer ${role}`, PROTOCOL_VERSION, Buffer.from(nonceDialer).toString('hex'), Buffer.from(nonceAcceptor).toString('hex'),
    dialer.id, dialer.address, acceptor.id, acceptor.address,
  ];
  if (binding) fields.push(`tls ${Buffer.from(binding).toString('hex')}`);
  return createHmac('sha256', secret).update(JSON.stringify(fields)).digest();
}

export function proofMatches(expected: Buffer, got: Uint8Array): boolean {
  if (got.length !== expected.length) return false;
  return timingSafeEqual(expected, got);
}

const Identity = { v: SafeInt(0, 0xffff), id: NodeId, address: Address, nonce: Bytes(NONCE_BYTES, NONCE_BYTES) };
const decodeHello = decoder(Type.Object(Identity));
const decodeChallenge = decoder(Type.Object({ ...Identity, proof: Bytes(32, 32) }));
const decodeAuth = decoder(Type.Object({ proof: Bytes(32, 32) }));
const decodeWelcome = decoder(Type.Object({}));

/** A frame's fields by its schema, or the refusal reason. */
function fieldsOf<T>(decode: (v: unknown) => T, frame: unknown, what: string): T | string {
  try {
    return decode(frame);
  } catch (err) {
    if (err instanceof SchemaViolation) return `malformed ${what}: ${err.message}`;
    throw err;
  }
}

/** The identity of a Hello or Challenge, or a refusal reason. */
export function readIdentity(fields: { v: number; id: string; address: string }, selfId: string): RemoteIdentity | string {
  if (fields.v !== PROTOCOL_VERSION) return `protocol version ${fields.v} is not ${PROTOCOL_VERSION}`;
  if (fields.id === selfId) return `peer claims this node's own id ${fields.id}`;
  return { id: fields.id, address: fields.address };
}

/** The dialing side: sends Hello at once, then answers the Challenge. */
export class DialerHandshake {
  private readonly nonce = randomBytes(NONCE_BYTES);
  private state: 'challenge' | 'welcome' | 'done' = 'challenge';
  private peer?: RemoteIdentity;

  private binding?: Uint8Array;

  /** `expectedId`: the member this node means to reach at the dialed address (undefined: anyone). */
  constructor(private readonly self: LocalIdentity, private readonly send: (frame: Buffer) => void, private readonly expectedId?: string) {}

  /** The TLS session's channel binding, set before start() when the peer port runs TLS. */
  bindChannel(binding: Uint8Array | undefined): void {
    this.binding = binding;
  }

  start(): void {
    this.send(encodeControlFrame(FrameType.Hello, { v: PROTOCOL_VERSION, id: this.self.id, address: this.self.address, nonce: this.nonce }));
  }

  /** Throws FrameDecodeError on a malformed or unexpected frame. */
  onFrame(frame: Buffer): HandshakeStep {
    if (this.state === 'challenge') {
      const fields = fieldsOf(decodeChallenge, decodeControlFrame(frame, FrameType.Challenge), 'challenge');
      if (typeof fields === 'string') return { kind: 'refuse', reason: fields };
      const peer = readIdentity(fields, this.self.id);
      if (typeof peer === 'string') return { kind: 'refuse', reason: peer };
      if (this.expectedId !== undefined && peer.id !== this.expectedId) {
        return { kind: 'refuse', reason: `dialed ${this.expectedId} but ${peer.id} answered` };
      }
      const me = { id: this.self.id, address: this.self.address };
      const nonceA = fields.nonce;
      // The acceptor proved one of the secrets this node accepts; this node proves the same one.
      const shared = secretsOf(this.self).find((secret) => proofMatches(proof(secret, 'acceptor', this.nonce, nonceA, me, peer, this.binding), fields.proof));
      if (shared === undefined) {
        return { kind: 'refuse', reason: this.binding ? 'acceptor failed to prove the cluster secret on this TLS session' : 'acceptor failed to prove the cluster secret' };
      }
      this.send(encodeControlFrame(FrameType.Auth, { proof: proof(shared, 'dialer', this.nonce, nonceA, me, peer, this.binding) }));
      this.peer = peer;
      this.state = 'welcome';
      return { kind: 'continue' };
    }
    if (this.state === 'welcome') {
      const fields = fieldsOf(decodeWelcome, decodeControlFrame(frame, FrameType.Welcome), 'welcome');
      if (typeof fields === 'string') return { kind: 'refuse', reason: fields };
      this.state = 'done';
      return { kind: 'established', peer: this.peer! };
    }
    return { kind: 'refuse', reason: 'frame after the handshake ended' };
  }
}

/** A refusal of a handshake step: the close code and reason. */
export type Refusal = { reason: string; code: number } | undefined;

/**
 * The accepting side. `onHello` is asked once the Hello names the peer, before anything is
 * proven: it may only refuse (the transport settles a simultaneous dial there), never act on the
 * claim. `onAuthenticated` is asked once the dialer's proof checked out: what the peer may do is
 * decided there.
 */
export class AcceptorHandshake {
  private readonly nonce = randomBytes(NONCE_BYTES);
  private state: 'hello' | 'auth' | 'done' = 'hello';
  private peer?: RemoteIdentity;
  private expectedProofs: Buffer[] = [];

  constructor(
    private readonly self: LocalIdentity,
    private readonly send: (frame: Buffer) => void,
    private readonly onHello: (peer: RemoteIdentity) => Refusal,
    private readonly onAuthenticated: (peer: RemoteIdentity) => Refusal,
    /** The TLS session's channel binding when the peer port runs TLS. */
    private readonly binding?: Uint8Array,
  ) {}

  /** The peer as named in its Hello (not yet proven), if the Hello has arrived. */
  get claimedPeer(): RemoteIdentity | undefined {
    return this.peer;
  }

  onFrame(frame: Buffer): HandshakeStep {
    if (this.state === 'hello') {
      const fields = fieldsOf(decodeHello, decodeControlFrame(frame, FrameType.Hello), 'hello');
      if (typeof fields === 'string') return { kind: 'refuse', reason: fields };
      const peer = readIdentity(fields, this.self.id);
      if (typeof peer === 'string') return { kind: 'refuse', reason: peer };
      const refusal = this.onHello(peer);
      if (refusal) return { kind: 'refuse', reason: refusal.reason, code: refusal.code };
      const me = { id: this.self.id, address: this.self.address };
      const nonceD = fields.nonce;
      this.peer = peer;
      // The dialer answers with the secret it shares with this side: any accepted one will do.
      this.expectedProofs = secretsOf(this.self).map((secret) => proof(secret, 'dialer', nonceD, this.nonce, peer, me, this.binding));
      this.send(encodeControlFrame(FrameType.Challenge, {
        v: PROTOCOL_VERSION, id: me.id, address: me.address, nonce: this.nonce,
        proof: proof(this.self.secret, 'acceptor', nonceD, this.nonce, peer, me, this.binding),
      }));
      this.state = 'auth';
      return { kind: 'continue' };
    }
    if (this.state === 'auth') {
      const fields = fieldsOf(decodeAuth, decodeControlFrame(frame, FrameType.Auth), 'auth');
      if (typeof fields === 'string') return { kind: 'refuse', reason: fields };
      if (!this.expectedProofs.some((expected) => proofMatches(expected, fields.proof))) {
        return { kind: 'refuse', reason: 'dialer failed to prove the cluster secret' };
      }
      const refusal = this.onAuthenticated(this.peer!);
      if (refusal) return { kind: 'refuse', reason: refusal.reason, code: refusal.code };
      this.send(encodeControlFrame(FrameType.Welcome, {}));
      this.state = 'done';
      return { kind: 'established', peer: this.peer! };
    }
    return { kind: 'refuse', reason: 'frame after the handshake ended' };
  }
}
