/**
 * The soak's end checks that read Kafka and the instances directly (the simulation and its
 * subscriber check the rest): duplicates on dkg.events, and the journal's state — a fresh
 * in-process replay of the inputs from offset 0 (the reference fold) against the soak group's
 * changelogs (what every restore rebuilds) and against each live instance's RocksDB stores.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { followEnv } from '../src/app/env.ts';
import { startableProcessor } from '../src/app/processors.ts';
import type { Config } from '../src/config.ts';
import { REPO_ROOT } from '../src/paths.ts';
import { ChangelogView } from '../src/runtime/changelog-view.ts';
import { KafkajsPort } from '../src/runtime/kafka/kafkajs.ts';
import { kafkaClientOptions } from '../src/runtime/kafka/security.ts';
import { Keyring } from '../src/state/seal.ts';
import type { Instance } from './instances.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a whole topic (read_committed) and counts records whose partition, key and value repeat. */
export async function countDuplicateEvents(config: Config, topic: string): Promise<{ records: number; duplicates: number; example: string }> {
  const port = new KafkajsPort({ ...kafkaClientOptions(config), clientId: 'dkg-stream-soak-check', readerGroupPrefix: 'dkg-stream-soak' });
  try {
    const marks = await (await port.admin()).offsets(topic);
    const seen = new Map<string, number>();
    let records = 0;
    const h = await port.read({
      topic,
      from: new Map(marks.map((m) => [m.partition, m.low])),
      until: new Map(marks.map((m) => [m.partition, m.high])),
      onRecords: async (p, rs) => {
        for (const r of rs) {
          records++;
          const k = `${p}:${createHash('sha256')
            .update(r.key ?? Buffer.alloc(0))
            .update(r.value ?? Buffer.alloc(0))
            .digest('hex')}`;
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
      },
    });
    await h.done;
    const dups = [...seen].filter(([, n]) => n > 1);
    return { records, duplicates: dups.reduce((a, [, n]) => a + n - 1, 0), example: dups[0] ? `partition:hash ${dups[0][0].slice(0, 20)}… ×${dups[0][1]}` : '' };
  } finally {
    await port.close();
  }
}

type Entries = Map<string, string>;
const STORES = ['journal', 'states'] as const;

async function instanceEntries(i: Instance, store: string): Promise<Map<number, Entries> | undefined> {
  const out = new Map<number, Entries>();
  let from = '';
  for (;;) {
    const r = await fetch(`${i.url}/stores/${store}?limit=10000${from ? `&from=${from}` : ''}`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    if (r?.status !== 200) return undefined;
    const body = (await r.json()) as { partitions: number[]; entries: Array<{ key: string; value: string; partition: number }> };
    for (const p of body.partitions) if (!out.has(p)) out.set(p, new Map());
    for (const e of body.entries) out.get(e.partition)!.set(e.key, e.value);
    if (body.entries.length < 10000) return out;
    from = body.entries.at(-1)!.key + '00';
  }
}

function diff(a: Entries, b: Entries): string | undefined {
  if (a.size !== b.size) return `${a.size} vs ${b.size} entries`;
  for (const [k, v] of a) if (b.get(k) !== v) return `key ${k.slice(0, 24)}… differs`;
  return undefined;
}

export async function checkStores(
  config: Config,
  pipeline: { prefix: string; applicationId: string; journalKey: Uint8Array },
  instances: Instance[],
  log: (l: string) => void,
): Promise<{ ok: boolean; detail: string; records: Record<string, number> }> {
  const refConfig: Config = {
    ...config,
    topology: resolve(REPO_ROOT, 'topology.yaml'),
    schemasDir: resolve(REPO_ROOT, 'schemas'),
    topicPrefix: pipeline.prefix,
    applicationId: `${pipeline.applicationId}-reference`,
  };
  const soakGroup = `${pipeline.applicationId}-dkg-journal`;
  const env = followEnv(refConfig, 'dkg-stream-soak-reference');
  const dataDir = mkdtempSync(join(tmpdir(), 'dkg-soak-reference-'));
  const problems: string[] = [];
  const records: Record<string, number> = {};
  let view: ChangelogView | undefined;
  const { runtime } = startableProcessor(env, refConfig, 'dkg-journal', { keyring: new Keyring([pipeline.journalKey]) }, { dataDir });
  try {
    const admin = await env.port.admin();
    const inputs = [env.topology.topics.get('dkg.events')!.name, env.topology.topics.get('dkg.states')!.name];
    const target = new Map<string, Array<{ partition: number; offset: number }>>();
    for (const t of inputs) {
      target.set(t, await admin.groupOffsets(soakGroup, t));
    }
    log('end check: replaying the journal inputs from offset 0 in a fresh group (the reference fold)…');
    await runtime.ensureTopics();
    await runtime.start();
    const deadline = Date.now() + 300_000;
    for (;;) {
      let behind = false;
      for (const t of inputs) {
        const mine = await admin.groupOffsets(runtime.groupId, t);
        for (const s of target.get(t)!) if (s.offset > 0 && (mine.find((m) => m.partition === s.partition)?.offset ?? -1) < s.offset) behind = true;
      }
      if (!behind) break;
      if (Date.now() > deadline) throw new Error('the reference replay did not reach the soak group offsets within 300 s');
      await sleep(500);
    }
    await sleep(1000); // the last unit is written to the stores after its commit
    const reference = new Map<string, Map<number, Entries>>();
    for (const s of STORES) {
      const m = new Map<number, Entries>();
      for (const p of runtime.assignedPartitions()) {
        const e: Entries = new Map();
        for await (const [k, v] of runtime.localStore(s, p)!.range()) e.set(k.toString('hex'), v.toString('hex'));
        m.set(p, e);
      }
      reference.set(s, m);
      records[`${s} store entries`] = [...m.values()].reduce((a, e) => a + e.size, 0);
    }
    // The soak group's changelogs, read from offset 0.
    view = new ChangelogView({
      port: env.port,
      groupId: soakGroup,
      changelogs: new Map(STORES.map((s) => [s, runtime.changelogTopic(s).replace(`${pipeline.applicationId}-reference`, pipeline.applicationId)])),
    });
    await view.start();
    await view.waitForFold(
      [...target].flatMap(([topic, os]) => os.filter((o) => o.offset > 0).map((o) => ({ topic, partition: o.partition, lastOffset: o.offset - 1 }))),
      120_000,
    );
    let compared = 0;
    for (const s of STORES)
      for (const [p, ref] of reference.get(s)!) {
        const e: Entries = new Map();
        for await (const [k, v] of view.store(s, p)!.range()) e.set(k.toString('hex'), v.toString('hex'));
        const d = diff(ref, e);
        if (d) problems.push(`changelog of ${s}/${p}: ${d}`);
        compared++;
      }
    for (const i of instances) {
      for (const s of STORES) {
        const got = await instanceEntries(i, s);
        if (!got) {
          problems.push(`instance ${i.index}: /stores/${s} did not answer`);
          continue;
        }
        for (const [p, e] of got) {
          const d = diff(reference.get(s)!.get(p)!, e);
          if (d) problems.push(`instance ${i.index} ${s}/${p}: ${d}`);
          compared++;
        }
      }
    }
    return {
      ok: problems.length === 0,
      detail: problems.length === 0 ? `${compared} store instances (changelogs + live instances) equal the reference replay` : problems.slice(0, 3).join('; '),
      records,
    };
  } catch (err) {
    return { ok: false, detail: `could not check: ${(err as Error).message.split('\n')[0]}`, records };
  } finally {
    await view?.stop();
    await runtime.stop().catch(() => {});
    await env.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
