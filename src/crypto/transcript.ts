import { blake3 } from '@noble/hashes/blake3.js';
import { type Reader, Writer as W, type Writer } from '../codec/index.ts';
import { type Ed25519PrivateKey, type Ed25519PublicKey, type Ed25519Signature, ed25519SignRaw, ed25519VerifyRaw } from './ed25519.ts';
import type { RngCore } from './rng.ts';

/** A transcript summary: a 32-byte BLAKE3 output (upstream `transcript::Summary`, no prefix on the wire). */
export type Summary = Uint8Array;
export const SUMMARY_BYTES = 32;

type Hasher = ReturnType<typeof blake3.create>;

const StartTag = { New: 0, Resume: 1, Fork: 2, Noise: 3 } as const;
type StartTag = (typeof StartTag)[keyof typeof StartTag];

/**
 * commonware's `Transcript` (v0.0.64): a BLAKE3 hash over a sequence of committed messages, used to
 * derive every summary, signed digest and deterministic RNG stream of the DKG. The exact byte
 * construction is part of the protocol (signatures cover these digests), so it is spelled out:
 *
 * - start: BLAKE3, keyed with a previous summary when resuming/forking/noising, then one tag byte
 *   (new 0, resume 1, fork 2, noise 3);
 * - `append(x)` hashes x raw; `commit(x)` appends x and then the LEB128 length of everything
 *   appended since the last commit — a length *suffix*, so message boundaries are unambiguous;
 * - `summarize()` is the 32-byte output (only allowed with nothing pending).
 *
 * `fork`/`noise` start a fresh transcript keyed by this one's summary; the original is unchanged.
 */
export class Transcript {
  private constructor(
    private readonly hasher: Hasher,
    private pending: number,
  ) {}

  private static start(tag: StartTag, key?: Summary): Transcript {
    if (key !== undefined && key.length !== SUMMARY_BYTES) throw new RangeError('Transcript: summary must be 32 bytes');
    const h = key === undefined ? blake3.create() : blake3.create({ key });
    h.update(Uint8Array.of(tag));
    return new Transcript(h, 0);
  }

  /** `Transcript::new(namespace)`: unkeyed, tag 0, then the namespace committed. */
  static new(namespace: Uint8Array): Transcript {
    return Transcript.start(StartTag.New).commit(namespace);
  }

  /** `Transcript::resume(summary)`: keyed by `summary`, tag 1, nothing committed. */
  static resume(summary: Summary): Transcript {
    return Transcript.start(StartTag.Resume, summary);
  }

  /** Absorbs `data` as part of the current (uncommitted) message. */
  append(data: Uint8Array): this {
    this.hasher.update(data);
    this.pending += data.length;
    return this;
  }

  /** Appends `data`, then closes the message with the varint of its total length. */
  commit(data: Uint8Array): this {
    this.append(data);
    const w = new W(10);
    w.varU64(this.pending);
    this.hasher.update(w.finish());
    this.pending = 0;
    return this;
  }

  /** The summary so far. Throws if data was appended but not committed (upstream asserts). */
  summarize(): Summary {
    if (this.pending !== 0) throw new Error('transcript had uncommitted data');
    return this.hasher.clone().digest();
  }

  /** A child transcript keyed by this summary, tag 2, with `label` committed. */
  fork(label: Uint8Array): Transcript {
    return Transcript.start(StartTag.Fork, this.summarize()).commit(label);
  }

  /**
   * A deterministic RNG: keyed by this summary, tag 3, `label` committed, then the BLAKE3 XOF read
   * sequentially from offset 0. How the reads are chunked never changes the bytes.
   */
  noise(label: Uint8Array): TranscriptRng {
    const t = Transcript.start(StartTag.Noise, this.summarize()).commit(label);
    return new TranscriptRng(t.hasher);
  }

  /** Ed25519 signature over `union_unique("", summary)` = `0x00 ‖ summary` (upstream `Transcript::sign`). */
  sign(privateKey: Ed25519PrivateKey): Ed25519Signature {
    return ed25519SignRaw(privateKey, withEmptyNamespace(this.summarize()));
  }

  verify(publicKey: Ed25519PublicKey, signature: Ed25519Signature): boolean {
    return ed25519VerifyRaw(publicKey, withEmptyNamespace(this.summarize()), signature);
  }

  /** An independent copy (same state, same pending count). */
  clone(): Transcript {
    return new Transcript(this.hasher.clone(), this.pending);
  }
}

function withEmptyNamespace(summary: Summary): Uint8Array {
  const out = new Uint8Array(1 + summary.length);
  out.set(summary, 1);
  return out;
}

/** The XOF stream of {@link Transcript.noise}. */
export class TranscriptRng implements RngCore {
  constructor(private readonly hasher: Hasher) {}

  fillBytes(dest: Uint8Array): void {
    if (dest.length > 0) dest.set(this.hasher.xof(dest.length));
  }

  /** rand_core `next_u32_via_fill`: 4 bytes, little-endian. */
  nextU32(): number {
    const b = this.hasher.xof(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  /** rand_core `next_u64_via_fill`: 8 bytes, little-endian. */
  nextU64(): bigint {
    const b = this.hasher.xof(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
}

export function readSummary(r: Reader): Summary {
  return r.bytes(SUMMARY_BYTES);
}

export function writeSummary(w: Writer, s: Summary): void {
  if (s.length !== SUMMARY_BYTES) throw new RangeError('summary must be 32 bytes');
  w.bytes(s);
}

/** `Summary::random`: 32 bytes drawn from `rng`. */
export function randomSummary(rng: RngCore): Summary {
  const out = new Uint8Array(SUMMARY_BYTES);
  rng.fillBytes(out);
  return out;
}
