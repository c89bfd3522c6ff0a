/**
 * Hex helpers under the names the Tempo formats use. Input may carry an optional `0x`/`0X` prefix
 * (tempo's producers omit it, its decoders accept it); output is always lower-case. The one
 * implementation is the codec's (src/codec/bytes.ts).
 */
import { toHex } from '../codec/bytes.ts';

export { compareBytes, concatBytes, equalBytes as bytesEqual, fromHex as hexToBytes, InvalidHex, toHex as bytesToHex } from '../codec/bytes.ts';

/** Lower-case hex with a `0x` prefix (the Ethereum convention for hashes and addresses). */
export function bytesTo0x(bytes: Uint8Array): string {
  return `0x${toHex(bytes)}`;
}
