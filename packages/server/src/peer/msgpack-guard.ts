// A structural check of msgpack bytes before anything decodes them: one well-formed value, no
// extension types (msgpackr would build Dates, Sets, Errors or typed arrays from them), map keys
// that are strings, nesting at most maxDepth deep, and at most maxContainers maps and arrays.
// It allocates nothing, so a hostile body costs one pass over its bytes instead of the objects a
// decoder would build (4 MiB of empty maps decode to 256 MiB of heap; here they are refused).
import { FrameDecodeError } from './frame-errors.js';

export interface MsgpackLimits {
  /** Deepest nesting of maps and arrays (the top value is depth 1). */
  maxDepth: number;
  /** Most maps and arrays in the value, counting nested ones. */
  maxContainers: number;
}

/** Throws FrameDecodeError unless buf[start, end) is exactly one msgpack value within the limits. */
export function checkMsgpack(buf: Uint8Array, start: number, end: number, limits: MsgpackLimits): void {
  // pending[d] counts the values still expected at depth d; keyNext[d] marks a map expecting a key.
  const pending: number[] = [1];
  const isMap: boolean[] = [false];
  const keyNext: boolean[] = [false];
  let containers = 0;
  let at = start;
  const need = (n: number): void => {
    if (at + n > end) throw new FrameDecodeError('msgpack value runs past its end');
  };
  const u8 = (): number => buf[at]!;
  const u16 = (o: number): number => (buf[o]! << 8) | buf[o + 1]!;
  const u32 = (o: number): number => buf[o]! * 0x1000000 + ((buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!);
  while (pending.length > 0) {
    const d = pending.length - 1;
    if (pending[d] === 0) {
      pending.pop();
      isMap.pop();
      keyNext.pop();
      continue;
    }
    pending[d]--;
    const expectKey = isMap[d] && keyNext[d];
    if (isMap[d]) keyNext[d] = !keyNext[d];
    need(1);
    const b = u8();
    at++;
    let open = -1;
    let openMap = false;
    let skip = 0;
    if (expectKey) {
      // A key must be a string: fixstr, str8, str16, str32.
      if (!((b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb)) throw new FrameDecodeError('msgpack map key is not a string');
    }
    if (b <= 0x7f || b >= 0xe0) skip = 0; // fixint
    else if (b <= 0x8f) { open = b & 0x0f; openMap = true; }
    else if (b <= 0x9f) open = b & 0x0f;
    else if (b <= 0xbf) skip = b & 0x1f;
    else {
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3: break; // nil, false, true
        case 0xc4: case 0xd9: need(1); skip = u8(); at += 1; break; // bin8, str8
        case 0xc5: case 0xda: need(2); skip = u16(at); at += 2; break; // bin16, str16
        case 0xc6: case 0xdb: need(4); skip = u32(at); at += 4; break; // bin32, str32
        case 0xca: skip = 4; break; // float32
        case 0xcb: skip = 8; break; // float64
        case 0xcc: case 0xd0: skip = 1; break; // uint8, int8
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xdc: need(2); open = u16(at); at += 2; break; // array16
        case 0xdd: need(4); open = u32(at); at += 4; break; // array32
        case 0xde: need(2); open = u16(at); at += 2; openMap = true; break; // map16
        case 0xdf: need(4); open = u32(at); at += 4; openMap = true; break; // map32
        default:
          // 0xc1 is never used; 0xc7-0xc9 and 0xd4-0xd8 are extension types.
          throw new FrameDecodeError(b === 0xc1 ? 'msgpack byte 0xc1 is never valid' : 'msgpack extension types are not accepted');
      }
    }
    if (open >= 0) {
      if (++containers > limits.maxContainers) throw new FrameDecodeError(`msgpack value holds more than ${limits.maxContainers} maps and arrays`);
      if (pending.length > limits.maxDepth) throw new FrameDecodeError(`msgpack value nests deeper than ${limits.maxDepth}`);
      const items = openMap ? open * 2 : open;
      // Every item takes at least one byte: a count beyond the bytes left is a lie (and a loop bound).
      if (items > end - at) throw new FrameDecodeError('msgpack container declares more items than bytes remain');
      pending.push(items);
      isMap.push(openMap);
      keyNext.push(openMap);
      continue;
    }
    need(skip);
    at += skip;
  }
  if (at !== end) throw new FrameDecodeError(`${end - at} bytes after the msgpack value`);
}
