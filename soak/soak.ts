/**
 * The chaos soak (issue 19): the main job's whole pipeline on the replicated, secured 3-node
 * stack — the simulated validators running DKG/reshare ceremonies epoch after epoch through the
 * journal, the simulated chain, K `dkg-stream run` instances of the processors in one consumer
 * group per processor, the downstream subscriber — under a seeded fault schedule, then the
 * invariants. See soak/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { REPO_ROOT } from '../src/paths.ts';
import { type ExternalPipeline, runSimulation, type SimResult } from '../src/sim/simulation.ts';
import { activeController, clusterDown, clusterRunning, clusterUp, killBroker, partitionLeaders, restartRegistry, rollingRestart, type SoakCluster, soakCluster } from './cluster.ts';
import { CoverageMonitor, Instance } from './instances.ts';
import { checkStores, countDuplicateEvents } from './invariants.ts';

export const FAULT_KINDS = [
  'instance-kill',
  'instance-kill-after-commit',
  'instance-kill-during-restore',
  'instance-kill-during-rebalance',
  'broker-leader-kill',
  'controller-kill',
  'rolling-restart',
  'registry-restart',
  'scale-in-out',
  'data-dir-wipe',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SoakOptions {
  minutes: number;
  seed: number;
  instances: number;
  /** How many of each fault (default: {@link defaultFaultCounts} of `minutes`). */
  faults?: Partial<Record<'instanceKills' | 'brokerKills' | 'rollingRestarts' | 'registryRestarts' | 'scales' | 'dataDirWipes', number>>;
  /** Validators per committee (default 4). */
  n?: number;
  /** Bound after the last fault within which every partition must have a running task again (default 30 s). */
  coverageBoundMs?: number;
  /** Compare Outputs and shares with an uninterrupted run of the same seed (default true). */
  reference?: boolean;
  /** Stop the stack at the end if the soak started it (default true). */
  stopStack?: boolean;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Fault counts for a soak of `minutes`: 3 instance kills and 0.3 broker/controller kills per minute, the one-off faults once. */
export function defaultFaultCounts(minutes: number): Required<NonNullable<SoakOptions['faults']>> {
  return {
    instanceKills: Math.round(3 * minutes),
    brokerKills: Math.max(1, Math.round(0.3 * minutes)),
    rollingRestarts: minutes >= 10 ? 1 : 0,
    registryRestarts: minutes >= 5 ? 1 : 0,
    scales: minutes >= 5 ? 1 : 0,
    dataDirWipes: minutes >= 5 ? 1 : 0,
  };
}

export interface FaultRecord {
  kind: FaultKind;
  at: number;
  detail: string;
  /** Time from the fault until every partition had a running task again (ms; null = not seen). */
  recoveryMs: number | null;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakResult {
  ok: boolean;
  seed: number;
  minutes: number;
  instances: number;
  commit: string;
  startedAt: string;
  durationS: number;
  epochs: number;
  records: Record<string, number>;
  faults: Record<string, { count: number; worstRecoveryMs: number | null }>;
  invariants: Invariant[];
  problems: string[];
  workDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seeded xorshift in [0, 1). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** The plan: (second, kind) pairs over the first 85 % of the run, the rest left quiet. */
export function faultSchedule(minutes: number, seed: number, counts: Required<NonNullable<SoakOptions['faults']>>): Array<{ atS: number; kind: FaultKind }> {
  const rand = rng(seed);
  const span = minutes * 60 * 0.85;
  const start = Math.min(20, span * 0.1);
  const plan: Array<{ atS: number; kind: FaultKind }> = [];
  const even = (n: number, kinds: readonly FaultKind[]) => {
    for (let i = 0; i < n; i++) plan.push({ atS: start + ((i + 0.2 + 0.6 * rand()) / n) * (span - start), kind: kinds[Math.floor(rand() * kinds.length)]! });
  };
  even(counts.instanceKills, ['instance-kill', 'instance-kill-after-commit', 'instance-kill-during-restore', 'instance-kill-during-rebalance']);
  even(counts.brokerKills, ['broker-leader-kill', 'controller-kill']);
  const once = (n: number, kind: FaultKind, at: number) => {
    for (let i = 0; i < n; i++) plan.push({ atS: start + ((at + i * 0.1) % 1) * (span - start), kind });
  };
  once(counts.scales, 'scale-in-out', 0.2);
  once(counts.dataDirWipes, 'data-dir-wipe', 0.35);
  once(counts.registryRestarts, 'registry-restart', 0.5);
  once(counts.rollingRestarts, 'rolling-restart', 0.65);
  return plan.sort((a, b) => a.atS - b.atS);
}

/** Only the variables the soak sets: the parent's stack addresses must not leak into the instances. */
function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('DKG_STREAM_') || k === 'DKG_STREAM_BLS_BACKEND' || k === 'DKG_STREAM_KAFKAJS_PATCHES') out[k] = v;
  return out;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`soak: ${l}\n`));
  const t0 = Date.now();
  // The code under test is what was checked out when the run started (a commit made during a
  // 40-minute run is not what ran).
  const commit = gitCommit();
  const rand = rng(o.seed ^ 0x5eed);
  const cluster: SoakCluster = soakCluster(o.env ?? process.env);
  const counts = { ...defaultFaultCounts(o.minutes), ...o.faults };
  const plan = faultSchedule(o.minutes, o.seed, counts);
  const workDir = mkdtempSync(join(tmpdir(), 'dkg-soak-'));
  const problems: string[] = [];
  const faults: FaultRecord[] = [];
  const instances: Instance[] = [];
  let monitor: CoverageMonitor | undefined;
  const wasRunning = await clusterRunning(cluster);
  log(`seed ${o.seed}, ${o.minutes} min, ${o.instances} instances; ${plan.length} faults planned; stack ${cluster.dir}${wasRunning ? ' (running)' : ''}; work ${workDir}`);
  let sim: SimResult | undefined;
  let reference: SimResult | undefined;
  const invariants: Invariant[] = [];
  const records: Record<string, number> = {};
  try {
    await clusterUp(cluster);
    const config = loadConfig({ file: cluster.clientYaml, env: cleanEnv(cluster.env) });
    const baseEnv = { ...cleanEnv(cluster.env), DKG_STREAM_CONFIG: cluster.clientYaml, DKG_STREAM_LOG_LEVEL: 'warn', DKG_STREAM_SHUTDOWN_TIMEOUT_MS: '15000' };
    const httpPortBase = Number(cluster.env.DKG_STREAM_KAFKA_PORT) + 40;
    let pipeline: ExternalPipeline | undefined;
    const endAt = t0 + o.minutes * 60_000;
    let faultsDone: Promise<void> = Promise.resolve();
    // The plan's times are targets: on a slow machine each fault's settling pushes the next one
    // later, so the simulation runs on past the planned minutes (up to twice as long) until every
    // planned fault was injected, instead of ending with part of the plan left out.
    let planDone = false;
    const hardEndAt = t0 + 2 * o.minutes * 60_000;
    let stopFaults = false;
    let stopRecoveries = () => {};

    const pending: FaultRecord[] = [];
    const startPipeline = async (p: ExternalPipeline) => {
      pipeline = p;
      const keyFile = join(workDir, 'journal.key');
      writeFileSync(keyFile, p.journalKey, { mode: 0o600 });
      const setup = {
        workDir,
        httpPortBase,
        args: ['--epoch-length', String(p.epochLength), '--genesis-outcome', p.genesisOutcomeHex],
        env: { ...baseEnv, DKG_STREAM_TOPIC_PREFIX: p.prefix, DKG_STREAM_APPLICATION_ID: p.applicationId, DKG_STREAM_SECRET_KEY_FILE: keyFile },
      };
      for (let i = 0; i < o.instances; i++) instances.push(new Instance(i, setup));
      for (const i of instances) i.start();
      monitor = new CoverageMonitor(instances, 4);
      monitor.start(1000);
      const deadline = Date.now() + 180_000;
      while (!(await monitor.fullyCovered())) {
        if (Date.now() > deadline) throw new Error('the instances did not cover every partition within 180 s (instance logs in the work directory)');
        await sleep(1000);
      }
      log(`${o.instances} instances running; every partition has a task`);
      const recoveries = setInterval(() => {
        if (!monitor || pending.length === 0 || monitor.lastFullCoverage === 0) return;
        for (let i = pending.length - 1; i >= 0; i--) {
          const f = pending[i]!;
          if (monitor.lastFullCoverage > f.at + 500) {
            f.recoveryMs = monitor.lastFullCoverage - f.at;
            pending.splice(i, 1);
          }
        }
      }, 500);
      stopRecoveries = () => clearInterval(recoveries);
      faultsDone = runFaults().finally(() => {
        planDone = true;
      });
    };

    const record = (kind: FaultKind, detail: string, at = Date.now()) => {
      const f: FaultRecord = { kind, at, detail, recoveryMs: null };
      faults.push(f);
      pending.push(f);
      log(`fault ${faults.length}: ${kind} ${detail}`);
    };
    const pick = (): Instance => {
      const live = instances.filter((i) => i.running);
      return (live.length > 0 ? live : instances)[Math.floor(rand() * (live.length > 0 ? live.length : instances.length))]!;
    };
    const restartSoon = async (i: Instance) => {
      await sleep(Math.floor(rand() * 1500));
      i.start();
    };
    const inject = async (kind: FaultKind) => {
      switch (kind) {
        case 'instance-kill': {
          const i = pick();
          await i.kill();
          record(kind, `instance ${i.index}`);
          await restartSoon(i);
          return;
        }
        case 'instance-kill-after-commit': {
          const i = pick();
          const before = await i.commits();
          const until = Date.now() + 20_000;
          let moved = false;
          while (Date.now() < until) {
            const now = await i.commits();
            if (before !== undefined && now !== undefined && now > before) {
              moved = true;
              break;
            }
            await sleep(100); // each /metrics scrape asks the broker for high watermarks: not faster
          }
          await i.kill();
          record(kind, `instance ${i.index}${moved ? ' (a commit just counted)' : ' (no commit within 20 s)'}`);
          await restartSoon(i);
          return;
        }
        case 'instance-kill-during-restore': {
          const i = pick();
          await i.kill();
          i.start();
          const until = Date.now() + 30_000;
          let phase: 'restoring' | 'not ready' | undefined;
          while (Date.now() < until && !(phase = await i.startPhase())) await sleep(20);
          await i.kill();
          record(kind, `instance ${i.index} (${phase ?? 'no start-up phase seen within 30 s'})`);
          await restartSoon(i);
          return;
        }
        case 'instance-kill-during-rebalance': {
          const a = pick();
          await a.kill();
          a.start(); // its join starts a rebalance…
          await sleep(300 + Math.floor(rand() * 1500));
          const b = instances.filter((i) => i !== a && i.running)[0] ?? a;
          await b.kill(); // …which loses a member halfway
          record(kind, `instances ${a.index} then ${b.index}`);
          await restartSoon(b);
          return;
        }
        case 'broker-leader-kill': {
          const leaders = await partitionLeaders(cluster, `${pipeline!.prefix}dkg.events`).catch(() => new Map<number, number>());
          const nodes = [...new Set(leaders.values())].filter((n) => n > 0);
          const node = nodes[Math.floor(rand() * nodes.length)] ?? 1 + Math.floor(rand() * 3);
          const ps = [...leaders].filter(([, n]) => n === node).map(([p]) => p);
          record(kind, `node ${node} (leads dkg.events partitions ${ps.join(',') || '?'})`);
          await killBroker(cluster, node, 1000 + Math.floor(rand() * 5000));
          return;
        }
        case 'controller-kill': {
          const node = activeController(cluster) ?? 1 + Math.floor(rand() * 3);
          record(kind, `node ${node} (active controller)`);
          await killBroker(cluster, node, 1000 + Math.floor(rand() * 5000));
          return;
        }
        case 'rolling-restart':
          record(kind, 'nodes 1, 2, 3 in turn (controlled shutdown)');
          await rollingRestart(cluster);
          return;
        case 'registry-restart':
          record(kind, 'SIGKILL + start');
          await restartRegistry(cluster);
          return;
        case 'scale-in-out': {
          const others = instances.slice(1);
          for (const i of others) await i.kill('SIGTERM');
          record(kind, `scaled in to 1 instance`);
          await sleep(20_000);
          for (const i of others) i.start();
          record(kind, `scaled out 1 → ${instances.length}`);
          return;
        }
        case 'data-dir-wipe': {
          const i = pick();
          await i.kill();
          i.wipeData();
          record(kind, `instance ${i.index}: SIGKILL, data directory deleted, restarted (restore from the changelogs)`);
          i.start();
          return;
        }
      }
    };
    async function runFaults(): Promise<void> {
      for (const step of plan) {
        if (stopFaults) return;
        const wait = t0 + step.atS * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        if (stopFaults) return;
        try {
          await inject(step.kind);
          // Give the pipeline up to 20 s to cover every partition again before the next fault, so
          // records keep flowing between faults even when restarts are slow.
          const settle = Date.now() + 20_000;
          while (!stopFaults && Date.now() < settle && !(await monitor!.fullyCovered())) await sleep(1000);
        } catch (err) {
          problems.push(`fault ${step.kind} could not be injected: ${(err as Error).message.split('\n')[0]}`);
          log(`fault ${step.kind} failed: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }

    sim = await runSimulation({
      n: o.n ?? 4,
      epochs: 2000,
      faults: ['forged-cert', 'bad-digest'],
      seed: o.seed,
      brokers: config.brokers,
      registryUrl: config.registryUrl,
      client: config,
      topologyFile: resolve(REPO_ROOT, 'topology.yaml'),
      schemasDir: resolve(REPO_ROOT, 'schemas'),
      prefix: `dkg-stream.soak-${o.seed}-${Date.now().toString(36)}.`,
      workDir: mkdirSync(join(workDir, 'sim'), { recursive: true }) ?? join(workDir, 'sim'),
      external: { start: startPipeline },
      keepGoing: () => Date.now() < endAt || (!planDone && Date.now() < hardEndAt),
      onEpoch: (e) => log(`epoch ${e} done (${faults.length} faults so far)`),
      out: () => {},
      progress: (l) => log(`sim: ${l}`),
      drainTimeoutMs: 600_000,
      // Faults overlap on a busy machine: a validator waits out an outage of the journal instead of failing its ceremony.
      foldTimeoutMs: 600_000,
    });
    stopFaults = true;
    await faultsDone;
    const lastFault = faults.length > 0 ? Math.max(...faults.map((f) => f.at)) : t0;
    log(`simulation ended: ${sim.rows.length} epochs, ok = ${sim.ok}; bringing every instance back for the end checks`);
    for (const i of instances) i.start();
    const coverDeadline = Date.now() + 120_000;
    while (monitor && !(await monitor.fullyCovered()) && Date.now() < coverDeadline) await sleep(1000);

    await sleep(1500); // the recovery of the last fault is read from the monitor's latest full coverage
    stopRecoveries();

    // ---- invariants ------------------------------------------------------------------------
    const simProblems = sim.problems;
    const about = (re: RegExp) => simProblems.filter((p) => re.test(p));
    const epochsOnce = about(/SchemeRegistered|EpochAdvanced/);
    invariants.push({
      name: 'every epoch advances exactly once on epochs',
      ok: epochsOnce.length === 0 && sim.rows.length > 0,
      detail: epochsOnce[0] ?? `${sim.rows.length} epochs, 1 SchemeRegistered + 1 EpochAdvanced each`,
    });
    const heights = about(/delivered twice|verified finalizations for|re-verified/);
    const blocks = sim.rows.reduce((a, r) => a + r.blocks, 0);
    invariants.push({
      name: 'every height at most once on finalizations.verified (read_committed)',
      ok: heights.length === 0,
      detail: heights[0] ?? `${blocks} heights, each verified once and re-verified downstream`,
    });
    const dup = await countDuplicateEvents(config, `${sim.prefix}dkg.events`);
    records['dkg.events records'] = dup.records;
    invariants.push({
      name: 'every dkg.events record of a validator exactly once',
      ok: dup.duplicates === 0,
      detail: dup.duplicates === 0 ? `${dup.records} records, no duplicate` : `${dup.duplicates} duplicated record(s), e.g. ${dup.example}`,
    });
    const stores = await checkStores(config, pipeline!, instances, log);
    Object.assign(records, stores.records);
    invariants.push({ name: "each instance's stores and a fresh replay from offset 0 equal the reference fold", ok: stores.ok, detail: stores.detail });
    if (o.reference !== false) {
      log(`uninterrupted reference run of seed ${o.seed} (${sim.rows.length} epochs, in-process journal, no faults)…`);
      reference = await runSimulation({
        n: o.n ?? 4,
        epochs: sim.rows.length,
        faults: ['forged-cert', 'bad-digest'],
        seed: o.seed,
        brokers: config.brokers,
        registryUrl: config.registryUrl,
        client: config,
        configFile: cluster.clientYaml,
        topologyFile: resolve(REPO_ROOT, 'topology.yaml'),
        schemasDir: resolve(REPO_ROOT, 'schemas'),
        prefix: `dkg-stream.soakref-${o.seed}-${Date.now().toString(36)}.`,
        out: () => {},
        progress: () => {},
      });
      const same = JSON.stringify(reference.outputs) === JSON.stringify(sim.outputs) && JSON.stringify(reference.shares) === JSON.stringify(sim.shares);
      const diffEpoch = Object.keys(sim.outputs).find((e) => sim!.outputs[Number(e)] !== reference!.outputs[Number(e)]);
      if (diffEpoch !== undefined) {
        // The ceremony that produced the differing outcome, as each run saw it.
        const row = (r: SimResult) => r.rows.find((x) => x.epoch === Number(diffEpoch) - 1);
        const brief = (x: SimResult['rows'][number] | undefined) =>
          x ? `${x.kind}, dealings ${x.dealings}, acks ${x.acks}, reveals ${x.reveals} [${x.revealed.join(',')}], excluded [${x.excluded.join(',')}]` : 'none';
        log(`outputs differ from epoch ${diffEpoch}: soak ceremony ${brief(row(sim))}; reference ${brief(row(reference))}`);
        writeFileSync(
          join(workDir, 'outputs.json'),
          JSON.stringify({ soak: { outputs: sim.outputs, shares: sim.shares, rows: sim.rows }, reference: { outputs: reference.outputs, shares: reference.shares, rows: reference.rows } }, null, 1),
        );
      }
      invariants.push({
        name: "every validator's Outputs and shares equal an uninterrupted run of the same seed",
        ok: same && reference.ok,
        detail: same
          ? `${Object.keys(sim.outputs).length} outputs, ${Object.values(sim.shares).reduce((a, s) => a + Object.keys(s).length, 0)} shares identical`
          : `differ${diffEpoch ? ` from epoch ${diffEpoch}` : ' (shares)'}${reference.ok ? '' : `; reference run problems: ${reference.problems[0]}`}`,
      });
    }
    const bound = o.coverageBoundMs ?? 30_000;
    const gaps = [...(monitor?.gaps ?? []), ...(monitor?.openGaps() ?? [])].filter((g) => g.to > lastFault).map((g) => ({ ...g, ms: g.to - Math.max(g.from, lastFault) }));
    const worstGap = gaps.reduce((a, g) => Math.max(a, g.ms), 0);
    invariants.push({
      name: `no partition without a running task for more than ${bound / 1000} s after the last fault`,
      ok: worstGap <= bound,
      detail: `longest stretch after the last fault: ${(worstGap / 1000).toFixed(1)} s${gaps.length ? ` (${gaps.find((g) => g.ms === worstGap)?.key})` : ''}`,
    });
    const dlq = about(/DLQ holds/);
    invariants.push({
      name: 'dead letters only for the deliberately injected bad records',
      ok: dlq.length === 0,
      detail: dlq[0] ?? `DLQ: ${sim.dlq.map((d) => d.reason).join(', ') || 'empty'} (injected: forged-cert, bad-digest)`,
    });
    const other = simProblems.filter((p) => !epochsOnce.includes(p) && !heights.includes(p) && !dlq.includes(p));
    problems.push(...other);
    records.epochs = sim.rows.length;
    records.finalizations = blocks;
  } catch (err) {
    problems.push((err as Error).message.split('\n')[0]!);
    log(`FAILED: ${(err as Error).stack ?? err}`);
  } finally {
    monitor?.stop();
    await Promise.all(instances.map((i) => i.kill('SIGTERM', 20_000)));
    for (const i of instances) i.close();
    if (!wasRunning && o.stopStack !== false) await clusterDown(cluster);
  }

  const byKind: SoakResult['faults'] = {};
  for (const f of faults) {
    const k = (byKind[f.kind] ??= { count: 0, worstRecoveryMs: null });
    k.count++;
    if (f.recoveryMs !== null) k.worstRecoveryMs = Math.max(k.worstRecoveryMs ?? 0, f.recoveryMs);
  }
  const ok = problems.length === 0 && invariants.length > 0 && invariants.every((i) => i.ok);
  if (ok) rmSync(workDir, { recursive: true, force: true });
  return {
    ok,
    seed: o.seed,
    minutes: o.minutes,
    instances: o.instances,
    commit,
    startedAt: new Date(t0).toISOString(),
    durationS: Math.round((Date.now() - t0) / 1000),
    epochs: sim?.rows.length ?? 0,
    records,
    faults: byKind,
    invariants,
    problems,
    workDir: ok ? '(deleted)' : workDir,
  };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The summary table. */
export function soakSummary(r: SoakResult): string {
  const out: string[] = [];
  out.push(`soak: seed ${r.seed}, ${r.minutes} min planned, ${r.durationS} s run, ${r.instances} instances, commit ${r.commit}`);
  out.push(
    `records: ${Object.entries(r.records)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; epochs ${r.epochs}`,
  );
  out.push('');
  const rows = Object.entries(r.faults).map(([k, v]) => [k, String(v.count), v.worstRecoveryMs === null ? '-' : `${(v.worstRecoveryMs / 1000).toFixed(1)} s`]);
  const head = ['fault', 'count', 'worst recovery'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i]!)).join('  ');
  out.push(line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line));
  out.push(`total faults: ${Object.values(r.faults).reduce((a, f) => a + f.count, 0)}`);
  out.push('');
  for (const i of r.invariants) out.push(`${i.ok ? 'PASS' : 'FAIL'}  ${i.name}: ${i.detail}`);
  for (const p of r.problems) out.push(`PROBLEM  ${p}`);
  out.push(r.ok ? 'OK' : `FAILED — reproduce with: npm run soak -- --minutes ${r.minutes} --seed ${r.seed} --instances ${r.instances} (work directory kept: ${r.workDir})`);
  return out.join('\n');
}

export function writeResult(r: SoakResult, dir = join(REPO_ROOT, 'soak', 'results')): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(r, null, 2) + '\n');
  writeFileSync(join(dir, 'history.jsonl'), JSON.stringify({ ...r, invariants: r.invariants.map((i) => ({ name: i.name, ok: i.ok })) }) + '\n', { flag: 'a' });
}
