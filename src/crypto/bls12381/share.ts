import { decode as decodeWith, type Reader, Writer } from '../../codec/index.ts';
import { readScalar, type Scalar, writeScalar } from './scalar.ts';
import type { Variant } from './variant.ts';

/**
 * A participant's secret share (upstream `group::Share`): `index` is the 0-based position of the
 * player in the sorted player set, `private` = f(index + 1). Wire form: `varint(index) ‖ scalar`
 * (so a zero share is undecodable, as upstream). This is a secret: encrypt it at rest.
 */
export interface Share {
  readonly index: number;
  readonly private: Scalar;
}

export function writeShare(w: Writer, s: Share): void {
  w.varU32(s.index);
  writeScalar(w, s.private);
}

export function readShare(r: Reader): Share {
  const index = r.varU32();
  return { index, private: readScalar(r) };
}

export function encodeShare(s: Share): Uint8Array {
  const w = new Writer(37);
  writeShare(w, s);
  return w.finish();
}

export function decodeShare(bytes: Uint8Array): Share {
  return decodeWith(bytes, readShare);
}

/** The share's public key G·private in the variant's public group (equals sharing.partialPublic(index)). */
export function sharePublic<P, S>(v: Variant<P, S>, s: Share): P {
  return v.Public.mul(v.Public.GENERATOR, s.private);
}
