/**
 * Byte helpers the codec and crypto layers share. Kept here (not imported from src/tempo) so the
 * codec has no dependency on any protocol module.
 */

/** Unsigned lexicographic order — the order of every commonware `Set`/`Map` over raw keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A Buffer view of the same memory (no copy): for APIs that want a Buffer (Avro, node:crypto). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Lower-case hex, no prefix. */
export function toHex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex');
}

/** A string that is not an even-length run of hex digits (after an optional `0x`). */
export class InvalidHex extends Error {
  override name = 'InvalidHex';
}

const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Strict hex decoding: an optional `0x`/`0X` prefix, then an even number of hex digits (odd
 * length or a non-hex character is an {@link InvalidHex}, never a silent truncation). `what`
 * names the value in the error message.
 */
export function fromHex(hex: string, what = 'hex'): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0) throw new InvalidHex(`${what}: odd number of hex digits (${body.length})`);
  if (!HEX_RE.test(body)) throw new InvalidHex(`${what}: not a hex string`);
  return Uint8Array.from(Buffer.from(body, 'hex'));
}

/** Comparators for the key types the codec's ordered containers use most. */
export const compareNumbers = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);
export const compareBigints = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
