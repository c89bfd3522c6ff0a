/**
 * The local development stack: a single-node Apache Kafka broker (KRaft, broker + controller in
 * one JVM) and an Apicurio Registry (Confluent-compatible API), both on 127.0.0.1, both fetched
 * from Maven Central with Maven on first use and cached under `.stack/` (git-ignored).
 *
 * Invariants:
 * - `up` is idempotent: a service whose pid file points at a live process that answers its
 *   readiness probe is reused, never started twice.
 * - Readiness is asked of the services themselves (Kafka metadata request, registry health and
 *   ccompat endpoints), never assumed after a sleep.
 * - `down` stops only processes this stack started (by pid file), with SIGTERM so the broker
 *   does a controlled shutdown, escalating to SIGKILL after a grace period.
 * - The registry stores its schemas in Kafka (`kafkasql` storage), so schema ids survive a
 *   registry restart exactly as long as the broker's data does.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT } from '../paths.ts';

/** Apicurio 3.0.x is the newest 3.x line whose classes run on Java 17 (3.3.x needs Java 21). */
export const APICURIO_VERSION = '3.0.9';

export interface StackConfig {
  dir: string;
  java: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  brokerHeapMb: number;
  registryHeapMb: number;
  readyTimeoutMs: number;
}

export function stackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const int = (name: string, dflt: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
    return n;
  };
  const kafkaPort = int('DKG_STREAM_KAFKA_PORT', 39092);
  return {
    dir: resolve(env.DKG_STREAM_STACK_DIR ?? join(REPO_ROOT, '.stack')),
    java: env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java',
    kafkaPort,
    controllerPort: int('DKG_STREAM_CONTROLLER_PORT', kafkaPort + 1),
    registryPort: int('DKG_STREAM_REGISTRY_PORT', 38081),
    brokerHeapMb: int('DKG_STREAM_BROKER_HEAP_MB', 512),
    registryHeapMb: int('DKG_STREAM_REGISTRY_HEAP_MB', 384),
    readyTimeoutMs: int('DKG_STREAM_STACK_TIMEOUT_MS', 120_000),
  };
}

export const brokerAddress = (c: StackConfig): string => `127.0.0.1:${c.kafkaPort}`;
export const registryUrl = (c: StackConfig): string => `http://127.0.0.1:${c.registryPort}/apis/ccompat/v7`;

type Say = (line: string) => void;
const stderrSay: Say = (line) => process.stderr.write(`[stack] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Downloads (Maven Central via Maven; cached)

function kafkaVersion(): string {
  const pom = readFileSync(join(REPO_ROOT, 'tools', 'kafka', 'pom.xml'), 'utf8');
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!m?.[1]) throw new Error('tools/kafka/pom.xml has no <kafka.version> property');
  return m[1];
}

function mvn(args: string[], what: string): void {
  const r = spawnSync('mvn', ['-B', '-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run Maven (needed to fetch ${what}): ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`Maven failed to fetch ${what} (exit ${r.status}):\n${(r.stdout + r.stderr).trim().slice(-2000)}`);
  }
}

/** Copies the broker's runtime classpath into the cache; returns the classpath glob. */
function ensureKafka(c: StackConfig, say: Say): string {
  const version = kafkaVersion();
  const libs = join(c.dir, `kafka-${version}`, 'libs');
  if (!existsSync(join(libs, '.complete'))) {
    say(`fetching Apache Kafka ${version} broker jars from Maven Central (first run only)…`);
    rmSync(libs, { recursive: true, force: true });
    mvn(
      ['-f', join(REPO_ROOT, 'tools', 'kafka', 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
      `Kafka ${version}`,
    );
    writeFileSync(join(libs, '.complete'), `${version}\n`);
  }
  return join(libs, '*');
}

/** Fetches and unpacks the Apicurio Registry distribution; returns the runner jar path. */
function ensureApicurio(c: StackConfig, say: Say): string {
  const home = join(c.dir, `apicurio-${APICURIO_VERSION}`);
  const runner = join(home, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);
  if (!existsSync(join(home, '.complete'))) {
    say(`fetching Apicurio Registry ${APICURIO_VERSION} from Maven Central (first run only)…`);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    mvn(
      ['dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`, `-DoutputDirectory=${home}`],
      `Apicurio Registry ${APICURIO_VERSION}`,
    );
    const archive = join(home, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
    const tar = spawnSync('tar', ['xzf', archive, '-C', home], { stdio: 'inherit' });
    if (tar.status !== 0) throw new Error(`could not unpack ${archive}`);
    rmSync(archive);
    if (!existsSync(runner)) throw new Error(`Apicurio distribution has no ${runner}`);
    writeFileSync(join(home, '.complete'), `${APICURIO_VERSION}\n`);
  }
  return runner;
}

// ---------------------------------------------------------------------------------------------
// Processes

const paths = (c: StackConfig) => ({
  run: join(c.dir, 'run'),
  logs: join(c.dir, 'logs'),
  kafkaData: join(c.dir, 'data', 'kafka'),
  brokerPid: join(c.dir, 'run', 'broker.pid'),
  registryPid: join(c.dir, 'run', 'registry.pid'),
  brokerLog: join(c.dir, 'logs', 'broker.log'),
  registryLog: join(c.dir, 'logs', 'registry.log'),
  brokerProps: join(c.dir, 'run', 'server.properties'),
  log4j: join(c.dir, 'run', 'log4j2.properties'),
});

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number | undefined): pid is number {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function startDetached(cmd: string, args: string[], logFile: string, pidFile: string, cwd: string): number {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
    s.once('timeout', () => (s.destroy(), res(false)));
  });
}

// ---------------------------------------------------------------------------------------------
// Readiness probes

/** Asks the broker for cluster metadata; true when it answers with at least one broker. */
export async function brokerReady(c: StackConfig): Promise<boolean> {
  if (!(await portOpen(c.kafkaPort))) return false;
  await import('../runtime/kafka/kafkajs-patches.ts'); // before kafkajs: this process may use the adapter later
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'dkg-stream-stack-probe',
    brokers: [brokerAddress(c)],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** True when the registry reports ready and its Confluent-compatible API answers. */
export async function registryReady(c: StackConfig): Promise<boolean> {
  try {
    const health = await fetch(`http://127.0.0.1:${c.registryPort}/health/ready`, { signal: AbortSignal.timeout(2000) });
    if (health.status !== 200) return false;
    const subjects = await fetch(`${registryUrl(c)}/subjects`, { signal: AbortSignal.timeout(2000) });
    return subjects.status === 200;
  } catch {
    return false;
  }
}

async function waitReady(
  name: string,
  probe: () => Promise<boolean>,
  pid: number,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    if (!alive(pid)) throw new Error(`${name} exited during start-up; last log lines (${logFile}):\n${tail(logFile)}`);
    await sleep(500);
  }
  throw new Error(`${name} did not become ready within ${timeoutMs} ms; last log lines (${logFile}):\n${tail(logFile)}`);
}

// ---------------------------------------------------------------------------------------------
// Broker configuration

function brokerProperties(c: StackConfig, dataDir: string): string {
  return [
    '# Generated by dkg-stream stack: single node, broker + controller, loopback only.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${c.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${c.kafkaPort},CONTROLLER://127.0.0.1:${c.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${c.kafkaPort},CONTROLLER://127.0.0.1:${c.controllerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Topics are created by `dkg-stream topology apply` (or tests) with explicit settings.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'default.replication.factor=1',
    // One node: every internal topic must have RF 1, and one partition keeps first use fast.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Two cores: keep thread pools small.
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'num.recovery.threads.per.data.dir=1',
    // Compaction must work (changelogs, epochs); its dedupe buffer lives on the small heap.
    'log.cleaner.enable=true',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=16777216',
    'log.cleaner.backoff.ms=1000',
    // Transactions: abort a crashed producer's open transaction quickly.
    'transaction.max.timeout.ms=900000',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=5000',
    '',
  ].join('\n');
}

const LOG4J2 = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = info',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.kafka.name = kafka',
  'logger.kafka.level = info',
  'logger.cleaner.name = kafka.log.LogCleaner',
  'logger.cleaner.level = warn',
  '',
].join('\n');

// ---------------------------------------------------------------------------------------------
// Public operations

export interface StackStatus {
  broker: { address: string; pid?: number; ready: boolean };
  registry: { url: string; pid?: number; ready: boolean };
}

export async function status(c: StackConfig = stackConfig()): Promise<StackStatus> {
  const p = paths(c);
  const bp = readPid(p.brokerPid);
  const rp = readPid(p.registryPid);
  return {
    broker: { address: brokerAddress(c), ...(alive(bp) ? { pid: bp } : {}), ready: await brokerReady(c) },
    registry: { url: registryUrl(c), ...(alive(rp) ? { pid: rp } : {}), ready: await registryReady(c) },
  };
}

/** Starts whatever is not already running and waits until both services answer. */
export async function up(c: StackConfig = stackConfig(), say: Say = stderrSay): Promise<StackStatus> {
  const p = paths(c);
  for (const d of [c.dir, p.run, p.logs, p.kafkaData]) mkdirSync(d, { recursive: true });

  // Broker
  const brokerPid = readPid(p.brokerPid);
  if (alive(brokerPid)) {
    say(`broker already running (pid ${brokerPid}); waiting until it answers`);
    await waitReady('Kafka broker', () => brokerReady(c), brokerPid, p.brokerLog, c.readyTimeoutMs);
  } else if (await brokerReady(c)) {
    say(`a Kafka broker not started by this stack already answers on ${brokerAddress(c)}; reusing it`);
  } else {
    if (await portOpen(c.kafkaPort)) throw new Error(`port ${c.kafkaPort} is in use by something that is not a Kafka broker (set DKG_STREAM_KAFKA_PORT)`);
    const cp = ensureKafka(c, say);
    writeFileSync(p.brokerProps, brokerProperties(c, p.kafkaData));
    writeFileSync(p.log4j, LOG4J2);
    const jvmLog = [`-Dlog4j2.configurationFile=${p.log4j}`];
    if (!existsSync(join(p.kafkaData, 'meta.properties'))) {
      say('formatting KRaft storage');
      const id = spawnSync(c.java, ['-cp', cp, ...jvmLog, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' });
      const clusterId = id.stdout?.trim().split('\n').pop();
      if (id.status !== 0 || !clusterId) throw new Error(`kafka-storage random-uuid failed: ${id.stderr || id.error?.message}`);
      const fmt = spawnSync(
        c.java,
        ['-cp', cp, ...jvmLog, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', p.brokerProps, '--standalone'],
        { encoding: 'utf8' },
      );
      if (fmt.status !== 0) throw new Error(`formatting Kafka storage failed:\n${(fmt.stdout + fmt.stderr).slice(-2000)}`);
    }
    say(`starting Kafka broker on ${brokerAddress(c)}`);
    const pid = startDetached(
      c.java,
      [
        `-Xms${Math.min(256, c.brokerHeapMb)}m`, `-Xmx${c.brokerHeapMb}m`,
        '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
        ...jvmLog, '-cp', cp, 'kafka.Kafka', p.brokerProps,
      ],
      p.brokerLog, p.brokerPid, c.dir,
    );
    await waitReady('Kafka broker', () => brokerReady(c), pid, p.brokerLog, c.readyTimeoutMs);
    say(`Kafka broker ready (pid ${pid}, log ${p.brokerLog})`);
  }

  // Registry
  const registryPid = readPid(p.registryPid);
  if (alive(registryPid)) {
    say(`registry already running (pid ${registryPid}); waiting until it answers`);
    await waitReady('schema registry', () => registryReady(c), registryPid, p.registryLog, c.readyTimeoutMs);
  } else if (await registryReady(c)) {
    say(`a registry not started by this stack already answers on port ${c.registryPort}; reusing it`);
  } else {
    if (await portOpen(c.registryPort)) throw new Error(`port ${c.registryPort} is in use by something that is not the registry (set DKG_STREAM_REGISTRY_PORT)`);
    const runner = ensureApicurio(c, say);
    say(`starting Apicurio Registry ${APICURIO_VERSION} on ${registryUrl(c)}`);
    const pid = startDetached(
      c.java,
      [
        `-Xmx${c.registryHeapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
        '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${c.registryPort}`,
        '-Dquarkus.log.console.color=false',
        '-Dapicurio.storage.kind=kafkasql', `-Dapicurio.kafkasql.bootstrap.servers=${brokerAddress(c)}`,
        '-jar', runner,
      ],
      p.registryLog, p.registryPid, dirname(runner),
    );
    await waitReady('schema registry', () => registryReady(c), pid, p.registryLog, c.readyTimeoutMs);
    say(`schema registry ready (pid ${pid}, log ${p.registryLog})`);
  }
  return status(c);
}

async function stop(name: string, pidFile: string, say: Say): Promise<void> {
  const pid = readPid(pidFile);
  if (!alive(pid)) {
    rmSync(pidFile, { force: true });
    return;
  }
  say(`stopping ${name} (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    say(`${name} did not stop within 30 s; sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(100);
  }
  rmSync(pidFile, { force: true });
}

/** Stops the registry, then the broker (the registry keeps its state in the broker). */
export async function down(c: StackConfig = stackConfig(), say: Say = stderrSay): Promise<void> {
  const p = paths(c);
  await stop('schema registry', p.registryPid, say);
  await stop('Kafka broker', p.brokerPid, say);
}

/** Stops everything and deletes the broker's data (topics, offsets, registered schemas). */
export async function reset(c: StackConfig = stackConfig(), say: Say = stderrSay): Promise<void> {
  await down(c, say);
  const data = join(c.dir, 'data');
  if (existsSync(data)) {
    say(`deleting ${data}`);
    rmSync(data, { recursive: true, force: true });
  }
}

/** Names of the cached downloads (for `stack status`). */
export function cached(c: StackConfig = stackConfig()): string[] {
  return existsSync(c.dir) ? readdirSync(c.dir).filter((n) => n.startsWith('kafka-') || n.startsWith('apicurio-')) : [];
}
