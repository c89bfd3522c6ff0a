/**
 * The BLS backend candidates on the primitives that bound certificate verification (see
 * bench/backends.ts). The anchor here is the noble reference, not native: the ratio is the
 * backend's speed-up over noble, kept out of the native-ratio chart.
 */
import { mclUnavailableReason } from '../../src/crypto/bls12381/backend.ts';
import { measureBackends } from '../backends.ts';
import type { BenchSection, Metric } from '../harness.ts';

export const backends: BenchSection = {
  name: 'backends',
  title: 'BLS backend candidates (hash-to-G1 _POP_, 2-pairing check, G1 MSM, decoding) vs the noble reference',
  async run(ctx) {
    const results = measureBackends(ctx.quick ? 200 : 1500, ctx.log);
    const metrics: Metric[] = [];
    for (const r of results) {
      const ref = results.find((x) => x.op === r.op && x.backend === 'noble')!;
      metrics.push({
        name: `${r.op}, ${r.backend}`,
        unit: 'ops/s',
        higherIsBetter: true,
        ours: r.opsPerSec,
        anchor: r.backend === 'noble' ? null : ref.opsPerSec,
        anchorName: 'noble (@noble/curves 2.4.0)',
        chart: false,
      });
    }
    const why = mclUnavailableReason();
    return { metrics, data: results, notes: why ? [`mcl unavailable: ${why}`] : [] };
  },
};
