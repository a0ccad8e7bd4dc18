// Every peer message described a second time, in plain terms and apart from the TypeBox schemas
// under test (protocol/peer-messages.ts): for each field its kind and bounds, as the protocol
// documents them. From one description come three things:
//   validArb(spec)  values the protocol must accept;
//   badArb(spec)    values with exactly one thing wrong somewhere (a field of a wrong type, out of
//                   range, oversized, missing, or an extra key where none is allowed);
//   refValid(spec)  a dumb reference verdict, so a decoder can be compared with it on any value.
// The fuzz suites (this package's property tests and test/fuzz/*) share it.
import fc from 'fast-check';
import { initialMembership, membershipStateShapeError } from '@ringkv/core';
import { membershipStateMaxBytes } from '../../src/protocol/peer-messages.js';

export type Spec =
  | { k: 'int'; min: number; max: number }
  | { k: 'bool' }
  | { k: 'const'; value: number | string | null }
  | { k: 'str'; name: string; re: RegExp; maxLength: number; valid: fc.Arbitrary<string>; bad: readonly string[]; also?: (s: string) => boolean }
  | { k: 'bytes'; min: number; max: number }
  | { k: 'array'; of: Spec; min: number; max: number }
  | { k: 'tuple'; items: readonly Spec[] }
  | { k: 'object'; fields: Readonly<Record<string, Field>>; closed: boolean; refine?: Refinement }
  | { k: 'oneOf'; options: readonly Spec[] }
  | { k: 'any'; valid?: fc.Arbitrary<unknown> }
  | { k: 'custom'; name: string; valid: fc.Arbitrary<unknown>; bad: fc.Arbitrary<unknown>; check: (v: unknown) => boolean };

export interface Field {
  spec: Spec;
  optional?: boolean;
}

/** A rule across fields (e.g. as many keys as records). */
export interface Refinement {
  check(v: Record<string, unknown>): boolean;
  /** Makes a value that passes every field pass the rule too. */
  fix(v: Record<string, unknown>): Record<string, unknown>;
  /** Ways to break the rule in a valid value (each keeps every field valid on its own). */
  breaks: readonly ((v: Record<string, unknown>) => Record<string, unknown>)[];
}

// ---- building blocks ----

export const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Spec => ({ k: 'int', min, max });
export const bool: Spec = { k: 'bool' };
export const lit = (value: number | string | null): Spec => ({ k: 'const', value });
export const bytes = (min: number, max: number): Spec => ({ k: 'bytes', min, max });
export const arr = (of: Spec, min: number, max: number): Spec => ({ k: 'array', of, min, max });
export const tuple = (...items: Spec[]): Spec => ({ k: 'tuple', items });
export const oneOf = (...options: Spec[]): Spec => ({ k: 'oneOf', options });
export const any: Spec = { k: 'any' };
export const req = (spec: Spec): Field => ({ spec });
export const opt = (spec: Spec): Field => ({ spec, optional: true });
export const obj = (fields: Record<string, Field | Spec>, o: { closed?: boolean; refine?: Refinement } = {}): Spec => ({
  k: 'object',
  fields: Object.fromEntries(Object.entries(fields).map(([key, f]) => [key, 'k' in f ? { spec: f } : f])),
  closed: o.closed ?? false,
  ...(o.refine ? { refine: o.refine } : {}),
});

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const nameBad = ['', '-a', '.a', '_a', 'a b', 'a/b', 'a:b', 'zoné', 'a\n', '\u0000', ' a', 'a'.repeat(64), '__proto__', 'a\u2028'];

/** A node id (and a zone: the same pattern), 1 to 63 characters. */
export const nodeId: Spec = {
  k: 'str', name: 'node id', re: NAME_RE, maxLength: 63,
  valid: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.stringMatching(NAME_RE), fc.constant('a'.repeat(63))),
  bad: nameBad,
};
export const zone: Spec = { ...nodeId, name: 'zone' } as Spec;

const ADDRESS_RE = /^(\[[0-9a-fA-F:.]{2,45}\]|[A-Za-z0-9_.-]{1,253}):([0-9]{1,5})$/;
/**
 * HOST:PORT (a name or [IPv6]), at most 259 characters, the port 0..65535 (core's isValidAddress,
 * which the membership log applies). The generators keep to ports up to 65535: above it the wire
 * schema disagrees with core (see the regression test in peer-protocol.property.test.ts).
 */
export const address: Spec = {
  k: 'str', name: 'address', re: ADDRESS_RE, maxLength: 259, also: (s) => Number(ADDRESS_RE.exec(s)![2]) <= 65535,
  valid: fc.oneof(
    fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/), fc.integer({ min: 0, max: 65535 })).map(([h, p]) => `${h}:${p}`),
    fc.tuple(fc.stringMatching(/^[0-9a-f:]{2,39}$/), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `[${h}]:${p}`),
    fc.constant(`${'h'.repeat(253)}:65535`),
  ),
  bad: ['', 'host', 'host:', ':80', 'host:123456', 'host:-1', 'a b:1', 'h:1:2', '[zz]:1', '[]:1', `${'a'.repeat(254)}:1`, 'host:80 ', 'http://h:1', 'h:1\n', '__proto__:x'],
};

/** SCREAMING_SNAKE, at most 64 characters. */
export const errorCode: Spec = {
  k: 'str', name: 'error code', re: /^[A-Z][A-Z0-9_]{0,63}$/, maxLength: 64,
  valid: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,20}$/),
  bad: ['', 'a', 'lower', '_X', 'X-Y', 'X'.repeat(65), '1X', 'X\n'],
};

/** Any text of at most maxLength UTF-16 units. */
export const text = (maxLength: number): Spec => ({
  k: 'str', name: `text of at most ${maxLength}`, re: /^[\s\S]*$/, maxLength,
  valid: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('x'.repeat(maxLength))),
  bad: ['x'.repeat(maxLength + 1)],
});

// ---- the reference verdict ----

export function refValid(spec: Spec, v: unknown): boolean {
  switch (spec.k) {
    case 'int': return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max;
    case 'bool': return typeof v === 'boolean';
    case 'const': return v === spec.value;
    case 'str': return typeof v === 'string' && v.length <= spec.maxLength && spec.re.test(v) && (spec.also ? spec.also(v) : true);
    case 'bytes': return v instanceof Uint8Array && v.length >= spec.min && v.length <= spec.max;
    case 'array': return Array.isArray(v) && v.length >= spec.min && v.length <= spec.max && v.every((x) => refValid(spec.of, x));
    case 'tuple': return Array.isArray(v) && v.length === spec.items.length && spec.items.every((s, i) => refValid(s, v[i]));
    case 'object': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      for (const [key, f] of Object.entries(spec.fields)) {
        const x = o[key];
        if (x === undefined ? !f.optional : !refValid(f.spec, x)) return false;
      }
      if (spec.closed && !Object.getOwnPropertyNames(o).every((key) => Object.hasOwn(spec.fields, key))) return false;
      return spec.refine ? spec.refine.check(o) : true;
    }
    case 'oneOf': return spec.options.some((s) => refValid(s, v));
    case 'any': return true;
    case 'custom': return spec.check(v);
  }
}

// ---- valid values ----

const validCache = new WeakMap<Spec, fc.Arbitrary<unknown>>();

/** Values the reference accepts; sizes mostly small, with the bounds themselves now and then. */
export function validArb(spec: Spec): fc.Arbitrary<unknown> {
  let a = validCache.get(spec);
  if (!a) {
    a = buildValid(spec);
    validCache.set(spec, a);
  }
  return a;
}

const EDGE_LENGTH_MAX = 1 << 16;

function buildValid(spec: Spec): fc.Arbitrary<unknown> {
  switch (spec.k) {
    case 'int':
      return fc.oneof(fc.constantFrom(spec.min, spec.max), fc.bigInt({ min: BigInt(spec.min), max: BigInt(spec.max) }).map(Number));
    case 'bool': return fc.boolean();
    case 'const': return fc.constant(spec.value);
    case 'str': return spec.valid;
    case 'bytes': {
      const small = fc.uint8Array({ minLength: spec.min, maxLength: Math.min(spec.max, spec.min + 48) });
      // The largest legal length, as a Buffer (what msgpackr decodes bins to) or a plain array.
      const edge = fc.boolean().map((asBuffer) => (asBuffer ? Buffer.alloc(spec.max, 7) : new Uint8Array(spec.max)));
      return fc.oneof({ arbitrary: small, weight: 9 }, { arbitrary: edge, weight: 1 });
    }
    case 'array': {
      const small = fc.array(validArb(spec.of), { minLength: spec.min, maxLength: Math.min(spec.max, spec.min + 3) });
      if (spec.max > EDGE_LENGTH_MAX || spec.max === spec.min) return small;
      const full = validArb(spec.of).map((x) => Array.from({ length: spec.max }, () => x));
      return fc.oneof({ arbitrary: small, weight: 19 }, { arbitrary: full, weight: 1 });
    }
    case 'tuple': return fc.tuple(...spec.items.map(validArb));
    case 'object': {
      const entries = Object.entries(spec.fields);
      const model: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(entries.map(([key, f]) => [key, validArb(f.spec)]));
      const requiredKeys = entries.filter(([, f]) => !f.optional).map(([key]) => key);
      let base: fc.Arbitrary<Record<string, unknown>> = fc.record(model, { requiredKeys });
      if (!spec.closed) {
        // Fields a newer version may add are ignored, not refused.
        const extraKey = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'v2field'))
          .filter((k) => !Object.hasOwn(spec.fields, k));
        const extras = fc.option(fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2, noNullPrototype: true }), { freq: 4, nil: undefined });
        base = fc.tuple(base, extras).map(([o, x]) => (x ? withOwnKeys(o, x) : o));
      }
      const refine = spec.refine;
      return refine ? base.map((o) => refine.fix(o)) : base;
    }
    case 'oneOf': return fc.oneof(...spec.options.map(validArb));
    case 'any': return spec.valid ?? fc.jsonValue({ maxDepth: 3 });
    case 'custom': return spec.valid;
  }
}

/** o with x's keys added as own data properties ("__proto__" included, as JSON.parse would). */
function withOwnKeys(o: Record<string, unknown>, x: Record<string, unknown>): Record<string, unknown> {
  const out = { ...o };
  for (const key of Object.keys(x)) Object.defineProperty(out, key, { value: x[key], enumerable: true, writable: true, configurable: true });
  return out;
}

// ---- values with one thing wrong ----

/** Nested arrays `depth` deep: [[[...]]]. */
export function nestedArrays(depth: number): unknown[] {
  let v: unknown[] = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

let hugeText: string | undefined;
/** One MiB of text (built once). */
export const huge = (): string => (hugeText ??= 'x'.repeat(1 << 20));

export interface BadOptions {
  /**
   * Only values a msgpack trip keeps as they are (no BigInt, Date, Map, typed arrays other than
   * bytes, undefined, NaN stays NaN): for the wire suites, where what arrives must be what the
   * reference judged.
   */
  wire?: boolean;
}

/** Values of every type but the expected one, hostile shapes included. */
function wrongTypes(o: BadOptions): fc.Arbitrary<unknown> {
  const plain: unknown[] = [
    null, true, false, 0, -1, 1.5, Number.NaN, Infinity, -Infinity, 1e308, -1e308, 2 ** 53, -(2 ** 53), '', 'x', '1', [], [1], [[[]]], {},
    { toString: 1 }, { valueOf: 1 }, { toString: { toString: 1 } }, JSON.parse('{"__proto__": {"polluted": 1}}'), { constructor: 'x' },
    new Uint8Array(3), Buffer.from('ab'), nestedArrays(64), nestedArrays(15), [1, 'a', null, {}],
  ];
  const exotic: unknown[] = [Object.create(null), 5n, new Date(0), new Map([[1, 2]]), new Set([1]), new Uint16Array(2), new Int8Array(4), new Float64Array(1), new ArrayBuffer(4), new DataView(new ArrayBuffer(4))];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...plain, ...(o.wire ? [] : exotic)), weight: 6 },
    { arbitrary: fc.constant(null).map(() => huge()), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
  );
}

const badCache = new Map<string, WeakMap<Spec, fc.Arbitrary<unknown> | null>>();

/**
 * Values the reference refuses, each a valid value with one thing wrong (or a value of another
 * type altogether). Undefined for specs that accept everything.
 */
export function badArb(spec: Spec, o: BadOptions = {}): fc.Arbitrary<unknown> | undefined {
  const mode = o.wire ? 'wire' : 'any';
  let cache = badCache.get(mode);
  if (!cache) badCache.set(mode, (cache = new WeakMap()));
  let a = cache.get(spec);
  if (a === undefined) {
    const built = buildBad(spec, o);
    // Every value must really be wrong: a generator mistake here would hide a decoder bug.
    a = built ? built.filter((v) => !refValid(spec, v)) : null;
    cache.set(spec, a);
  }
  return a ?? undefined;
}

function buildBad(spec: Spec, o: BadOptions): fc.Arbitrary<unknown> | undefined {
  const wrong = wrongTypes(o);
  const alts: fc.WeightedArbitrary<unknown>[] = [];
  /** The values just past a bound are the likeliest to slip through: they weigh more. */
  const add = (arbitrary: fc.Arbitrary<unknown>, weight = 1) => alts.push({ arbitrary, weight });
  switch (spec.k) {
    case 'int': {
      add(wrong);
      add(fc.constantFrom(spec.min - 1, spec.max === Number.MAX_SAFE_INTEGER ? 2 ** 53 : spec.max + 1), 3);
      add(fc.constantFrom(spec.min + 0.5, 2 ** 53, 2 ** 64, -(2 ** 31), 1e-300, String(spec.min)));
      add(fc.double());
      break;
    }
    case 'bool': add(wrong); add(fc.constantFrom(0, 1, 'true', 'false')); break;
    case 'const': {
      const v = spec.value;
      add(wrong);
      if (typeof v === 'number') add(fc.constantFrom(v + 0.5, -1 - v, 4096, 2 ** 53, String(v)));
      else if (typeof v === 'string') add(fc.constantFrom(`${v}x`, v.toUpperCase() === v ? v.toLowerCase() : v.toUpperCase(), '', '__proto__', 'constructor', 'toString', ` ${v}`));
      break;
    }
    case 'str':
      add(wrong);
      add(fc.constantFrom(...spec.bad), 2);
      add(fc.constant('a'.repeat(spec.maxLength + 1)), 2);
      add(fc.constant(null).map(() => huge()));
      break;
    case 'bytes': {
      add(wrong);
      add(fc.constant(null).map(() => new Uint8Array(spec.max + 1)), 3);
      if (spec.min > 0) add(fc.constantFrom(new Uint8Array(spec.min - 1), Buffer.alloc(spec.min - 1)), 3);
      const lookalikes: unknown[] = [Array.from(new Uint8Array(Math.max(spec.min, 1))), 'x'.repeat(Math.max(spec.min, 1)), { length: spec.min, 0: 1 }];
      if (!o.wire) lookalikes.push(new Uint16Array(spec.min), new Int8Array(spec.min), new ArrayBuffer(spec.min), new DataView(new ArrayBuffer(spec.min)));
      add(fc.constantFrom(...lookalikes));
      break;
    }
    case 'array': {
      add(wrong);
      add(fc.constant({ 0: null, length: 1 }));
      const of = validArb(spec.of);
      if (spec.min > 0) add(fc.array(of, { maxLength: spec.min - 1 }), 2);
      if (spec.max <= EDGE_LENGTH_MAX) add(of.map((x) => Array.from({ length: spec.max + 1 }, () => x)), 2);
      const badItem = badArb(spec.of, o);
      if (badItem && spec.max > 0) {
        add(fc.tuple(fc.array(of, { minLength: 1, maxLength: Math.min(spec.max, 3) }), badItem, fc.nat()).map(([xs, b, i]) => {
          const out = [...xs];
          out[i % out.length] = b;
          return out;
        }), 3);
      }
      break;
    }
    case 'tuple': {
      const valid = validArb(spec) as fc.Arbitrary<unknown[]>;
      add(wrong);
      add(valid.map((t) => t.slice(0, -1)));
      add(valid.map((t) => [...t, t[0]]));
      spec.items.forEach((item, i) => {
        const b = badArb(item, o);
        if (b) add(fc.tuple(valid, b).map(([t, x]) => t.map((y, j) => (j === i ? x : y))), 3);
      });
      break;
    }
    case 'object': {
      const valid = validArb(spec) as fc.Arbitrary<Record<string, unknown>>;
      add(wrong);
      for (const [key, f] of Object.entries(spec.fields)) {
        if (!f.optional) add(valid.map((v) => { const { [key]: _gone, ...rest } = v; return rest; }));
        const b = badArb(f.spec, o);
        if (b) add(fc.tuple(valid, b).map(([v, x]) => ({ ...v, [key]: x })), 3);
      }
      if (spec.closed) {
        add(fc.tuple(valid, fc.constantFrom('extra', '__proto__', 'constructor', 'force', 'type'), fc.jsonValue({ maxDepth: 1 }))
          .filter(([, key]) => !Object.hasOwn(spec.fields, key))
          .map(([v, key, x]) => withOwnKeys(v, { [key]: x })), 2);
      }
      const refine = spec.refine;
      if (refine) for (const br of refine.breaks) add(valid.map(br), 2);
      break;
    }
    case 'oneOf': {
      for (const option of spec.options) {
        const b = badArb(option, o);
        if (b) add(b);
      }
      break;
    }
    case 'any': return undefined;
    case 'custom': add(spec.bad); break;
  }
  return alts.length > 0 ? fc.oneof(...alts) : undefined;
}

// ---- the peer messages ----

export interface SpecLimits {
  partitions: number;
  maxKeyBytes: number;
  maxValueBytes: number;
}

/** A record's smallest encoding (record-codec.ts: 15 header bytes, a 4-byte length, a 4-byte CRC). */
export const RECORD_MIN_BYTES = 23;
/** Around the value: the smallest encoding plus a 6-byte expiry. */
export const RECORD_AROUND_VALUE_BYTES = RECORD_MIN_BYTES + 6;

export const MessageType = {
  Ping: 1, Pong: 2, ReplicaWrite: 10, ReplicaWriteAck: 11, ReplicaRead: 12, ReplicaReadReply: 13, Gossip: 20, GossipAck: 21,
  Raft: 30, RaftAck: 31, MembershipGet: 32, MembershipReply: 33, MembershipChange: 34, MembershipChangeReply: 35,
  MerkleLevel: 40, MerkleLevelReply: 41, BucketEntries: 42, BucketEntriesReply: 43, MerkleRoots: 44, MerkleRootsReply: 45, StreamPartition: 50, StreamPartitionChunk: 51,
  StreamPush: 52, StreamPushAck: 53, TopologyStatus: 54, TopologyStatusReply: 55,
  StreamManifest: 56, StreamManifestReply: 57, StreamChunk: 58, StreamChunkReply: 59, SelfStatus: 60, SelfStatusReply: 61,
} as const;

/** Request types a node answers for anyone who proved the secret; the rest only for members. */
export const OPEN_REQUEST_TYPES: readonly number[] = [MessageType.Ping, MessageType.MembershipChange];

const MEMBERS_MAX = 4096;
const ENTRIES_MAX = 1 << 20;

/** Membership commands as the admin API and forwarded changes carry them (closed objects). */
export function membershipCommandSpec(o: { removeForce?: boolean } = {}): Spec {
  return oneOf(
    obj({ op: lit('add'), member: obj({ id: nodeId, peer: address, http: address, zone: opt(zone) }, { closed: true }) }, { closed: true }),
    obj({ op: lit('activate'), id: nodeId }, { closed: true }),
    obj({ op: lit('leave'), id: nodeId }, { closed: true }),
    obj({ op: lit('remove'), id: nodeId, ...(o.removeForce ? { force: opt(bool) } : {}) }, { closed: true }),
    obj({ op: lit('setZone'), id: nodeId, zone: oneOf(zone, lit(null)) }, { closed: true }),
    obj({ op: lit('setAddress'), id: nodeId, peer: address, http: address }, { closed: true }),
  );
}

/** As many `a` as `b` (keys and records of an anti-entropy step); `more` adds a rule of its own. */
function sameLength(a: string, b: string, more?: Omit<Refinement, 'breaks'> & { breaks: Refinement['breaks'] }): Refinement {
  return {
    check: (v) => (v[a] as unknown[]).length === (v[b] as unknown[]).length && (more ? more.check(v) : true),
    fix: (v) => {
      const n = Math.min((v[a] as unknown[]).length, (v[b] as unknown[]).length);
      const out = { ...v, [a]: (v[a] as unknown[]).slice(0, n), [b]: (v[b] as unknown[]).slice(0, n) };
      return more ? more.fix(out) : out;
    },
    breaks: [(v) => ({ ...v, [b]: [...(v[b] as unknown[]), new Uint8Array(RECORD_MIN_BYTES)] }), ...(more?.breaks ?? [])],
  };
}

/** The request and reply of every request type, for a node with these limits. */
export function messageSpecs(l: SpecLimits): Record<number, { request: Spec; reply: Spec }> {
  const T = MessageType;
  const partition = int(0, l.partitions - 1);
  const key = bytes(1, l.maxKeyBytes);
  const record = bytes(RECORD_MIN_BYTES, l.maxValueBytes + RECORD_AROUND_VALUE_BYTES);
  const nullableKey = oneOf(key, lit(null));
  const entry = tuple(key, record);
  const entries = arr(entry, 0, ENTRIES_MAX);
  const epoch = int();
  const treeShape = { buckets: req(int(1, 1 << 20)), fanout: opt(int(2, 1 << 16)) };
  // Entries are decoded one by one (decodeDigest): anything goes in the message's schema. Valid
  // bodies hold entries as gossip writes them, right or wrong; a digest of 4096 empty arrays is
  // schema-valid too but refused a layer below (more than one map or array per 6 bytes).
  const entryOrJunk: Spec = { k: 'any', valid: fc.oneof(validArb(memberEntrySpec), fc.record({ id: fc.string({ maxLength: 8 }), status: fc.string({ maxLength: 8 }) })) };
  const digest = obj({ from: nodeId, members: arr(entryOrJunk, 0, MEMBERS_MAX) });
  const raftEntry = obj({ term: int(), index: int(), type: oneOf(lit('normal'), lit('confChange')), data: bytes(0, 64 * 1024) });
  const raftSnapshot = obj({
    metadata: obj({ index: int(), term: int(), confState: obj({ voters: arr(nodeId, 0, 64), learners: arr(nodeId, 0, MEMBERS_MAX) }) }),
    data: bytes(0, membershipStateMaxBytes(l.partitions)),
  });
  const raftMessage = obj({
    type: int(1, 10), term: int(), from: nodeId, to: nodeId,
    index: opt(int()), logTerm: opt(int()), commit: opt(int()), entries: opt(arr(raftEntry, 0, 1024)),
    reject: opt(bool), rejectHint: opt(int()), snapshot: opt(raftSnapshot), transfer: opt(bool),
  });
  // A bucket list holds 4 bytes per bucket.
  const bucketEntries = sameLength('keys', 'records', {
    check: (v) => (v.bucketList as Uint8Array).length % 4 === 0,
    fix: (v) => {
      const list = v.bucketList as Uint8Array;
      return { ...v, bucketList: list.subarray(0, list.length - (list.length % 4)) };
    },
    breaks: [(v) => {
      const list = v.bucketList as Uint8Array;
      return { ...v, bucketList: list.length > 0 ? list.subarray(0, list.length - 1) : new Uint8Array(3) };
    }],
  });

  return {
    [T.Ping]: {
      request: obj({ type: lit(T.Ping) }),
      reply: obj({
        type: lit(T.Pong), id: nodeId, peer: address, http: address, zone: opt(zone),
        partitions: int(1, 65536), replicas: int(1, 16), epoch, nowMs: opt(int()),
      }),
    },
    [T.ReplicaWrite]: {
      request: obj({ type: lit(T.ReplicaWrite), partition, key, record, hintFor: opt(nodeId) }),
      reply: obj({ type: lit(T.ReplicaWriteAck) }),
    },
    [T.ReplicaRead]: {
      request: obj({ type: lit(T.ReplicaRead), partition, key }),
      reply: obj({ type: lit(T.ReplicaReadReply), record: opt(record) }),
    },
    [T.Gossip]: {
      request: obj({ type: lit(T.Gossip), digest }),
      reply: obj({ type: lit(T.GossipAck), digest, atMs: opt(int()) }),
    },
    [T.Raft]: {
      request: obj({ type: lit(T.Raft), msg: raftMessage }),
      reply: obj({ type: lit(T.RaftAck) }),
    },
    [T.MembershipGet]: {
      request: obj({ type: lit(T.MembershipGet) }),
      reply: obj({ type: lit(T.MembershipReply), state: membershipStateSpec(l.partitions) }),
    },
    [T.MembershipChange]: {
      request: obj({ type: lit(T.MembershipChange), cmd: membershipCommandSpec(), force: opt(bool) }),
      reply: obj({ type: lit(T.MembershipChangeReply), ok: bool, epoch: opt(epoch), code: opt(errorCode), reason: opt(text(4096)), inEffect: opt(bool) }),
    },
    [T.MerkleLevel]: {
      request: obj({ type: lit(T.MerkleLevel), partition, ...treeShape, depth: int(0, 64), indexes: arr(int(0, 1 << 20), 1, 1 << 16) }),
      reply: obj({ type: lit(T.MerkleLevelReply), ready: bool, hashes: opt(bytes(0, 8 << 16)) }),
    },
    [T.MerkleRoots]: {
      request: obj({ type: lit(T.MerkleRoots), ...treeShape, partitions: bytes(4, 4 * 1024) }),
      reply: obj({ type: lit(T.MerkleRootsReply), states: bytes(0, 1024), hashes: bytes(0, 8 * 1024) }),
    },
    [T.BucketEntries]: {
      request: obj({
        type: lit(T.BucketEntries), partition, ...treeShape, bucketList: bytes(0, 4 << 20), after: nullableKey, upTo: nullableKey,
        keys: arr(key, 0, ENTRIES_MAX), records: arr(record, 0, ENTRIES_MAX),
      }, { refine: bucketEntries }),
      reply: obj({
        type: lit(T.BucketEntriesReply), ready: bool, keys: arr(key, 0, ENTRIES_MAX), records: arr(record, 0, ENTRIES_MAX),
        resumeAfter: nullableKey, applied: int(),
      }, { refine: sameLength('keys', 'records') }),
    },
    [T.StreamPartition]: {
      request: obj({ type: lit(T.StreamPartition), partition, maxBytes: int(1, 8 * 1024 * 1024), after: opt(key) }),
      reply: obj({ type: lit(T.StreamPartitionChunk), entries, done: bool }),
    },
    [T.StreamManifest]: {
      request: obj({ type: lit(T.StreamManifest), partition, after: opt(key), chunkBytes: int(1, 8 * 1024 * 1024), maxChunks: int(1, 32) }),
      // A root and leaves are SHA-256 hashes: 32 bytes exactly.
      reply: obj({ type: lit(T.StreamManifestReply), root: opt(bytes(32, 32)), chunks: arr(tuple(key, bytes(32, 32)), 0, 32), done: bool }),
    },
    [T.StreamChunk]: {
      request: obj({ type: lit(T.StreamChunk), partition, after: opt(key), last: key, leaf: bytes(32, 32), chunkBytes: int(1, 8 * 1024 * 1024) }),
      // The packing: up to a chunk, or one entry with its two 4-byte lengths.
      reply: obj({ type: lit(T.StreamChunkReply), stale: bool, packed: opt(bytes(0, 8 * 1024 * 1024 + 8 + l.maxKeyBytes + l.maxValueBytes + RECORD_AROUND_VALUE_BYTES)) }),
    },
    [T.StreamPush]: {
      request: obj({ type: lit(T.StreamPush), partition, entries, last: bool }),
      reply: obj({ type: lit(T.StreamPushAck), applied: int() }),
    },
    [T.TopologyStatus]: {
      request: obj({ type: lit(T.TopologyStatus) }),
      reply: obj({ type: lit(T.TopologyStatusReply), epoch, caughtUpEpoch: epoch, pendingPartitions: int() }),
    },
    [T.SelfStatus]: {
      request: obj({ type: lit(T.SelfStatus), traffic: opt(bool) }),
      reply: obj({ type: lit(T.SelfStatusReply), status: selfStatusSpec(l.partitions, partition) }),
    },
  };
}

/** A non-negative number, not necessarily an integer, at most 1e15 (rates, phi, quantiles). */
const real: Spec = {
  k: 'custom', name: 'real',
  valid: fc.oneof(fc.constantFrom(0, 1e15, 0.5), fc.double({ min: 0, max: 1e15, noNaN: true }).map((x) => (x === 0 ? 0 : x))),
  bad: fc.constantFrom(-1, -0.5, 1e16, Number.NaN, Number.POSITIVE_INFINITY, '1', null, true, [], {}),
  check: (v) => typeof v === 'number' && !Number.isNaN(v) && v >= 0 && v <= 1e15,
};

/** A member's own part of the console's views (SelfStatusReply's status). */
function selfStatusSpec(partitions: number, partition: Spec): Spec {
  const nullable = (s: Spec) => oneOf(s, lit(null));
  const opTraffic = obj({ ops: int(), p50Ms: nullable(real), p99Ms: nullable(real) });
  const perPartition = arr(tuple(partition, real), 0, partitions);
  return obj({
    id: nodeId, atMs: int(), epoch: int(),
    liveness: arr(obj({
      id: nodeId, alive: bool, phi: nullable(real), heartbeatAgeMs: nullable(int()),
      clockOffsetMs: nullable(int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
    }), 0, MEMBERS_MAX),
    diskBytes: nullable(int()),
    hints: arr(obj({ target: nodeId, count: int(), bytes: int(), oldestAgeMs: nullable(int()), deliveredPerSecond: real, dropped: int() }), 0, MEMBERS_MAX),
    hintsByPartition: perPartition,
    streams: arr(obj({
      partition, source: nodeId, destination: nodeId, bytesDone: int(), bytesTotal: nullable(int()),
      rateBytesPerSecond: real, etaSeconds: nullable(real), stalled: bool,
    }), 0, partitions * 16),
    antiEntropy: obj({
      intervalMs: int(), oldestRoundAgeMs: nullable(int()),
      partitions: arr(obj({ partition, lastCompletedMs: nullable(int()), keysRepaired: int(), overdue: bool }), 0, partitions),
    }),
    p99Ms: obj({ get: nullable(real), put: nullable(real) }),
    opsByPartition: perPartition,
    traffic: opt(obj({
      resolutionMs: int(1), capBytes: int(), usedBytes: int(),
      series: arr(obj({ atMs: int(), get: opTraffic, put: opTraffic, delete: opTraffic, errors: arr(tuple(errorCode, int()), 0, 9) }), 0, 2048),
    })),
  });
}

/** A member as gossip describes it (a digest entry). */
export const memberEntrySpec: Spec = obj({
  id: nodeId, peer: address, http: address, zone: opt(zone), incarnation: int(), heartbeat: int(),
  status: oneOf(lit('joining'), lit('normal'), lit('leaving'), lit('left')), epoch: int(),
});

/**
 * A membership state (MembershipReply's `state`): one built by core for a few random members, or
 * null; the wrong ones are such a state with one thing broken. The verdict is core's shape check
 * plus this node's Q: writing a second checker of preference lists here would only copy it.
 */
export function membershipStateSpec(partitions: number): Spec {
  const member = fc.record({ id: validArb(nodeId) as fc.Arbitrary<string>, peer: validArb(address) as fc.Arbitrary<string>, http: validArb(address) as fc.Arbitrary<string> });
  const state = fc.tuple(fc.uniqueArray(member, { minLength: 1, maxLength: 5, selector: (m) => m.id }), fc.integer({ min: 1, max: 3 }))
    .map(([members, replicas]) => initialMembership(partitions, replicas, members) as unknown as Record<string, unknown>);
  type S = Record<string, unknown> & { members: Record<string, unknown>[]; assignment: Record<string, unknown> & { preferenceLists: string[][] } };
  const breaks: ((s: S) => unknown)[] = [
    (s) => ({ ...s, epoch: 0 }), (s) => ({ ...s, epoch: '1' }), (s) => ({ ...s, epoch: 1.5 }), (s) => ({ ...s, epoch: 2 ** 53 }),
    (s) => ({ ...s, partitions: partitions * 2, assignment: { ...s.assignment, partitions: partitions * 2 } }),
    (s) => ({ ...s, partitions: 3 }), (s) => ({ ...s, replicas: 0 }), (s) => ({ ...s, replicas: 17 }),
    (s) => ({ ...s, members: {} }), (s) => ({ ...s, members: [...s.members, ...s.members] }),
    (s) => ({ ...s, members: [{ ...s.members[0], id: '-bad' }, ...s.members.slice(1)] }),
    (s) => ({ ...s, members: [{ ...s.members[0], peer: 'nowhere' }, ...s.members.slice(1)] }),
    (s) => ({ ...s, members: [{ ...s.members[0], status: 'gone' }, ...s.members.slice(1)] }),
    (s) => ({ ...s, members: [{ ...s.members[0], zone: { toString: 1 } }, ...s.members.slice(1)] }),
    (s) => ({ ...s, members: [null, ...s.members.slice(1)] }),
    (s) => ({ ...s, assignment: null }), (s) => ({ ...s, assignment: [] }),
    (s) => ({ ...s, assignment: { ...s.assignment, preferenceLists: s.assignment.preferenceLists.slice(1) } }),
    (s) => ({ ...s, assignment: { ...s.assignment, preferenceLists: s.assignment.preferenceLists.map((p, i) => (i === 0 ? [...p, p[0]] : p)) } }),
    (s) => ({ ...s, assignment: { ...s.assignment, preferenceLists: s.assignment.preferenceLists.map((p, i) => (i === 0 ? ['stranger', ...p.slice(1)] : p)) } }),
    (s) => ({ ...s, assignment: { ...s.assignment, preferenceLists: 'all' } }),
    (s) => ({ ...s, assignment: { ...s.assignment, members: [...(s.assignment.members as unknown[]), ...(s.assignment.members as unknown[])] } }),
    () => [], () => 'state', () => 7,
  ];
  return {
    k: 'custom', name: 'membership state',
    valid: fc.oneof(fc.constant(null), state),
    bad: fc.tuple(state, fc.nat({ max: breaks.length - 1 })).map(([s, i]) => breaks[i]!(s as S)),
    check: (v) => v === null || (typeof v === 'object' && !Array.isArray(v) && membershipStateShapeError(v) === undefined && (v as { partitions: unknown }).partitions === partitions),
  };
}
