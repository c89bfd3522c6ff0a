/**
 * Issue 15 item 4, "never hang": every command that connects to Kafka, pointed at a refused port
 * or at a listener that accepts TCP and never answers, prints one clear line and exits 1 within
 * 15 s (the bound the issue sets; the connect budget is kafkaConnectionTimeoutMs, 5 s by default),
 * and SIGINT/SIGTERM end a command that is still connecting at once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { tempDir } from '../support/runtime.ts';
import { CLI, REGISTRY_URL } from '../support/stack.ts';

const BOUND_MS = 15_000;
const FOLLOW = ['--epoch-length', '10', '--chain', 'presto'];
const COMMANDS: string[][] = [
  ['topology', 'apply'],
  ['run', '--processor', 'follow', ...FOLLOW],
  ['follow', ...FOLLOW],
  ['replay', '--processor', 'follow', '--from-beginning', ...FOLLOW],
  ['subscribe', '--epoch-length', '10'],
  ['ingest', '--url', 'ws://127.0.0.1:9', '--epoch-length', '10'],
  ['sim'],
  ['demo'],
];

const dataDir = tempDir('never-hang');
const sockets = new Set<Socket>();
let silent: Server;
let silentPort: number;
let refusedPort: number;
let connections = 0;

before(async () => {
  // Accepts TCP and never answers (a hung broker, a wrong service, a black-holing proxy).
  silent = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as AddressInfo).port;
  // A port nobody listens on: bound once to learn a free number, then closed.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  refusedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

function cli(args: string[], brokerPort: number): { child: ChildProcess; ended: Promise<Ended> } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DKG_STREAM_BROKERS: `127.0.0.1:${brokerPort}`,
    DKG_STREAM_REGISTRY_URL: REGISTRY_URL,
    DKG_STREAM_DATA_DIR: dataDir,
    DKG_STREAM_HTTP_PORT: '0',
    DKG_STREAM_LOG_LEVEL: 'info',
  };
  delete env.NODE_TEST_CONTEXT; // the CLI as a user runs it (info logs)
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // Past the bound the child is killed, so a hanging command fails this test instead of hanging it.
  const guard = setTimeout(() => child.kill('SIGKILL'), BOUND_MS * 3);
  const ended = new Promise<Ended>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stderr, ms: Date.now() - t0 });
    }),
  );
  return { child, ended };
}

/** Runs `jobs` at most `n` at a time (the CLI's start-up is CPU-bound; many at once on two cores would measure the machine). */
async function limited<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

for (const kind of ['refused', 'silent'] as const) {
  test(`every connecting command against a ${kind} broker: one line, exit 1, within ${BOUND_MS / 1000} s`, { timeout: 300_000 }, async (t) => {
    const port = kind === 'refused' ? refusedPort : silentPort;
    const results = await limited(
      2,
      COMMANDS.map((args) => async () => ({ args, ...(await cli(args, port).ended) })),
    );
    const problems: string[] = [];
    for (const r of results) {
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      const what = `dkg-stream ${r.args.join(' ')}`;
      if (r.code !== 1) problems.push(`${what}: exit ${r.code ?? r.signal}, want 1`);
      if (r.ms >= BOUND_MS) problems.push(`${what}: took ${r.ms} ms`);
      if (lines.length !== 1) problems.push(`${what}: ${lines.length} stderr lines, want 1:\n${lines.slice(0, 5).join('\n')}`);
      else if (!new RegExp(`cannot reach Kafka at 127\\.0\\.0\\.1:${port} within \\d+ ms`).test(lines[0]!)) problems.push(`${what}: unclear line: ${lines[0]}`);
    }
    t.diagnostic(`elapsed (ms): ${results.map((r) => `${r.args[0]} ${r.ms}`).join(', ')}`);
    assert.deepEqual(problems, []);
    if (kind === 'silent') assert.ok(connections > 0, 'the commands did reach the silent listener');
  });
}

for (const [args, signal, code] of [
  [['run', '--processor', 'follow', ...FOLLOW], 'SIGTERM', 143],
  [['topology', 'apply'], 'SIGINT', 130],
] as const) {
  test(`${signal} while \`${args.slice(0, 2).join(' ')}\` connects to a silent broker ends it at once`, { timeout: 60_000 }, async () => {
    const seen = connections;
    const { child, ended } = cli([...args], silentPort);
    // Connecting: the listener got the command's connection (and will never answer it).
    const deadline = Date.now() + 30_000;
    while (connections === seen && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(connections > seen, 'the command connected to the silent listener');
    const t0 = Date.now();
    child.kill(signal);
    const r = await ended;
    assert.equal(r.code, code, r.stderr);
    assert.ok(Date.now() - t0 < 3_000, `stopped ${Date.now() - t0} ms after ${signal}`);
    assert.match(r.stderr, new RegExp(`${signal}: exiting`));
  });
}
