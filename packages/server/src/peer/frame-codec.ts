// The transport's own wire format. Every WebSocket frame is binary and starts with one frame-type
// byte. Handshake frames carry one msgpack map. A batch frame carries any number of messages, each
// a fixed 9-byte header (kind u8, request id u32, body length u32) followed by its msgpack body, so
// the receiver walks the frame without decoding bodies it cannot route and the sender learns each
// message's size when it is queued (to split frames and bound memory).
import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import type { PeerBody } from './transport.js';

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

/** Malformed data from a peer; the connection is closed with CloseCode.ProtocolError. */
export class FrameDecodeError extends Error {}

// Records off: plain maps on the wire, readable by any msgpack decoder. copyBuffers: a decoded
// Uint8Array must not pin the whole (possibly megabytes large) frame it arrived in.
const packr = new Packr({ useRecords: false, copyBuffers: true });

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
    let body: unknown;
    try {
      body = packr.unpack(frame.subarray(start, start + len));
    } catch (err) {
      throw new FrameDecodeError(`undecodable message body: ${(err as Error).message}`);
    }
    off = start + len;
    yield { kind, id, body };
  }
}

/** Encodes a handshake frame: the type byte, then a msgpack map. */
export function encodeControlFrame(type: FrameTypeValue, fields: Record<string, unknown>): Buffer {
  const body = packr.pack(fields);
  return Buffer.concat([Buffer.from([type]), body]);
}

/** Decodes a handshake frame of the expected type. Throws FrameDecodeError otherwise. */
export function decodeControlFrame(frame: Buffer, expected: FrameTypeValue): Record<string, unknown> {
  if (frame.length < 1 || frame[0] !== expected) {
    throw new FrameDecodeError(`expected frame type ${expected}, got ${frame.length ? frame[0] : 'an empty frame'}`);
  }
  let fields: unknown;
  try {
    fields = packr.unpack(frame.subarray(1));
  } catch (err) {
    throw new FrameDecodeError(`undecodable handshake frame: ${(err as Error).message}`);
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new FrameDecodeError('handshake frame is not a map');
  }
  return fields as Record<string, unknown>;
}

/** The wire form of an error reply. */
export interface ErrorReplyBody {
  code: string;
  message: string;
}

export function errorReplyOf(err: unknown): ErrorReplyBody {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e && typeof e.code === 'string' && e.code ? e.code : 'INTERNAL';
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  return { code, message };
}

export function isPeerBody(v: unknown): v is PeerBody {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'number';
}

/** Round-trips a body through the wire encoding (the memory transport uses it to behave alike). */
export function cloneThroughWire(body: unknown): unknown {
  return packr.unpack(packr.pack(body));
}
