/**
 * `dkg-stream run`: starts processors of the topology (all implemented ones by default) on the
 * exactly-once runtime, with the HTTP ops server (/healthz, /readyz, /metrics, /stores and the
 * processors' routes such as /journal), a restore progress bar on stderr, and a clean stop on
 * SIGINT/SIGTERM (tasks closed, group left).
 */

import { followEnv } from '../../app/env.ts';
import { defaultProcessors, type ProcessorSettings, queryPartitionKey, registered, type StartedProcessor, startableProcessor } from '../../app/processors.ts';
import { advertisedUrlOf, loadConfig } from '../../config.ts';
import { type QueryableStore, type QueryRoute, startOpsServer } from '../../runtime/http.ts';
import { Metrics } from '../../runtime/metrics.ts';
import { ProgressBar } from '../../runtime/progress.ts';
import type { RestoreProgress } from '../../runtime/restore.ts';
import { showValue } from '../../show.ts';
import { PROCESSOR_NAMES } from '../../topics/names.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { FOLLOW_FLAGS, FOLLOW_USAGE, followSettings, processorList } from '../processor-flags.ts';
import { stopRequested } from '../signals.ts';

const usage = `Usage: dkg-stream run [--processor P[,P...]] [processor options] [--config FILE]

  --processor P   processors to run (default: every implemented processor of topology.yaml:
                  dkg-journal, follow); the consumer group of P is <applicationId>-P
  --http-port N   ops server port (default: httpPort / DKG_STREAM_HTTP_PORT; 0 = off)

The ops server serves /healthz, /readyz, /metrics, /stores/<query>/<keyHex> and processor routes
(/journal/...). dkg-journal needs secretKeyFile (DKG_STREAM_SECRET_KEY_FILE).

${FOLLOW_USAGE}`;

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['processor', 'config', 'http-port', ...FOLLOW_FLAGS] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${showValue(positionals[0])}`);
    if (flags['http-port'] !== undefined && !/^\d+$/.test(String(flags['http-port']))) throw new UsageError('--http-port must be a port number');
    const config = loadConfig(typeof flags.config === 'string' ? { file: flags.config } : {});
    const httpPort = flags['http-port'] !== undefined ? Number(flags['http-port']) : config.httpPort;
    const env = followEnv(config, 'dkg-stream-run');
    try {
      const names = processorList(flags.processor) ?? defaultProcessors(env);
      for (const n of names) registered(env, n); // unknown / unimplemented names fail before anything starts
      const metrics = new Metrics({ process: true });
      const settings: ProcessorSettings = { metrics, ...(names.includes(PROCESSOR_NAMES.follow) ? { follow: followSettings(flags) } : {}) };
      const started: StartedProcessor[] = names.map((n) =>
        startableProcessor(env, config, n, settings, { dataDir: config.dataDir, metrics, ...(httpPort > 0 ? { endpoint: advertisedUrlOf(config, httpPort) } : {}) }),
      );
      const runtimes = started.map((s) => s.runtime);

      // One restore bar over every store instance being restored.
      const restores = new Map<string, RestoreProgress>();
      let bar: ProgressBar | undefined;
      const onRestore = (p: RestoreProgress) => {
        restores.set(`${p.processor}/${p.store}/${p.partition}`, p);
        const all = [...restores.values()];
        const total = all.reduce((n, r) => n + r.total, 0);
        if (total === 0) return;
        bar ??= new ProgressBar('restore', total);
        bar.update(
          all.reduce((n, r) => n + r.restored, 0),
          total,
        );
        if (all.every((r) => r.done)) {
          bar.done(`${total} changelog records`);
          bar = undefined;
          restores.clear();
        }
      };
      for (const rt of runtimes) rt.on('restore', onRestore);

      let failed: Error | undefined;
      let crashed!: () => void;
      const crash = new Promise<void>((resolve) => (crashed = resolve));
      for (const rt of runtimes)
        rt.on('error', (e: Error) => {
          failed = e;
          crashed();
        });

      const queries = new Map<string, QueryableStore>();
      for (const [q, store] of env.topology.queries) {
        const rt = runtimes.find((r) => r.processorName === store.processor);
        const spec = env.topology.processors.get(store.processor);
        if (!rt || !spec) continue;
        const partitionKey = queryPartitionKey(store.processor, store.name);
        queries.set(q, { runtime: rt, store: store.name, partitions: spec.partitions, ...(partitionKey ? { partitionKey } : {}) });
      }
      const routes = new Map<string, QueryRoute>();
      for (const s of started) for (const [k, v] of s.routes) routes.set(k, v);

      for (const rt of runtimes) await rt.ensureTopics();
      const ops = httpPort > 0 ? await startOpsServer({ port: httpPort, host: config.httpHost, kafka: env.port, runtimes, metrics: [metrics], queries, routes }) : undefined;
      // A signal before this point (still connecting or restoring) ends the process at once.
      const stop = stopRequested(config.shutdownTimeoutMs);
      try {
        for (const rt of runtimes) await rt.start();
        process.stdout.write(JSON.stringify({ event: 'running', processors: names, groups: runtimes.map((r) => r.groupId), http: ops?.url ?? null }) + '\n');
        await Promise.race([stop.signal, crash]);
      } finally {
        stop.dispose();
        for (const rt of runtimes) await rt.stop();
        await ops?.close();
      }
      process.stdout.write(JSON.stringify({ event: 'stopped', ...(failed ? { error: failed.message } : {}) }) + '\n');
      return failed ? 1 : 0;
    } finally {
      await env.close();
    }
  },
};
export default command;
