// msgpack written byte by byte, every encoding of every type (fixint to uint64, fixstr to str32,
// bin, fixarray to array32, fixmap to map32, floats, nil and booleans, the extension types and
// the never-used 0xc1), each value tagged with what a strict reader must make of it: whether it is
// one well-formed value without extension types and with string keys only, how deep it nests and
// how many maps and arrays it holds. The tags are the reference the msgpack guard is checked
// against; msgpackr is not involved in writing these bytes.
import fc from 'fast-check';

export interface Encoded {
  bytes: number[];
  /** Well-formed, no extension type or 0xc1, every map key a string. */
  ok: boolean;
  /** Nesting of maps and arrays (a scalar is 0, a flat array 1). */
  depth: number;
  /** Maps and arrays, nested ones included. */
  containers: number;
  /** A string (a legal map key). */
  isString: boolean;
}

const be = (n: number, width: number): number[] => {
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) % 256);
  return out;
};

const scalar = (bytes: number[], ok = true, isString = false): Encoded => ({ bytes, ok, depth: 0, containers: 0, isString });

const utf8ish = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => [...Buffer.from(s, 'utf8')]),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }), // not always valid UTF-8: readers must cope
);

/** A string in any of its four encodings (fixstr only up to 31 bytes). */
export const mpString: fc.Arbitrary<Encoded> = fc.tuple(utf8ish, fc.constantFrom('fix', 'str8', 'str16', 'str32')).map(([b, form]) => {
  const n = b.length;
  if (form === 'fix' && n <= 31) return scalar([0xa0 | n, ...b], true, true);
  if (form === 'str16') return scalar([0xda, ...be(n, 2), ...b], true, true);
  if (form === 'str32') return scalar([0xdb, ...be(n, 4), ...b], true, true);
  return scalar([0xd9, n, ...b], true, true);
});

const intBytes = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }).map((n) => [n]),
  fc.integer({ min: 0xe0, max: 0xff }).map((n) => [n]),
  fc.tuple(fc.constantFrom(0xcc, 0xd0), fc.integer({ min: 0, max: 255 })).map(([t, b]) => [t, b]),
  fc.tuple(fc.constantFrom(0xcd, 0xd1), fc.integer({ min: 0, max: 0xffff })).map(([t, n]) => [t, ...be(n, 2)]),
  fc.tuple(fc.constantFrom(0xce, 0xd2, 0xca), fc.integer({ min: 0, max: 0xffffffff })).map(([t, n]) => [t, ...be(n, 4)]),
  fc.tuple(fc.constantFrom(0xcf, 0xd3, 0xcb), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 })).map(([t, b]) => [t, ...b]),
);

const binBytes = fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 16 }), fc.constantFrom(0xc4, 0xc5, 0xc6)).map(([b, t]) => {
  const width = t === 0xc4 ? 1 : t === 0xc5 ? 2 : 4;
  return [t, ...be(b.length, width), ...b];
});

/** Extension types: fixext 1/2/4/8/16 and ext 8/16/32 (a Date is fixext 4 or 8 with type -1). */
export const mpExtension: fc.Arbitrary<Encoded> = fc.oneof(
  fc.tuple(fc.constantFrom([0xd4, 1], [0xd5, 2], [0xd6, 4], [0xd7, 8], [0xd8, 16]), fc.integer({ min: 0, max: 255 })).map(([[t, n], type]) => scalar([t!, type, ...new Array(n!).fill(0)], false)),
  fc.tuple(fc.constantFrom(0xc7, 0xc8, 0xc9), fc.integer({ min: 0, max: 255 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 })).map(([t, type, b]) => {
    const width = t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4;
    return scalar([t, ...be(b.length, width), type, ...b], false);
  }),
);

const mpScalar: fc.Arbitrary<Encoded> = fc.oneof(
  { arbitrary: intBytes.map((b) => scalar(b)), weight: 4 },
  { arbitrary: fc.constantFrom(0xc0, 0xc2, 0xc3).map((b) => scalar([b])), weight: 2 },
  { arbitrary: mpString, weight: 4 },
  { arbitrary: binBytes.map((b) => scalar(b)), weight: 2 },
  { arbitrary: mpExtension, weight: 1 },
  { arbitrary: fc.constant(scalar([0xc1], false)), weight: 1 },
);

function header(kind: 'array' | 'map', n: number, form: 'fix' | '16' | '32'): number[] {
  if (form === 'fix' && n <= 15) return [(kind === 'array' ? 0x90 : 0x80) | n];
  if (form === '32') return [kind === 'array' ? 0xdd : 0xdf, ...be(n, 4)];
  return [kind === 'array' ? 0xdc : 0xde, ...be(n, 2)];
}

const combine = (kind: 'array' | 'map', items: Encoded[], form: 'fix' | '16' | '32', keysOk: boolean): Encoded => {
  const n = kind === 'map' ? items.length / 2 : items.length;
  return {
    bytes: [...header(kind, n, form), ...items.flatMap((i) => i.bytes)],
    ok: keysOk && items.every((i) => i.ok),
    depth: 1 + Math.max(0, ...items.map((i) => i.depth)),
    containers: 1 + items.reduce((s, i) => s + i.containers, 0),
    isString: false,
  };
};

/** Any msgpack value, nested up to a few levels; map keys are strings but now and then. */
export const mpValue: fc.Arbitrary<Encoded> = fc.letrec<{ value: Encoded; array: Encoded; map: Encoded }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, mpScalar, tie('array'), tie('map')),
  array: fc.tuple(fc.array(tie('value'), { maxLength: 5 }), fc.constantFrom('fix', '16', '32') as fc.Arbitrary<'fix' | '16' | '32'>)
    .map(([items, form]) => combine('array', items, form, true)),
  map: fc.tuple(
    fc.array(fc.tuple(fc.oneof({ arbitrary: mpString, weight: 9 }, { arbitrary: tie('value'), weight: 1 }), tie('value')), { maxLength: 4 }),
    fc.constantFrom('fix', '16', '32') as fc.Arbitrary<'fix' | '16' | '32'>,
  ).map(([pairs, form]) => combine('map', pairs.flat(), form, pairs.every(([k]) => k.isString))),
})).value;

/** A value damaged at one spot: cut short, a byte changed, bytes appended. The outcome is unknown. */
export const mpDamaged: fc.Arbitrary<number[]> = fc.tuple(mpValue, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('cut', 'flip', 'append'))
  .map(([v, at, byte, how]) => {
    const b = [...v.bytes];
    const i = at % b.length;
    if (how === 'cut') return b.slice(0, i);
    if (how === 'flip') { b[i] = byte; return b; }
    return [...b, byte];
  });

/** Only what a peer body may hold: nil, booleans, numbers, bigints (64-bit ints), strings, bytes, arrays and plain objects. */
export function isPlain(v: unknown, depthLeft: number): boolean {
  if (v === null || ['boolean', 'number', 'bigint', 'string'].includes(typeof v)) return true;
  if (v instanceof Uint8Array) return true;
  if (depthLeft <= 0) return false;
  if (Array.isArray(v)) return v.every((x) => x !== undefined && isPlain(x, depthLeft - 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.values(v as object).every((x) => x !== undefined && isPlain(x, depthLeft - 1));
  }
  return false;
}
