import { unionUnique } from '../../codec/index.ts';

/**
 * The bytes a (namespace, message) pair signs under v0.0.64's `Option<&[u8]>` namespace: the
 * message itself for `null`, `union_unique(namespace, message)` otherwise.
 */
export function messagePayloadOf(namespace: Uint8Array | null, message: Uint8Array): Uint8Array {
  return namespace === null ? message : unionUnique(namespace, message);
}
