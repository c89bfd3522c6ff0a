/**
 * JSON rendering conventions of the operator CLI and of the Tempo events: a u64 becomes a JSON
 * number when it is exactly representable (<= 2^53 - 1), else a decimal string, so no value is
 * ever silently rounded.
 */
export function jsonNumber(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}
