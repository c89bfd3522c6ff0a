/**
 * Step 6 of processor.ts: a certificate's signatures verify under its epoch's scheme, inline or
 * from a pre-verification hint.
 *
 * Pre-verification (only with a {@link CertificateVerifier}) is a hint, never a decision:
 * `prepare` verifies a chunk's certificates on the verifier's threads under the identity this
 * task last verified (or saw registered for) their epoch; {@link Verification.verify} takes a
 * `true` answer only when the scheme the fold picked has exactly that identity, and verifies
 * inline in every other case (no answer, `false`, another identity). So the outputs are those of
 * inline verification, in the same order. Hints and answers are per partition: tasks fold
 * concurrently, and each `prepare` replaces only its own partition's chunk.
 */
import { equalBytes } from '../../codec/bytes.ts';
import type { InRecord, ProcessorContext } from '../../runtime/processor.ts';
import type { NetworkIdentity } from '../../tempo/network-identity.ts';
import { type VerifyResult, verifyFinalization } from '../../tempo/verify.ts';
import type { CertificateVerifier } from '../../tempo/verify-pool.ts';
import type { TopicCodecs } from '../../topics/codecs.ts';
import type { FinalizationRecord } from '../../topics/consensus-finalizations.ts';
import { epochOfKey } from '../../topics/epoch-key.ts';
import type { FollowBootstrap } from './bootstrap.ts';
import type { Checked } from './certificate.ts';
import { FOLLOW_METRICS } from './config.ts';
import type { Scheme } from './schemes.ts';

const VERIFIED: VerifyResult = { valid: true, reason: null };
const recordKey = (r: InRecord) => `${r.partition}:${r.offset}`;
const ofPartition = <T>(by: Map<number, Map<string, T>>, p: number): Map<string, T> => by.get(p) ?? by.set(p, new Map()).get(p)!;

export class Verification {
  /** The identity each epoch was last verified (or registered) with: what `prepare` verifies under. */
  private readonly hintIdentity = new Map<bigint, Uint8Array>();
  private readonly preVerifiedBy = new Map<number, Map<string, { identity: Uint8Array; valid: boolean }>>();
  private readonly decodedBy = new Map<number, Map<string, FinalizationRecord>>();

  constructor(
    private readonly codec: TopicCodecs,
    readonly verifier: CertificateVerifier | undefined,
    bootstrap: FollowBootstrap | undefined,
    private readonly networkIdentity?: NetworkIdentity | undefined,
  ) {
    if (bootstrap) this.hintIdentity.set(bootstrap.epoch, bootstrap.identity);
  }

  /** Verifies a chunk's certificates of epochs with a known identity on the verifier's threads. */
  async prepare(v: CertificateVerifier, records: InRecord[]): Promise<void> {
    const partition = records[0]?.partition;
    if (partition === undefined) return;
    const preVerified = ofPartition(this.preVerifiedBy, partition);
    const decoded = ofPartition(this.decodedBy, partition);
    preVerified.clear();
    decoded.clear();
    const groups = new Map<bigint, { identity: Uint8Array; keys: string[]; certificates: Uint8Array[] }>();
    for (const record of records) {
      const epoch = epochOfKey(record.key);
      if (epoch === undefined) continue;
      // No hint yet (an epoch this task has not verified, e.g. every epoch of a catch-up's first
      // fetch): the network identity, which the fold falls back to for the same epochs.
      const net = this.networkIdentity;
      const identity = this.hintIdentity.get(epoch) ?? (net && epoch >= net.fromEpoch ? net.identity : undefined);
      if (!identity) continue;
      let r: FinalizationRecord;
      try {
        r = await this.codec.decodeFinalization(record.value);
      } catch {
        continue; // the fold decodes it again and dead-letters it with its reason
      }
      const k = recordKey(record);
      decoded.set(k, r);
      let g = groups.get(epoch);
      if (!g) groups.set(epoch, (g = { identity, keys: [], certificates: [] }));
      g.keys.push(k);
      g.certificates.push(r.certificate);
    }
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const answers = await v.verifyEach(g.certificates, g.identity);
        g.keys.forEach((k, i) => preVerified.set(k, { identity: g.identity, valid: answers[i]! }));
      }),
    );
  }

  /** The record's value, decoded by `prepare` already or now. */
  decode(record: InRecord): FinalizationRecord | Promise<FinalizationRecord> {
    const k = recordKey(record);
    const decoded = this.decodedBy.get(record.partition);
    const r = decoded?.get(k);
    if (r) {
      decoded!.delete(k);
      return r;
    }
    return this.codec.decodeFinalization(record.value);
  }

  /** The record's value if `prepare` decoded it (left in place for the fold), else undefined. */
  decoded(record: InRecord): FinalizationRecord | undefined {
    return this.decodedBy.get(record.partition)?.get(recordKey(record));
  }

  /** Verifies the certificate under the scheme: a pre-verified `true` for exactly this identity, else inline. */
  verify(ctx: ProcessorContext, record: InRecord, c: Checked, scheme: Scheme): VerifyResult {
    const hint = this.preVerifiedBy.get(record.partition)?.get(recordKey(record));
    const res: VerifyResult = hint?.valid && equalBytes(hint.identity, scheme.identity.bytes) ? VERIFIED : verifyFinalization(c.fin, scheme.identity);
    if (hint?.valid && res === VERIFIED) ctx.count(FOLLOW_METRICS.preverified, 'Finalizations whose verification came from the verifier threads (pre-verified ahead of the fold)', {});
    if (res.valid) this.hint(c.epoch, scheme.identity.bytes);
    return res;
  }

  /** The identity of an epoch's scheme, for pre-verifying its next chunks (kept only with a verifier). */
  hint(epoch: bigint, identity: Uint8Array): void {
    if (this.verifier) this.hintIdentity.set(epoch, identity);
  }

  /** Schemes registered by other tasks (the `epochs` table): hints for pre-verifying their epochs' chunks here. */
  async hintFromTable(records: InRecord[]): Promise<void> {
    if (!this.verifier) return;
    for (const r of records) {
      const ev = r.value ? await this.codec.decodeEpochEvent(r.value).catch(() => null) : null;
      if (ev?.type === 'SchemeRegistered') this.hint(ev.epoch, ev.identity);
    }
  }
}
