/**
 * The local development stack: Apache Kafka in KRaft mode (one node, or three nodes each broker +
 * controller) and an Apicurio Registry (Confluent-compatible API), all on 127.0.0.1, fetched from
 * Maven Central with Maven on first use and cached under `.stack/` (git-ignored).
 *
 * Layouts (`stack up [--brokers 3] [--secure]`, remembered in `<stack dir>/stack.json`):
 * - `--brokers 3`: nodes 1..3 listen on kafkaPort + 2(i−1) (clients) and kafkaPort + 2(i−1) + 1
 *   (controller quorum, static voters); replication factor 3, `min.insync.replicas=2`, unclean
 *   leader election off, offsets and transaction state logs replicated 3 with min ISR 2.
 * - `--secure`: client and inter-broker listeners are SASL_SSL (SCRAM-SHA-512), the controller
 *   listener is mutual TLS; a CA and the brokers' certificate are generated once (openssl) under
 *   `<stack dir>/secrets/` (0700). SCRAM users are bootstrapped at `kafka-storage format`:
 *   `admin` (super user: the brokers, the registry, the stack itself), the application user
 *   `dkg-stream` (ACLs: topics under topicPrefix, groups and transactional ids under the
 *   application id) and `outsider` (no ACLs). ACLs go through KRaft's StandardAuthorizer.
 * - Every layout writes `<stack dir>/client.yaml`: a configuration file (`--config`,
 *   `DKG_STREAM_CONFIG`) that points every command at this stack as the application user.
 *
 * Invariants:
 * - `up` is idempotent: a service whose pid file points at a live process that answers its
 *   readiness probe is reused, never started twice; `up` with another layout than the stack
 *   directory was formatted with is refused (reset it or use another directory).
 * - Readiness is asked of the services themselves (Kafka metadata request, registry health and
 *   ccompat endpoints), never assumed after a sleep; `status` reports the processes of this stack
 *   directory (pid files), not whatever answers on the ports.
 * - `down` stops only processes this stack started (by pid file), with SIGTERM so the broker
 *   does a controlled shutdown, escalating to SIGKILL after a grace period.
 * - The registry stores its schemas in Kafka (`kafkasql` storage), so schema ids survive a
 *   registry restart exactly as long as the broker's data does.
 * - Passwords live only in 0600 files under `secrets/` and in the 0600 broker/registry property
 *   files; they are never printed or passed on a command line.
 */

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { LOCAL_KAFKA_PORT, LOCAL_REGISTRY_PORT } from '../config.ts';
import { REPO_ROOT } from '../paths.ts';
import { showValue } from '../show.ts';

/** Apicurio 3.0.x is the newest 3.x line whose classes run on Java 17 (3.3.x needs Java 21). */
export const APICURIO_VERSION = '3.0.9';

/** SCRAM users of a secure stack: the admin (super user), the application, one without ACLs. */
export const STACK_USERS = { admin: 'admin', app: 'dkg-stream', outsider: 'outsider' } as const;
/** Topic prefix and application id the application user is granted (written into client.yaml). */
export const STACK_APP = { topicPrefix: 'dkg-stream.', applicationId: 'dkg-stream' } as const;
const SCRAM = 'SCRAM-SHA-512';

export interface Layout {
  brokers: 1 | 3;
  secure: boolean;
}

export interface StackConfig extends Layout {
  /** This stack's processes, data, secrets and client.yaml. */
  dir: string;
  /** Downloaded broker and registry distributions (shared by stack directories). */
  cacheDir: string;
  java: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  brokerHeapMb: number;
  registryHeapMb: number;
  readyTimeoutMs: number;
}

/**
 * The stack's settings from the environment; the layout from `layout` (the `up` flags), else from
 * the directory's `stack.json`, else one plaintext node.
 */
export function stackConfig(env: NodeJS.ProcessEnv = process.env, layout: Partial<Layout> = {}): StackConfig {
  const int = (name: string, dflt: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${showValue(raw)}`);
    return n;
  };
  const kafkaPort = int('DKG_STREAM_KAFKA_PORT', LOCAL_KAFKA_PORT);
  const dir = resolve(env.DKG_STREAM_STACK_DIR ?? join(REPO_ROOT, '.stack'));
  const saved = savedLayout(dir);
  return {
    dir,
    cacheDir: resolve(env.DKG_STREAM_STACK_CACHE ?? env.DKG_STREAM_STACK_DIR ?? join(REPO_ROOT, '.stack')),
    java: env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java',
    kafkaPort,
    controllerPort: int('DKG_STREAM_CONTROLLER_PORT', kafkaPort + 1),
    registryPort: int('DKG_STREAM_REGISTRY_PORT', LOCAL_REGISTRY_PORT),
    brokerHeapMb: int('DKG_STREAM_BROKER_HEAP_MB', (layout.brokers ?? saved?.brokers) === 3 ? 384 : 512),
    registryHeapMb: int('DKG_STREAM_REGISTRY_HEAP_MB', 384),
    readyTimeoutMs: int('DKG_STREAM_STACK_TIMEOUT_MS', 120_000),
    brokers: layout.brokers ?? saved?.brokers ?? 1,
    secure: layout.secure ?? saved?.secure ?? false,
  };
}

function savedLayout(dir: string): Layout | undefined {
  const f = join(dir, 'stack.json');
  if (!existsSync(f)) return undefined;
  const j = JSON.parse(readFileSync(f, 'utf8')) as Partial<Layout>;
  return { brokers: j.brokers === 3 ? 3 : 1, secure: j.secure === true };
}

interface Node {
  id: number;
  port: number;
  controllerPort: number;
  data: string;
  pidFile: string;
  log: string;
  props: string;
}

/** The broker nodes; node 1 keeps the single-node file names (older stack directories stay valid). */
function nodes(c: StackConfig): Node[] {
  return Array.from({ length: c.brokers }, (_, i) => {
    const id = i + 1;
    const sfx = id === 1 ? '' : `-${id}`;
    return {
      id,
      port: c.kafkaPort + 2 * i,
      controllerPort: id === 1 ? c.controllerPort : c.kafkaPort + 2 * i + 1,
      data: join(c.dir, 'data', `kafka${sfx}`),
      pidFile: join(c.dir, 'run', `broker${sfx}.pid`),
      log: join(c.dir, 'logs', `broker${sfx}.log`),
      props: join(c.dir, 'run', `server${sfx}.properties`),
    };
  });
}

export const brokerAddresses = (c: StackConfig): string[] => nodes(c).map((n) => `127.0.0.1:${n.port}`);
export const brokerAddress = (c: StackConfig): string => brokerAddresses(c)[0]!;
export const registryUrl = (c: StackConfig): string => `http://127.0.0.1:${c.registryPort}/apis/ccompat/v7`;
/** The ready-made client configuration of this stack. */
export const clientConfigFile = (c: StackConfig): string => join(c.dir, 'client.yaml');

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
    throw new Error(`Maven failed to fetch ${what} (exit ${r.status}): ${lastLines(r.stdout + r.stderr)}`);
  }
}

/** Copies the broker's runtime classpath into the cache; returns the classpath glob. */
function ensureKafka(c: StackConfig, say: Say): string {
  const version = kafkaVersion();
  const libs = join(c.cacheDir, `kafka-${version}`, 'libs');
  if (!existsSync(join(libs, '.complete'))) {
    say(`fetching Apache Kafka ${version} broker jars from Maven Central (first run only)…`);
    rmSync(libs, { recursive: true, force: true });
    mvn(['-f', join(REPO_ROOT, 'tools', 'kafka', 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`], `Kafka ${version}`);
    writeFileSync(join(libs, '.complete'), `${version}\n`);
  }
  return join(libs, '*');
}

/** Fetches and unpacks the Apicurio Registry distribution; returns the runner jar path. */
function ensureApicurio(c: StackConfig, say: Say): string {
  const home = join(c.cacheDir, `apicurio-${APICURIO_VERSION}`);
  const runner = join(home, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);
  if (!existsSync(join(home, '.complete'))) {
    say(`fetching Apicurio Registry ${APICURIO_VERSION} from Maven Central (first run only)…`);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    mvn(['dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`, `-DoutputDirectory=${home}`], `Apicurio Registry ${APICURIO_VERSION}`);
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
  secrets: join(c.dir, 'secrets'),
  registryPid: join(c.dir, 'run', 'registry.pid'),
  registryLog: join(c.dir, 'logs', 'registry.log'),
  registryProps: join(c.dir, 'run', 'registry.properties'),
  log4j: join(c.dir, 'run', 'log4j2.properties'),
  layout: join(c.dir, 'stack.json'),
});

/** The pid a pid file holds (a stack process, a lock's holder); undefined when there is none. */
export function readPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // Absent, or removed while being read (a stopped process's, a released lock's).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this pid exists. */
export function alive(pid: number | undefined): pid is number {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last few non-empty lines of a process's output, joined on one line (errors stay one line;
 * the whole log is in the file named next to it), cut from the front when long.
 */
function lastLines(text: string, lines = 3, max = 300): string {
  const joined = text
    .trimEnd()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-lines)
    .join(' | ');
  return joined.length > max ? `…${joined.slice(-max)}` : joined;
}

function tail(file: string): string {
  return existsSync(file) ? lastLines(readFileSync(file, 'utf8')) : '(no log)';
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

/**
 * Whether a listener could bind `port` on 127.0.0.1 now. A port nothing listens on can still be
 * taken: by an outgoing connection that was given it as its local port, when the port lies in the
 * system's ephemeral range; the node or registry would then fail at start-up with "Address
 * already in use". The default ports lie below that range for this reason.
 */
function portBindable(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => res(true)));
  });
}

/** The system's ephemeral port range, for the message when a port cannot be bound. */
function ephemeralRange(): string {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return `${lo}–${hi}`;
  } catch {
    return 'unknown';
  }
}

/** Throws a one-line error when `port` is in use or cannot be bound. */
async function assertPortFree(port: number, what: string, knob: string): Promise<void> {
  if (await portOpen(port)) throw new Error(`port ${port} (${what}) is in use by something this stack did not start (set ${knob})`);
  if (!(await portBindable(port))) {
    throw new Error(
      `port ${port} (${what}) cannot be bound: another socket holds it, e.g. an outgoing connection's local port (this system's ephemeral range is ${ephemeralRange()}); set ${knob} to ports outside that range`,
    );
  }
}

/** Writes a file only its owner may read (secrets, and property files that embed them). */
function writePrivate(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

// ---------------------------------------------------------------------------------------------
// Security material (secure layout): CA, broker certificate, SCRAM passwords

interface Secrets {
  caPem: string;
  /** Broker private key + certificate chain (PEM keystore). */
  brokerKeystore: string;
  passwordFile: (user: keyof typeof STACK_USERS) => string;
  password: (user: keyof typeof STACK_USERS) => string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run openssl (needed for --secure): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${lastLines(r.stderr)}`);
}

/**
 * The stack's CA, the brokers' certificate (SAN IP:127.0.0.1 and DNS:localhost, so clients that
 * check the host name accept it; usable as server and client certificate for the mutual-TLS
 * controller listener) and one random password per SCRAM user; generated once and reused.
 */
function ensureSecrets(c: StackConfig, say: Say): Secrets {
  const dir = paths(c).secrets;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const caPem = join(dir, 'ca.pem');
  const brokerKeystore = join(dir, 'broker-keystore.pem');
  if (!existsSync(brokerKeystore)) {
    say(`generating the stack CA and broker certificate in ${dir}`);
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=dkg-stream stack CA'], dir);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=dkg-stream-broker'], dir);
    writeFileSync(join(dir, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
    openssl(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.crt', '-days', '3650', '-extfile', 'broker.ext'], dir);
    writePrivate(brokerKeystore, readFileSync(join(dir, 'broker.key'), 'utf8') + readFileSync(join(dir, 'broker.crt'), 'utf8'));
    for (const f of ['ca.key', 'broker.key']) chmodSync(join(dir, f), 0o600);
  }
  const passwordFile = (u: keyof typeof STACK_USERS) => join(dir, `${STACK_USERS[u]}.password`);
  for (const u of Object.keys(STACK_USERS) as Array<keyof typeof STACK_USERS>) {
    if (!existsSync(passwordFile(u))) writePrivate(passwordFile(u), randomBytes(18).toString('base64url') + '\n');
  }
  return { caPem, brokerKeystore, passwordFile, password: (u) => readFileSync(passwordFile(u), 'utf8').trim() };
}

/** kafkajs options the stack's own clients (probe, ACL setup) use: the admin user on a secure stack. */
function adminSecurity(c: StackConfig): { ssl?: { ca: Buffer[] }; sasl?: { mechanism: 'scram-sha-512'; username: string; password: string } } {
  if (!c.secure) return {};
  const dir = paths(c).secrets;
  return {
    ssl: { ca: [readFileSync(join(dir, 'ca.pem'))] },
    sasl: { mechanism: 'scram-sha-512', username: STACK_USERS.admin, password: readFileSync(join(dir, `${STACK_USERS.admin}.password`), 'utf8').trim() },
  };
}

// ---------------------------------------------------------------------------------------------
// Readiness probes

/** Asks the node for cluster metadata; true when the whole cluster (every node) answers with a controller. */
async function nodeReady(c: StackConfig, n: Node): Promise<boolean> {
  if (!(await portOpen(n.port))) return false;
  const { describeClusterOnce } = await import('../runtime/kafka/cluster-admin.ts');
  const cluster = await describeClusterOnce({ brokers: [`127.0.0.1:${n.port}`], security: adminSecurity(c) });
  return cluster !== undefined && cluster.brokers === c.brokers && cluster.controller;
}

/** True when every broker of the layout answers (see {@link nodeReady}). */
export async function brokerReady(c: StackConfig): Promise<boolean> {
  for (const n of nodes(c)) if (!(await nodeReady(c, n))) return false;
  return true;
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

async function waitReady(name: string, probe: () => Promise<boolean>, pids: number[], logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    if (!pids.every((p) => alive(p))) throw new Error(`${name} exited during start-up; last log lines (${logFile}): ${tail(logFile)}`);
    await sleep(500);
  }
  throw new Error(`${name} did not become ready within ${timeoutMs} ms; last log lines (${logFile}): ${tail(logFile)}`);
}

// ---------------------------------------------------------------------------------------------
// Broker configuration

function brokerProperties(c: StackConfig, n: Node, secrets: Secrets | undefined): string {
  const all = nodes(c);
  const rf = c.brokers; // 1 or 3: internal topics on every node
  const minIsr = c.brokers === 3 ? 2 : 1;
  const client = c.secure ? 'SASL_SSL' : 'PLAINTEXT';
  const controllerProto = c.secure ? 'SSL' : 'PLAINTEXT';
  const quorum =
    c.brokers === 1 ? [`controller.quorum.bootstrap.servers=127.0.0.1:${n.controllerPort}`] : [`controller.quorum.voters=${all.map((x) => `${x.id}@127.0.0.1:${x.controllerPort}`).join(',')}`];
  const security = secrets
    ? [
        '# SASL_SSL for clients and between brokers (SCRAM users bootstrapped at format); mutual TLS',
        "# for the controller quorum (the brokers' own certificate is their principal).",
        `sasl.enabled.mechanisms=${SCRAM}`,
        `sasl.mechanism.inter.broker.protocol=${SCRAM}`,
        `listener.name.sasl_ssl.${SCRAM.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${STACK_USERS.admin}" password="${secrets.password('admin')}";`,
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${secrets.brokerKeystore}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${secrets.caPem}`,
        'listener.name.controller.ssl.client.auth=required',
        'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        `super.users=User:${STACK_USERS.admin};User:CN=dkg-stream-broker`,
        'allow.everyone.if.no.acl.found=false',
      ]
    : [];
  return [
    `# Generated by dkg-stream stack: node ${n.id} of ${c.brokers}, broker + controller, loopback only.`,
    'process.roles=broker,controller',
    `node.id=${n.id}`,
    ...quorum,
    `listeners=${client}://127.0.0.1:${n.port},CONTROLLER://127.0.0.1:${n.controllerPort}`,
    `advertised.listeners=${client}://127.0.0.1:${n.port},CONTROLLER://127.0.0.1:${n.controllerPort}`,
    'controller.listener.names=CONTROLLER',
    `inter.broker.listener.name=${client}`,
    `listener.security.protocol.map=CONTROLLER:${controllerProto},${client}:${client}`,
    ...security,
    `log.dirs=${n.data}`,
    // Topics are created by `dkg-stream topology apply` (or tests) with explicit settings.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    `default.replication.factor=${rf}`,
    // Replication: every internal topic on every node; a write needs all but one replica (of 3);
    // a replica that missed writes never becomes leader.
    `min.insync.replicas=${minIsr}`,
    'unclean.leader.election.enable=false',
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=1', // one partition keeps first use fast
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=1',
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    // Two cores: keep thread pools small.
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'num.recovery.threads.per.data.dir=1',
    'num.replica.fetchers=1',
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

/**
 * Registry settings in a 0600 file (Quarkus `quarkus.config.locations`), so the admin password is
 * never on a command line. `apicurio.kafka.common.*` goes to every Kafka client of the kafkasql
 * storage (producer, consumer, admin).
 */
function registryProperties(c: StackConfig, secrets: Secrets | undefined): string {
  const lines = [
    '# Generated by dkg-stream stack.',
    'quarkus.http.host=127.0.0.1',
    `quarkus.http.port=${c.registryPort}`,
    'quarkus.log.console.color=false',
    'apicurio.storage.kind=kafkasql',
    `apicurio.kafkasql.bootstrap.servers=${brokerAddresses(c).join(',')}`,
  ];
  if (secrets) {
    lines.push(
      'apicurio.kafka.common.security.protocol=SASL_SSL',
      `apicurio.kafka.common.sasl.mechanism=${SCRAM}`,
      `apicurio.kafka.common.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${STACK_USERS.admin}" password="${secrets.password('admin')}";`,
      'apicurio.kafka.common.ssl.truststore.type=PEM',
      `apicurio.kafka.common.ssl.truststore.location=${secrets.caPem}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** `<stack dir>/client.yaml`: every command pointed at this stack (as the application user when secure). */
function clientYaml(c: StackConfig, secrets: Secrets | undefined): string {
  const lines = ['# Written by `dkg-stream stack up`: use with --config or DKG_STREAM_CONFIG.', `brokers: ${brokerAddresses(c).join(',')}`, `registryUrl: ${registryUrl(c)}`];
  if (secrets) {
    lines.push(
      `# The application user may use topics under topicPrefix and groups / transactional ids under applicationId.`,
      `topicPrefix: ${STACK_APP.topicPrefix}`,
      `applicationId: ${STACK_APP.applicationId}`,
      `kafkaCaFile: ${secrets.caPem}`,
      'kafkaSaslMechanism: scram-sha-512',
      `kafkaSaslUsername: ${STACK_USERS.app}`,
      `kafkaSaslPasswordFile: ${secrets.passwordFile('app')}`,
    );
  }
  lines.push(`replicationFactor: ${c.brokers}`, `minInsyncReplicas: ${c.brokers === 3 ? 2 : 1}`);
  return lines.join('\n') + '\n';
}

/**
 * The application user's ACLs (idempotent: creating an existing binding is a no-op): everything
 * on topics under the topic prefix, on groups and on transactional ids under the application id.
 */
async function ensureAcls(c: StackConfig): Promise<void> {
  const { grantPrefixAcls } = await import('../runtime/kafka/cluster-admin.ts');
  await grantPrefixAcls(
    { brokers: brokerAddresses(c), security: adminSecurity(c) },
    { principal: `User:${STACK_USERS.app}`, topics: STACK_APP.topicPrefix, groups: STACK_APP.applicationId, transactionalIds: STACK_APP.applicationId },
  );
}

// ---------------------------------------------------------------------------------------------
// Public operations

export interface NodeStatus {
  id: number;
  address: string;
  pid?: number;
  /** The process of this stack directory runs and answers. */
  ready: boolean;
}

export interface StackStatus {
  dir: string;
  layout: Layout;
  /** Node 1 (kept for callers of the single-node stack). */
  broker: NodeStatus;
  brokers: NodeStatus[];
  registry: { url: string; pid?: number; ready: boolean };
  /** The ready client configuration (`--config`). */
  clientConfig: string;
}

/**
 * This stack directory's services: a node or the registry is ready only when the process its pid
 * file names is alive and answers (a foreign process on the port is not this stack).
 */
export async function status(c: StackConfig = stackConfig()): Promise<StackStatus> {
  const p = paths(c);
  const brokers: NodeStatus[] = [];
  for (const n of nodes(c)) {
    const pid = readPid(n.pidFile);
    const running = alive(pid);
    brokers.push({ id: n.id, address: `127.0.0.1:${n.port}`, ...(running ? { pid } : {}), ready: running && (await nodeReady(c, n)) });
  }
  const rp = readPid(p.registryPid);
  const registryRunning = alive(rp);
  return {
    dir: c.dir,
    layout: { brokers: c.brokers, secure: c.secure },
    broker: brokers[0]!,
    brokers,
    registry: { url: registryUrl(c), ...(registryRunning ? { pid: rp } : {}), ready: registryRunning && (await registryReady(c)) },
    clientConfig: clientConfigFile(c),
  };
}

/** Formats a node's KRaft storage (once), with the SCRAM users of a secure stack. */
function formatNode(c: StackConfig, n: Node, cp: string, jvmLog: string[], clusterId: string, secrets: Secrets | undefined, say: Say): void {
  if (existsSync(join(n.data, 'meta.properties'))) return;
  say(`formatting KRaft storage of node ${n.id}`);
  const scram = secrets ? (Object.keys(STACK_USERS) as Array<keyof typeof STACK_USERS>).flatMap((u) => ['--add-scram', `${SCRAM}=[name=${STACK_USERS[u]},password=${secrets.password(u)}]`]) : [];
  const quorum = c.brokers === 1 ? ['--standalone'] : [];
  const fmt = spawnSync(c.java, ['-cp', cp, ...jvmLog, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', n.props, ...quorum, ...scram], { encoding: 'utf8' });
  // The tool's output never echoes the passwords; keep only its tail for the error.
  if (fmt.status !== 0) throw new Error(`formatting Kafka storage of node ${n.id} failed: ${lastLines(fmt.stdout + fmt.stderr)}`);
}

/**
 * Starts whatever is not already running and waits until every service answers (only the
 * brokers with `registry: false`, e.g. a test's own broker that it kills and restarts).
 */
export async function up(c: StackConfig = stackConfig(), say: Say = stderrSay, opts: { registry?: boolean } = {}): Promise<StackStatus> {
  const p = paths(c);
  for (const d of [c.dir, p.run, p.logs]) mkdirSync(d, { recursive: true });
  const saved = savedLayout(c.dir);
  const formatted = nodes({ ...c, brokers: 3 }).some((n) => existsSync(join(n.data, 'meta.properties')));
  if (saved && formatted && (saved.brokers !== c.brokers || saved.secure !== c.secure)) {
    throw new Error(
      `the stack in ${c.dir} was created with --brokers ${saved.brokers}${saved.secure ? ' --secure' : ''}; ` + `run \`dkg-stream stack reset\` first, or use another DKG_STREAM_STACK_DIR (and ports)`,
    );
  }
  if (!saved && formatted && (c.brokers !== 1 || c.secure)) {
    throw new Error(`the stack in ${c.dir} holds a single plaintext node's data; run \`dkg-stream stack reset\` first, or use another DKG_STREAM_STACK_DIR`);
  }
  writeFileSync(p.layout, JSON.stringify({ brokers: c.brokers, secure: c.secure }) + '\n');
  const secrets = c.secure ? ensureSecrets(c, say) : undefined;
  writePrivate(clientConfigFile(c), clientYaml(c, secrets));

  // Brokers
  const all = nodes(c);
  const running = all.map((n) => readPid(n.pidFile)).filter((pid) => alive(pid));
  const what = c.brokers === 1 ? 'Kafka broker' : `Kafka cluster (${c.brokers} nodes)`;
  if (running.length === all.length) {
    say(`${what} already running (pid ${running.join(', ')}); waiting until it answers`);
    await waitReady(what, () => brokerReady(c), running, all[0]!.log, c.readyTimeoutMs);
  } else if (c.brokers === 1 && !c.secure && running.length === 0 && (await brokerReady(c))) {
    say(`a Kafka broker not started by this stack already answers on ${brokerAddress(c)}; reusing it`);
  } else {
    const cp = ensureKafka(c, say);
    writeFileSync(p.log4j, LOG4J2);
    const jvmLog = [`-Dlog4j2.configurationFile=${p.log4j}`];
    const pending = all.filter((n) => !alive(readPid(n.pidFile)));
    for (const n of pending) {
      for (const port of [n.port, n.controllerPort]) await assertPortFree(port, `node ${n.id}`, 'DKG_STREAM_KAFKA_PORT');
      mkdirSync(n.data, { recursive: true });
      writePrivate(n.props, brokerProperties(c, n, secrets));
    }
    if (all.some((n) => !existsSync(join(n.data, 'meta.properties')))) {
      const id = spawnSync(c.java, ['-cp', cp, ...jvmLog, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' });
      const clusterId = id.stdout?.trim().split('\n').pop();
      if (id.status !== 0 || !clusterId) throw new Error(`kafka-storage random-uuid failed: ${id.stderr || id.error?.message}`);
      for (const n of all) formatNode(c, n, cp, jvmLog, clusterId, secrets, say);
    }
    const started = Date.now();
    for (const n of pending) {
      say(`starting Kafka node ${n.id} on 127.0.0.1:${n.port}`);
      startDetached(
        c.java,
        [`-Xms${Math.min(256, c.brokerHeapMb)}m`, `-Xmx${c.brokerHeapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', ...jvmLog, '-cp', cp, 'kafka.Kafka', n.props],
        n.log,
        n.pidFile,
        c.dir,
      );
    }
    const pids = all.map((n) => readPid(n.pidFile)!);
    await waitReady(what, () => brokerReady(c), pids, all[0]!.log, c.readyTimeoutMs);
    say(`${what} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pids.join(', ')}, logs in ${p.logs})`);
  }
  if (c.secure) await ensureAcls(c);

  // Registry
  const registryPid = readPid(p.registryPid);
  if (opts.registry === false) {
    // broker only
  } else if (alive(registryPid)) {
    say(`registry already running (pid ${registryPid}); waiting until it answers`);
    await waitReady('schema registry', () => registryReady(c), [registryPid], p.registryLog, c.readyTimeoutMs);
  } else if (!c.secure && (await registryReady(c))) {
    say(`a registry not started by this stack already answers on port ${c.registryPort}; reusing it`);
  } else {
    await assertPortFree(c.registryPort, 'schema registry', 'DKG_STREAM_REGISTRY_PORT');
    const runner = ensureApicurio(c, say);
    writePrivate(p.registryProps, registryProperties(c, secrets));
    say(`starting Apicurio Registry ${APICURIO_VERSION} on ${registryUrl(c)}`);
    const pid = startDetached(
      c.java,
      [`-Xmx${c.registryHeapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dquarkus.config.locations=${p.registryProps}`, '-jar', runner],
      p.registryLog,
      p.registryPid,
      dirname(runner),
    );
    await waitReady('schema registry', () => registryReady(c), [pid], p.registryLog, c.readyTimeoutMs);
    say(`schema registry ready (pid ${pid}, log ${p.registryLog})`);
  }
  say(`client configuration: ${clientConfigFile(c)}`);
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

/** Stops the registry, then the brokers (the registry keeps its state in the brokers), all at once. */
export async function down(c: StackConfig = stackConfig(), say: Say = stderrSay): Promise<void> {
  const p = paths(c);
  await stop('schema registry', p.registryPid, say);
  // In parallel: a node waiting for its controlled shutdown needs the others alive.
  await Promise.all(nodes({ ...c, brokers: 3 }).map((n) => stop(`Kafka node ${n.id}`, n.pidFile, say)));
}

/** Stops everything and deletes the broker's data (topics, offsets, registered schemas). */
export async function reset(c: StackConfig = stackConfig(), say: Say = stderrSay): Promise<void> {
  await down(c, say);
  const data = join(c.dir, 'data');
  if (existsSync(data)) {
    say(`deleting ${data}`);
    rmSync(data, { recursive: true, force: true });
  }
  // The layout goes with the data; the secrets (CA, passwords) stay for the next secure stack.
  rmSync(paths(c).layout, { force: true });
}

/** Names of the cached downloads (for `stack status`). */
export function cached(c: StackConfig = stackConfig()): string[] {
  return existsSync(c.cacheDir) ? readdirSync(c.cacheDir).filter((n) => n.startsWith('kafka-') || n.startsWith('apicurio-')) : [];
}
