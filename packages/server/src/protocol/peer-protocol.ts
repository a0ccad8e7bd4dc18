// The one place peer bodies become typed values. Every request a node answers and every reply it
// reads passes decodeRequest or decodeReply; what fails its schema is a PeerBadMessageError (the
// handler never runs) or a PeerBadReplyError (the caller sees a failed request). Gossip entries
// are decoded one by one (a bad entry is dropped, the digest kept) and a membership state must
// pass core's shape check besides its schema.
import { membershipStateShapeError, type MemberEntry, type MembershipState } from '@ringkv/core';
import { PeerMessageType as T } from '../peer/message-types.js';
import { PeerBadMessageError, PeerBadReplyError, PeerUnknownMessageError } from '../peer/peer-errors.js';
import {
  MemberEntrySchema, peerSchemas, type AnyRequest, type PeerSchemas, type ProtocolLimits, type ReplyOf, type RequestOf, type RequestType,
} from './peer-messages.js';
import { SchemaViolation, decoder, type Decoder } from './schema-kit.js';

export type { AnyRequest, ProtocolLimits, ReplyOf, RequestOf, RequestType } from './peer-messages.js';

/** A gossip digest with its entries decoded (malformed ones dropped). */
export interface DecodedDigest {
  from: string;
  members: MemberEntry[];
  /** Entries dropped for failing their schema. */
  dropped: number;
}

export class PeerProtocol {
  private readonly requests = new Map<number, Decoder<unknown>>();
  private readonly replies = new Map<number, Decoder<unknown>>();
  private readonly memberEntry: Decoder<unknown>;

  constructor(readonly limits: ProtocolLimits) {
    const schemas: PeerSchemas = peerSchemas(limits);
    for (const [type, spec] of Object.entries(schemas)) {
      this.requests.set(Number(type), decoder(spec.request));
      this.replies.set(Number(type), decoder(spec.reply));
    }
    this.memberEntry = decoder(MemberEntrySchema);
  }

  /** The request types this protocol knows. */
  get types(): number[] {
    return [...this.requests.keys()];
  }

  /** A request body as its type's value. Throws PeerBadMessageError. */
  decodeRequest(body: unknown): AnyRequest {
    const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
    const decode = typeof type === 'number' ? this.requests.get(type) : undefined;
    if (!decode) throw new PeerUnknownMessageError(`unknown request type ${typeof type === 'number' ? type : typeof type}`);
    try {
      const msg = decode(body) as AnyRequest;
      this.refine(type as RequestType, msg);
      return msg;
    } catch (err) {
      if (err instanceof SchemaViolation) throw new PeerBadMessageError(`request type ${type as number}: ${err.message}`);
      throw err;
    }
  }

  /** The reply to a request of `type`. Throws PeerBadReplyError naming the peer. */
  decodeReply<K extends RequestType>(type: K, body: unknown, address: string): ReplyOf<K> {
    const decode = this.replies.get(type);
    if (!decode) throw new PeerBadReplyError(address, `no reply schema for request type ${type}`);
    try {
      const reply = decode(body) as ReplyOf<K>;
      this.refineReply(type, reply);
      return reply;
    } catch (err) {
      if (err instanceof SchemaViolation) throw new PeerBadReplyError(address, `reply to request type ${type}: ${err.message}`);
      throw err;
    }
  }

  /** A digest's entries, each checked on its own (the digest shape was checked with the message). */
  decodeDigest(digest: { from: string; members: unknown[] }): DecodedDigest {
    const members: MemberEntry[] = [];
    for (const m of digest.members) if (this.memberEntry.check(m)) members.push(m as MemberEntry);
    return { from: digest.from, members, dropped: digest.members.length - members.length };
  }

  /** Checks beyond what a schema says. Throws SchemaViolation. */
  private refine(type: RequestType, msg: AnyRequest): void {
    if (type === T.BucketEntries) {
      const m = msg as RequestOf<typeof T.BucketEntries>;
      if (m.keys.length !== m.records.length) throw new SchemaViolation('/keys', 'keys and records differ in length');
      if (m.bucketList.length % 4 !== 0) throw new SchemaViolation('/bucketList', 'must hold 4 bytes per bucket');
    }
  }

  private refineReply(type: RequestType, reply: unknown): void {
    if (type === T.MembershipGet) {
      const state = (reply as { state: unknown }).state;
      if (state === null) return;
      const why = membershipStateShapeError(state);
      if (why) throw new SchemaViolation('/state', why);
      if ((state as MembershipState).partitions !== this.limits.partitions) {
        throw new SchemaViolation('/state/partitions', `the cluster has ${this.limits.partitions} partitions`);
      }
    } else if (type === T.BucketEntries) {
      const r = reply as ReplyOf<typeof T.BucketEntries>;
      if (r.keys.length !== r.records.length) throw new SchemaViolation('/keys', 'keys and records differ in length');
    }
  }
}
