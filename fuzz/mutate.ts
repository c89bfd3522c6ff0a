/**
 * Structure-blind mutations of a valid encoding. Each targets a way decoders go wrong: flipped
 * bits and bytes (checks), boundary bytes (0x00/0x7f/0x80/0xff: varint continuation, tags,
 * signs), huge counts spliced in (allocation before checking), truncation and extension (length
 * checks, trailing data), duplicated and moved chunks (repeated items, order), and splices of
 * another valid input (type confusion between fields).
 */
import type { FuzzRng } from './rng.ts';

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xc0, 0xf7, 0xf8, 0xfe, 0xff];
/** Encodings of very large counts: LEB128 2^31, zig-zag 2^31, 0xffffffff, RLP long lengths. */
const HUGE = [
  [0x80, 0x80, 0x80, 0x80, 0x08],
  [0x80, 0x80, 0x80, 0x80, 0x10],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
  [0xbb, 0x7f, 0xff, 0xff, 0xff],
  [0xfb, 0x7f, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff],
];

function replaceRange(b: Uint8Array, at: number, del: number, ins: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, at), 0);
  out.set(ins, at);
  out.set(b.subarray(at + del), at + ins.length);
  return out;
}

/** A copy as a plain Uint8Array (a Buffer's `.slice()` is a view: it would mutate the seed). */
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

/** One to four mutations of `input` (never modified in place); `other` is a donor for splices. */
export function mutate(rng: FuzzRng, input: Uint8Array, other: Uint8Array): Uint8Array {
  let b = input;
  const rounds = 1 + rng.int(rng.chance(0.7) ? 1 : 4);
  for (let k = 0; k < rounds; k++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(10)) {
      case 0: {
        if (b.length === 0) break;
        b = copy(b);
        const i = rng.int(b.length);
        b[i]! ^= 1 << rng.int(8);
        break;
      }
      case 1: {
        if (b.length === 0) break;
        b = copy(b);
        b[rng.int(b.length)] = rng.pick(INTERESTING);
        break;
      }
      case 2:
        b = replaceRange(b, at, Math.min(rng.int(6), b.length - at), rng.pick(HUGE));
        break;
      case 3:
        b = copy(b.subarray(0, rng.int(b.length + 1)));
        break;
      case 4:
        b = replaceRange(b, at, 0, rng.bytes(1 + rng.int(rng.chance(0.5) ? 4 : 64)));
        break;
      case 5:
        b = replaceRange(b, at, Math.min(1 + rng.int(16), b.length - at), []);
        break;
      case 6: {
        if (b.length === 0) break;
        const from = rng.int(b.length);
        const len = 1 + rng.int(Math.min(128, b.length - from));
        b = replaceRange(b, at, 0, b.subarray(from, from + len));
        break;
      }
      case 7: {
        if (other.length === 0) break;
        const from = rng.int(other.length);
        const len = 1 + rng.int(Math.min(256, other.length - from));
        b = replaceRange(b, at, rng.int(Math.min(64, b.length - at) + 1), other.subarray(from, from + len));
        break;
      }
      case 8: {
        if (b.length === 0) break;
        b = copy(b);
        const i = rng.int(b.length);
        b[i] = (b[i]! + (rng.chance(0.5) ? 1 : 0xff)) & 0xff;
        break;
      }
      default:
        b = replaceRange(b, b.length, 0, rng.bytes(1 + rng.int(8)));
        break;
    }
  }
  return b;
}
