/**
 * Certificate verification vs native commonware: the native anchor signs N finalization
 * certificates of one epoch (commonware 2026.7.1, TEMPO, MinSig), writes them to
 * `bench/results/certificates-N.json` and times `Finalization::decode` + `Finalization::verify`
 * (one thread) and `verify_certificates` over all of them. dkg-stream then decodes and verifies
 * the SAME certificates, one by one (`verifyFinalization`) and batched (`verifyFinalizations`),
 * on every available BLS backend.
 */
import { readFileSync } from 'node:fs';
import { availableBlsBackends, blsBackend, setBlsBackend } from '../../src/crypto/bls12381/backend.ts';
import { decodeFinalization } from '../../src/tempo/finalization.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';
import { prepareIdentity, verifyFinalization, verifyFinalizations } from '../../src/tempo/verify.ts';
import { type BenchSection, type Metric, RESULTS_DIR } from '../harness.ts';

export const certificates: BenchSection = {
  name: 'certificates',
  title: 'Tempo finalization certificate verification (commonware 2026.7.1, MinSig) vs native',
  async run(ctx) {
    const count = ctx.quick ? 200 : 2000;
    const file = `${RESULTS_DIR}certificates-${count}.json`;
    const native = await ctx.native(['--certs', String(count), '--out', file, '--dkg', '', '--min-ms', ctx.quick ? '500' : '3000']);
    const nc = native.certificates;
    const data = JSON.parse(readFileSync(file, 'utf8')) as { identity: string; certificates: string[] };
    const bytes = data.certificates.map((h) => hexToBytes(h));
    const identity = hexToBytes(data.identity);
    const metrics: Metric[] = [];
    const anchorSingle = 'native Finalization::verify, 1 thread';
    const initial = blsBackend().name;
    try {
      for (const b of availableBlsBackends()) {
        setBlsBackend(b.name);
        const id = prepareIdentity(identity);
        // single: decode + verify each certificate, for at least minMs (and 50 certificates)
        const minMs = ctx.quick ? 1000 : 5000;
        verifyFinalization(decodeFinalization(bytes[0]!), id); // warm-up
        let n = 0;
        const t0 = performance.now();
        while (n < 50 || (performance.now() - t0 < minMs && n < bytes.length)) {
          const r = verifyFinalization(decodeFinalization(bytes[n % bytes.length]!), id);
          if (!r.valid) throw new Error(`certificate ${n} does not verify: ${r.reason}`);
          n++;
        }
        const single = (n / (performance.now() - t0)) * 1000;
        ctx.log(`${b.name}: single ${single.toFixed(1)} certs/s (${n} certificates)`);
        // batched: decode all + one verifyFinalizations over the whole epoch, repeated for minMs
        let certs = 0;
        const t1 = performance.now();
        do {
          const fins = bytes.map((x) => decodeFinalization(x));
          if (!verifyFinalizations(fins, id)) throw new Error('batch does not verify');
          certs += fins.length;
        } while (performance.now() - t1 < (ctx.quick ? 500 : 2000));
        const batched = (certs / (performance.now() - t1)) * 1000;
        ctx.log(`${b.name}: batched ${batched.toFixed(1)} certs/s (${certs} certificates)`);
        metrics.push(
          { name: `single, ${b.name}`, unit: 'certs/s', higherIsBetter: true, ours: single, anchor: nc.single.certs_per_sec, anchorName: anchorSingle },
          {
            name: `batched ${count}, ${b.name}`,
            unit: 'certs/s',
            higherIsBetter: true,
            ours: batched,
            anchor: nc.single.certs_per_sec,
            anchorName: anchorSingle,
            target: 1 / 3,
            note: 'issue 10 target: batched ≥ 1/3 of native single-core',
          },
          {
            name: `batched ${count} vs native batched, ${b.name}`,
            unit: 'certs/s',
            higherIsBetter: true,
            ours: batched,
            anchor: nc.batched.certs_per_sec,
            anchorName: 'native verify_certificates (all at once), 1 thread',
          },
        );
      }
    } finally {
      setBlsBackend(initial);
    }
    return {
      metrics,
      data: { native: nc, count, file: `bench/results/certificates-${count}.json` },
      notes: [`${count} certificates of one epoch, n=${nc.committee} committee; each side decodes from bytes and verifies; TS batch weights from OS randomness`],
    };
  },
};
