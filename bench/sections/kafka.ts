/**
 * Section `kafka`: dkg-stream's runtime against Kafka Streams 4.1.1 on the same local broker and
 * against upstream's journal replay (commonware-storage 0.0.64). The measurements live in
 * bench/kafka/section.ts (also runnable alone); this maps them to harness metrics.
 * Needs the local stack (`node bin/dkg-stream.js stack up`), Java 17 + Maven (Kafka Streams
 * anchor) and cargo (journal anchor). Records: 1M (quick: 100k), restart history 10k, 3 fold
 * rounds per system and guarantee (quick: 1). BENCH_KAFKA_RECORDS / _SMALL / _ROUNDS override.
 */

import type { BenchSection, Metric } from '../harness.ts';
import { runKafkaBench } from '../kafka/section.ts';
import { measured } from '../measured.ts';

export const kafka: BenchSection = {
  name: 'kafka',
  title: 'Kafka runtime vs Kafka Streams 4.1.1 (fold, restart, restore) and upstream journal replay',
  async run(ctx) {
    const records = Number(process.env.BENCH_KAFKA_RECORDS ?? (ctx.quick ? 100_000 : 1_000_000));
    const small = Number(process.env.BENCH_KAFKA_SMALL ?? 10_000);
    const r = await runKafkaBench({ records, small, rounds: Number(process.env.BENCH_KAFKA_ROUNDS ?? (ctx.quick ? 1 : 3)), log: ctx.log });
    const metrics: Metric[] = [];
    const fold = (s: string, g: string) => r.fold.find((x) => x.system === s && x.guarantee === g);
    const ks = 'Kafka Streams 4.1.1 (1 stream thread, RocksDB, record cache on)';
    const dE = fold('dkg-stream', 'eos');
    const dA = fold('dkg-stream', 'alos');
    const kE = fold('kafka-streams', 'eos');
    const kA = fold('kafka-streams', 'alos');
    if (dE)
      metrics.push({
        name: `fold ${records} records, exactly-once`,
        unit: 'records/s',
        higherIsBetter: true,
        ours: dE.recordsPerSec,
        anchor: kE?.recordsPerSec ?? null,
        anchorName: `${ks}, exactly_once_v2`,
        target: 1,
      });
    if (dA)
      metrics.push({
        name: `fold ${records} records, at-least-once`,
        unit: 'records/s',
        higherIsBetter: true,
        ours: dA.recordsPerSec,
        anchor: kA?.recordsPerSec ?? null,
        anchorName: `${ks}, at_least_once`,
        target: 1,
      });
    if (dE && kE) {
      measured.kafkaStreamsFoldRssMb = kE.maxRssMb;
      measured.dkgStreamFoldRssMb = dE.maxRssMb;
      metrics.push({
        name: 'peak RSS folding, exactly-once',
        unit: 'MB',
        higherIsBetter: false,
        ours: dE.maxRssMb,
        anchor: kE.maxRssMb,
        anchorName: `${ks} (JVM -Xmx768m), exactly_once_v2`,
        note: 'VmRSS sampled every 200 ms, peak of the median round; ratio > 1 = dkg-stream uses less memory',
      });
    }
    const rs = (s: string, kind: string, h: number) => r.restart.find((x) => x.system === s && x.kind === kind && x.history === h);
    const dS = rs('dkg-stream', 'unclean-restart', small);
    const dL = rs('dkg-stream', 'unclean-restart', records);
    const kS = rs('kafka-streams', 'unclean-restart', small);
    const kL = rs('kafka-streams', 'unclean-restart', records);
    const dC = rs('dkg-stream', 'cold-restore', records);
    const kC = rs('kafka-streams', 'cold-restore', records);
    if (dL)
      metrics.push({
        name: `task start after kill -9, ${records} folded`,
        unit: 's',
        higherIsBetter: false,
        ours: dL.taskStartSeconds,
        anchor: kL?.taskStartSeconds ?? null,
        anchorName: `${ks}, exactly_once_v2 (wipes and restores the store after an unclean stop)`,
      });
    if (dS && dL)
      metrics.push({
        name: `task start after kill -9: ${records} vs ${small} folded`,
        unit: 's',
        higherIsBetter: false,
        ours: dL.taskStartSeconds,
        anchor: dS.taskStartSeconds,
        anchorName: `dkg-stream itself after ${small} records (1× = independent of history)`,
        target: 0.5,
      });
    if (kS && kL)
      metrics.push({
        name: `Kafka Streams task start after kill -9: ${records} vs ${small}`,
        unit: 's',
        higherIsBetter: false,
        ours: kL.taskStartSeconds,
        anchor: kS.taskStartSeconds,
        anchorName: 'Kafka Streams itself (reference)',
        chart: false,
      });
    if (dC) {
      metrics.push({
        name: `cold restore from changelog, ${records} folded`,
        unit: 's',
        higherIsBetter: false,
        ours: dC.taskStartSeconds,
        anchor: kC?.taskStartSeconds ?? null,
        anchorName: `${ks} restoring the same store from its changelog`,
      });
      const replay = r.replaySeconds?.['dkg-stream'];
      if (replay)
        metrics.push({
          name: 'cold restore vs replay of the input',
          unit: 's',
          higherIsBetter: false,
          ours: dC.readySeconds,
          anchor: replay,
          anchorName: 'dkg-stream replaying the input topic from offset 0 (new application, spawn to caught up)',
        });
    }
    if (r.journal && dC)
      metrics.push({
        name: `restore vs upstream journal replay, ${records} events`,
        unit: 's',
        higherIsBetter: false,
        ours: dC.taskStartSeconds,
        anchor: r.journal.upstreamReplaySeconds,
        anchorName: 'commonware-storage 0.0.64 segmented::variable journal init + replay into BTreeMaps (Rust, 1 thread)',
      });
    const notes = [
      `load average at start ${r.machine.loadavg.map((x) => x.toFixed(2)).join(' ')}; logs of the child processes in ${r.logs}`,
      'fold workload: raw fixed-layout DKG-event bytes (no Avro/registry on either side), 2 partitions, committee of 10 per epoch, ≈250k store keys per 1M records (bench/kafka/workload.ts)',
      'throughput = records / (first record folded → group committed offsets at the input end); at-least-once: → last record folded (Kafka Streams: processed; dkg-stream: stored); median of the rounds, systems alternating',
      '"task start" = assignment (Kafka Streams: restore start) → every task running; "ready" also counts process start and the 6 s session expiry of the killed member',
    ];
    return { metrics, data: r, notes };
  },
};
