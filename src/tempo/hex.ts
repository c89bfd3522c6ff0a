/**
 * Hex helpers for the Tempo formats. Input may carry an optional `0x`/`0X` prefix (tempo's
 * producers omit it, its decoders accept it); output is always lower-case. Odd length or a
 * non-hex character is an {@link InvalidHex}, never a silent truncation.
 */

/** A string that is not an even-length run of hex digits (after an optional `0x`). */
export class InvalidHex extends Error {
  override name = 'InvalidHex';
}

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Decodes hex with or without a `0x` prefix. `what` names the value in the error message. */
export function hexToBytes(hex: string, what = 'hex'): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0) throw new InvalidHex(`${what}: odd number of hex digits (${body.length})`);
  if (!HEX_RE.test(body)) throw new InvalidHex(`${what}: not a hex string`);
  return Uint8Array.from(Buffer.from(body, 'hex'));
}

/** Lower-case hex without prefix. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Lower-case hex with a `0x` prefix (the Ethereum convention for hashes and addresses). */
export function bytesTo0x(bytes: Uint8Array): string {
  return '0x' + bytesToHex(bytes);
}

/** Byte helpers shared with the codec layer (one implementation project-wide). */
export { compareBytes, concatBytes, equalBytes as bytesEqual } from '../codec/index.ts';
