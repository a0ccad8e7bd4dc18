// The transport's own wire format. Every WebSocket frame is binary and starts with one frame-type
// byte. Handshake frames carry one msgpack map. A batch frame carries any number of messages, each
// a fixed 9-byte header (kind u8, request id u32, body length u32) followed by its msgpack body, so
// the receiver walks the frame without decoding bodies it cannot route and the sender learns each
// message's size when it is queued (to split frames and bound memory).
//
// Nothing is decoded before it is measured: a handshake frame over HANDSHAKE_FRAME_MAX_BYTES is
// refused unread, and every body passes checkMsgpack (no extension types, bounded nesting and
// container count) before msgpackr builds a single object from it.
import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { InternalError } from '../errors.js';
import { FrameDecodeError } from './frame-errors.js';
import { PeerBadErrorReplyError } from './peer-errors.js';
import { checkMsgpack, type MsgpackLimits } from './msgpack-guard.js';
import type { PeerBody } from './transport.js';

export { FrameDecodeError } from './frame-errors.js';

/**
 * The largest handshake frame: a Hello holds a 63-byte id, a 259-byte address and a 32-byte nonce
 * (about 400 bytes with its keys); 4 KiB leaves room for later fields and nothing for abuse.
 */
export const HANDSHAKE_FRAME_MAX_BYTES = 4096;

export const FrameType = {
  /** Dialer -> acceptor: version, id, address, nonce. */
  Hello: 1,
  /** Acceptor -> dialer: version, id, address, nonce and the acceptor's proof. */
  Challenge: 2,
  /** Dialer -> acceptor: the dialer's proof. */
  Auth: 3,
  /** Acceptor -> dialer: the connection is established. */
  Welcome: 4,
  /** Any number of request / reply messages. */
  Batch: 5,
} as const;

export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

export const MessageKind = { Request: 1, Reply: 2, ErrorReply: 3 } as const;
export type MessageKindValue = (typeof MessageKind)[keyof typeof MessageKind];

/** WebSocket close codes the transport uses (4000-4999 are free for applications). */
export const CloseCode = {
  /** Normal shutdown of the node. */
  GoingAway: 1001,
  /** Wrong secret, protocol version or identity: do not retry soon. */
  HandshakeRefused: 4001,
  /** Another connection between the same two nodes is kept instead of this one. */
  Duplicate: 4002,
  /** A malformed frame or an unexpected frame type. */
  ProtocolError: 4003,
  /** No handshake or no pong within the allowed time. */
  Timeout: 4004,
} as const;

export const MESSAGE_HEADER_BYTES = 9;

// Records off: plain maps on the wire, readable by any msgpack decoder. copyBuffers: a decoded
// Uint8Array must not pin the whole (possibly megabytes large) frame it arrived in. No structured
// clone, no extra types: checkMsgpack refuses every extension type before unpack runs anyway.
const packr = new Packr({ useRecords: false, copyBuffers: true, structuredClone: false, moreTypes: false, mapsAsObjects: true });

/** Deepest legal body: MembershipReply's state.assignment.preferenceLists[p][i] is 4; Raft snapshots 5. */
const BODY_MAX_DEPTH = 16;

/**
 * Bodies may hold one map or array per 6 bytes (a preference list of three 1-character ids takes
 * 7), plus a few: no legal message comes near it, and it caps what a body of empty maps costs.
 */
export function bodyLimits(bodyBytes: number): MsgpackLimits {
  return { maxDepth: BODY_MAX_DEPTH, maxContainers: Math.floor(bodyBytes / 6) + 64 };
}

/** Decodes one msgpack body after checking its structure. Throws FrameDecodeError. */
export function decodeBody(buf: Uint8Array, start: number, end: number): unknown {
  checkMsgpack(buf, start, end, bodyLimits(end - start));
  try {
    return packr.unpack(buf.subarray(start, end));
  } catch (err) {
    throw new FrameDecodeError(`undecodable message body: ${(err as Error).message}`);
  }
}

/** A message encoded for a batch frame: header space first, body after. */
export type EncodedMessage = Buffer;

/** Encodes one message. Throws if the body cannot be serialized. */
export function encodeMessage(kind: MessageKindValue, id: number, body: unknown): EncodedMessage {
  // RESERVE_START_SPACE leaves room for the header inside the same buffer: no extra copy.
  const buf = packr.pack(body, RESERVE_START_SPACE | MESSAGE_HEADER_BYTES);
  buf[0] = kind;
  buf.writeUInt32BE(id >>> 0, 1);
  buf.writeUInt32BE(buf.length - MESSAGE_HEADER_BYTES, 5);
  return buf;
}

const BATCH_TYPE = Buffer.from([FrameType.Batch]);

/** Concatenates messages into one batch frame. */
export function buildBatchFrame(messages: readonly EncodedMessage[], totalBytes: number): Buffer {
  return Buffer.concat([BATCH_TYPE, ...messages], totalBytes + 1);
}

export interface DecodedMessage {
  kind: MessageKindValue;
  id: number;
  body: unknown;
}

/** Walks a batch frame (including its type byte). Throws FrameDecodeError on malformed input. */
export function* decodeBatchFrame(frame: Buffer): Generator<DecodedMessage> {
  let off = 1;
  while (off < frame.length) {
    if (frame.length - off < MESSAGE_HEADER_BYTES) throw new FrameDecodeError('truncated message header');
    const kind = frame[off]!;
    if (kind !== MessageKind.Request && kind !== MessageKind.Reply && kind !== MessageKind.ErrorReply) {
      throw new FrameDecodeError(`unknown message kind ${kind}`);
    }
    const id = frame.readUInt32BE(off + 1);
    const len = frame.readUInt32BE(off + 5);
    const start = off + MESSAGE_HEADER_BYTES;
    if (start + len > frame.length) throw new FrameDecodeError('message body runs past the frame');
    const body = decodeBody(frame, start, start + len);
    off = start + len;
    yield { kind, id, body };
  }
}

/** Encodes a handshake frame: the type byte, then a msgpack map. */
export function encodeControlFrame(type: FrameTypeValue, fields: Record<string, unknown>): Buffer {
  const body = packr.pack(fields);
  return Buffer.concat([Buffer.from([type]), body]);
}

/**
 * The msgpack map of a handshake frame of the expected type, unchecked beyond its structure (the
 * handshake decodes it against its schema). Refuses oversized frames before reading them.
 */
export function decodeControlFrame(frame: Buffer, expected: FrameTypeValue): unknown {
  if (frame.length > HANDSHAKE_FRAME_MAX_BYTES) {
    throw new FrameDecodeError(`handshake frame of ${frame.length} bytes exceeds ${HANDSHAKE_FRAME_MAX_BYTES}`);
  }
  if (frame.length < 2 || frame[0] !== expected) {
    throw new FrameDecodeError(`expected frame type ${expected}, got ${frame.length ? frame[0] : 'an empty frame'}`);
  }
  // One flat map: no nesting, so a handshake frame holds at most one container.
  checkMsgpack(frame, 1, frame.length, { maxDepth: 1, maxContainers: 1 });
  if ((frame[1]! & 0xf0) !== 0x80 && frame[1] !== 0xde) throw new FrameDecodeError('handshake frame is not a map');
  try {
    return packr.unpack(frame.subarray(1));
  } catch (err) {
    throw new FrameDecodeError(`undecodable handshake frame: ${(err as Error).message}`);
  }
}

/** The wire form of an error reply. */
export interface ErrorReplyBody {
  code: string;
  message: string;
}

/** Error codes on the wire: SCREAMING_SNAKE, at most 64 characters (anything else becomes INTERNAL). */
const CODE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;
/** Longest error message sent; longer ones are cut (a reason is for logs, not for data). */
export const ERROR_MESSAGE_MAX_CHARS = 1024;

export function errorReplyOf(err: unknown): ErrorReplyBody {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e && typeof e.code === 'string' && CODE_RE.test(e.code) ? e.code : InternalError.code;
  const message = e && typeof e.message === 'string' ? e.message : 'unknown error';
  return { code, message: message.length > ERROR_MESSAGE_MAX_CHARS ? `${message.slice(0, ERROR_MESSAGE_MAX_CHARS)}...` : message };
}

/** An error reply as received: a well-formed code and message, or a stand-in saying it was not. */
export function readErrorReply(body: unknown): ErrorReplyBody {
  const b = body as { code?: unknown; message?: unknown } | null;
  if (typeof b !== 'object' || b === null || typeof b.code !== 'string' || !CODE_RE.test(b.code)) {
    return errorReplyOf(new PeerBadErrorReplyError());
  }
  const message = typeof b.message === 'string' ? b.message.slice(0, ERROR_MESSAGE_MAX_CHARS) : '';
  return { code: b.code, message };
}

export function isPeerBody(v: unknown): v is PeerBody {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'number';
}

/** Round-trips a body through the wire encoding (the memory transport uses it to behave alike). */
export function cloneThroughWire(body: unknown): unknown {
  return packr.unpack(packr.pack(body));
}
