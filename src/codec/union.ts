import { Writer } from './writer.ts';

/**
 * `union_unique(namespace, msg) = varint(len(namespace)) ‖ namespace ‖ msg` — the payload of every
 * namespaced signature in commonware. The length prefix makes the split point unambiguous, so
 * no (namespace, msg) pair collides with another; an empty namespace still adds the `00` byte.
 */
export function unionUnique(namespace: Uint8Array, msg: Uint8Array): Uint8Array {
  const w = new Writer(5 + namespace.length + msg.length);
  w.varBytes(namespace);
  w.bytes(msg);
  return w.finish();
}

/** Plain concatenation (upstream `union`). */
export function union(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
