/**
 * Interchangeable arithmetic backends for the MinSig verification hot path (Tempo finalization
 * certificates): decoding signatures (G1) and keys (G2) with upstream's rules, hashing to G1,
 * G1 MSM and the 2-pairing product check.
 *
 * - `noble`: the reference implementation (@noble/curves via `group.ts`/`variant.ts`), always
 *   available; every other backend is tested against it and against upstream's fixtures.
 * - `mcl`: herumi's mcl compiled to WebAssembly (`mcl-wasm`, optional dependency), about 7× faster
 *   at hashing to G1 and ~10× at pairings. Same bytes, same accept/reject decisions
 *   (test/conformance/bls-backend.test.ts).
 *
 * Selection (once, at module load): `DKG_STREAM_BLS_BACKEND=noble|mcl|auto` (default `auto`: mcl
 * when `mcl-wasm` is installed, else noble). `mcl` fails loudly when it cannot be loaded.
 * {@link setBlsBackend} switches at run time (tests, benchmarks).
 *
 * The current backend may also accelerate the G2 arithmetic of `group.ts`'s `G2` (the DKG's
 * commitments, Feldman checks, commitment sums, MSMs, G2 encoding and decoding); mcl does
 * (`g2-mcl.ts`), with the same results.
 */
import { showValue } from '../../show.ts';
import { G1, type G1Point, G2, type G2Accelerator, type G2Point, prepareG2Point, setG2Accelerator } from './group.ts';
import { MinSig } from './variant.ts';

export type BlsBackendName = 'noble' | 'mcl';

/**
 * The operations certificate verification needs, over backend-specific point handles. `Pub` is a
 * decoded G2 public key (with whatever pairing precomputation the backend keeps), `Sig` a G1
 * point (signature or hashed message).
 */
export interface MinSigBackend<Pub = unknown, Sig = unknown> {
  readonly name: BlsBackendName;
  /** Upstream G2 decoding (flags, x < p, on curve, not infinity, in G2); throws codec `Invalid`. */
  decodePublic(bytes: Uint8Array): Pub;
  /** Upstream G1 decoding; throws codec `Invalid` with upstream's message. */
  decodeSignature(bytes: Uint8Array): Sig;
  /** RFC 9380 hash_to_curve into G1 (blst `hash_to_g1`, empty aug). */
  hashToG1(dst: Uint8Array, msg: Uint8Array): Sig;
  /** Σ scalarsᵢ·pointsᵢ in G1 (public, non-negative scalars < r). */
  msmG1(points: readonly Sig[], scalars: readonly bigint[]): Sig;
  /** e(hm, pub)·e(sig, −G2) == 1, identity terms neutral (as blst). */
  verify(pub: Pub, hm: Sig, sig: Sig): boolean;
  /** Compressed encodings (tests compare them with noble's and upstream's bytes). */
  encodeSignature(sig: Sig): Uint8Array;
  encodePublic(pub: Pub): Uint8Array;
  /** Faster G2 arithmetic on noble points (same results), installed while this backend is current. */
  g2?: G2Accelerator;
}

export type AnyMinSigBackend = MinSigBackend<any, any>;

/** The reference backend: exactly the code paths of `group.ts` / `variant.ts`. */
export const nobleBackend: MinSigBackend<G2Point, G1Point> = {
  name: 'noble',
  decodePublic(bytes) {
    const p = G2.decode(bytes);
    prepareG2Point(p);
    return p;
  },
  decodeSignature: (bytes) => G1.decode(bytes),
  hashToG1: (dst, msg) => G1.hash(dst, msg),
  msmG1: (points, scalars) => G1.msm(points, scalars),
  verify: (pub, hm, sig) => MinSig.verify(pub, hm, sig),
  encodeSignature: (sig) => G1.encode(sig),
  encodePublic: (pub) => G2.encode(pub),
};

async function loadMcl(): Promise<AnyMinSigBackend | Error> {
  try {
    const { createMclBackend } = await import('./backend-mcl.ts');
    return await createMclBackend();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

const requested = (process.env.DKG_STREAM_BLS_BACKEND ?? 'auto').toLowerCase();
if (!['auto', 'noble', 'mcl'].includes(requested)) {
  throw new Error(`DKG_STREAM_BLS_BACKEND must be noble, mcl or auto (got ${showValue(process.env.DKG_STREAM_BLS_BACKEND)})`);
}
const mclLoaded: AnyMinSigBackend | Error = requested === 'noble' ? new Error('not loaded (DKG_STREAM_BLS_BACKEND=noble)') : await loadMcl();
if (requested === 'mcl' && mclLoaded instanceof Error) {
  throw new Error(`DKG_STREAM_BLS_BACKEND=mcl but the mcl backend could not be loaded (is mcl-wasm installed?): ${mclLoaded.message}`, { cause: mclLoaded });
}

let current: AnyMinSigBackend = requested !== 'noble' && !(mclLoaded instanceof Error) ? mclLoaded : nobleBackend;
setG2Accelerator(current.g2 ?? null);

/** The backend certificate verification uses now. */
export function blsBackend(): AnyMinSigBackend {
  return current;
}

/** The backends this process can use (noble always; mcl when `mcl-wasm` loaded). */
export function availableBlsBackends(): AnyMinSigBackend[] {
  return mclLoaded instanceof Error ? [nobleBackend] : [nobleBackend, mclLoaded];
}

/** Why mcl is unavailable (null when it is available). */
export function mclUnavailableReason(): string | null {
  return mclLoaded instanceof Error ? mclLoaded.message : null;
}

/** Switches the backend (tests/benchmarks); returns the previous one. Throws if unavailable. */
export function setBlsBackend(name: BlsBackendName): AnyMinSigBackend {
  const previous = current;
  const next = availableBlsBackends().find((b) => b.name === name);
  if (!next) throw new Error(`BLS backend ${name} is not available: ${mclUnavailableReason()}`);
  current = next;
  setG2Accelerator(next.g2 ?? null);
  return previous;
}
