// Parsing of what a client sends on the KV routes: the key in the path and the query parameters.
// Everything is validated before anything is read or written, so bad input changes nothing.
import { allocBytes } from '@ringkv/storage';
import { InvalidKeyError, InvalidParameterError } from '../errors.js';

const utf8 = new TextEncoder();

export interface ParsedKey {
  /** The key as text (for messages and logs). */
  text: string;
  /** Its UTF-8 bytes: what is hashed and stored. */
  bytes: Uint8Array;
}

/** The part of the path after `/kv/`, percent-decoded as UTF-8; 1 to maxKeyBytes bytes. */
export function parseKey(encoded: string, maxKeyBytes: number): ParsedKey {
  let text = encoded;
  if (encoded.includes('%')) {
    try {
      text = decodeURIComponent(encoded);
    } catch {
      throw new InvalidKeyError('key is not valid percent-encoded UTF-8');
    }
  }
  const bytes = encodeKey(text);
  if (bytes.length === 0) throw new InvalidKeyError('key is empty; keys are 1 to 1024 bytes');
  if (bytes.length > maxKeyBytes) {
    throw new InvalidKeyError(`key is ${bytes.length} bytes; the limit is ${maxKeyBytes}`);
  }
  return { text, bytes };
}

const ASCII = /^[\x00-\x7f]*$/;

/** UTF-8 bytes of a key for one request: ASCII keys (the common case) go into a slab view. */
function encodeKey(text: string): Uint8Array {
  if (text.length > 512 || !ASCII.test(text)) return utf8.encode(text);
  const out = allocBytes(text.length);
  utf8.encodeInto(text, out);
  return out;
}

export type QueryParams = ReadonlyMap<string, string>;

/** The parameters of a request without a query string (most of them): one map, never changed. */
const NO_PARAMS: QueryParams = new Map();

/** Parses a query string, rejecting parameters the route does not know and repeated ones. */
export function parseQuery(search: string, allowed: readonly string[]): QueryParams {
  if (!search) return NO_PARAMS;
  const out = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(search)) {
    if (!allowed.includes(name)) {
      throw new InvalidParameterError(
        `unknown query parameter "${name}"; this route accepts ${allowed.length ? allowed.join(', ') : 'none'}`,
        { param: name },
      );
    }
    if (out.has(name)) throw new InvalidParameterError(`query parameter "${name}" given twice`, { param: name });
    out.set(name, value);
  }
  return out;
}

/** A boolean flag: `1`, `true` or empty (present) are true; `0`, `false` are false. */
export function parseFlag(params: QueryParams, name: string): boolean {
  const v = params.get(name);
  if (v === undefined || v === '0' || v === 'false') return false;
  if (v === '' || v === '1' || v === 'true') return true;
  throw new InvalidParameterError(`query parameter "${name}" must be 1, 0, true or false, got "${v}"`, { param: name, value: v });
}

/** TTL in whole seconds, 1 to maxTtlSeconds. */
export function parseTtlSeconds(params: QueryParams, maxTtlSeconds: number): number | undefined {
  const v = params.get('ttl');
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,12}$/.test(v) || Number(v) < 1 || Number(v) > maxTtlSeconds) {
    throw new InvalidParameterError(`ttl must be whole seconds from 1 to ${maxTtlSeconds}, got "${v}"`, { param: 'ttl', value: v });
  }
  return Number(v);
}
