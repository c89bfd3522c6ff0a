/**
 * The one configuration source: defaults, then a JSON or YAML file (`--config`, or
 * `DKG_STREAM_CONFIG`), then `DKG_STREAM_*` environment variables. Validated once at start;
 * every problem is reported together with where the bad value came from.
 */

import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './paths.ts';
import { showValue } from './show.ts';

export interface Config {
  /** Kafka bootstrap servers. */
  brokers: string[];
  /** Confluent-compatible registry base URL. */
  registryUrl: string;
  /** Path of topology.yaml. */
  topology: string;
  /** Directory of Avro schema files. */
  schemasDir: string;
  /** Prepended to every topic name. */
  topicPrefix: string;
  /** Consumer group, transactional-id and changelog prefix. */
  applicationId: string;
  /** Where RocksDB stores live (one directory per store and partition). */
  dataDir: string;
  /** Port of the HTTP ops server (health, metrics, queries); 0 disables it. */
  httpPort: number;
  /** Address the HTTP ops server binds to (`0.0.0.0` / `::` = every interface, e.g. in a pod). */
  httpHost: string;
  /**
   * Base URL other instances and clients reach this instance's ops server at, advertised to the
   * group for interactive-query routing; null = {@link advertisedUrlOf}'s default.
   */
  advertisedUrl: string | null;
  /** File holding the 32-byte AES-256-GCM key (hex or raw) used to seal secrets. */
  secretKeyFile: string | null;
  /** pino level. */
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

  // --- Never hang: connection, request and shutdown bounds ---------------------------------------
  /** How long a client tries to reach the cluster (TCP, handshake, first metadata) before it gives up. */
  kafkaConnectionTimeoutMs: number;
  /** How long one Kafka request may wait for its answer once connected. */
  kafkaRequestTimeoutMs: number;
  /** After SIGINT/SIGTERM, how long a command may take to stop cleanly before it exits anyway. */
  shutdownTimeoutMs: number;

  // --- Kafka and registry client security (see README "Production") ---------------------------
  /** Connect to Kafka over TLS (implied by kafkaCaFile / kafkaCertFile). */
  kafkaTls: boolean;
  /** PEM file of the CA(s) that signed the brokers' certificates; null = the system's CAs. */
  kafkaCaFile: string | null;
  /** PEM client certificate and key for mutual TLS (both or neither). */
  kafkaCertFile: string | null;
  kafkaKeyFile: string | null;
  /** SASL mechanism; null = no SASL. */
  kafkaSaslMechanism: SaslMechanism | null;
  kafkaSaslUsername: string | null;
  /** The SASL password, read from `kafkaSaslPasswordFile` or given directly. */
  kafkaSaslPassword: Secret | null;
  /** PEM CA file for an https registry URL; null = the system's CAs. */
  registryCaFile: string | null;
  /** HTTP basic auth for the registry (both or neither). */
  registryUsername: string | null;
  registryPassword: Secret | null;
  /** Replication factor of topics this project creates; null = min(3, brokers in the cluster). */
  replicationFactor: number | null;
  /** `min.insync.replicas` of those topics; null = replicationFactor − 1, at least 1, at most 2. */
  minInsyncReplicas: number | null;
}

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * A credential held in memory. It prints as `[redacted]` everywhere (JSON, util.inspect, pino,
 * template strings), so a configuration object can be logged or shown without leaking it; only
 * {@link Secret.reveal} gives the value, at the one place that hands it to a client library.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** Client security and replication settings (file keys that are not fields of {@link Config} are read into one). */
const SECURITY_FIELDS: ReadonlyArray<{ key: string; env: string; default: string; doc: string }> = [
  { key: 'kafkaTls', env: 'DKG_STREAM_KAFKA_TLS', default: 'false', doc: 'connect to Kafka over TLS (implied by a CA or client certificate)' },
  { key: 'kafkaCaFile', env: 'DKG_STREAM_KAFKA_CA_FILE', default: '(none)', doc: "PEM CA file for the brokers' certificates (default: system CAs)" },
  { key: 'kafkaCertFile', env: 'DKG_STREAM_KAFKA_CERT_FILE', default: '(none)', doc: 'PEM client certificate (mutual TLS; with kafkaKeyFile)' },
  { key: 'kafkaKeyFile', env: 'DKG_STREAM_KAFKA_KEY_FILE', default: '(none)', doc: 'PEM private key of the client certificate' },
  { key: 'kafkaSaslMechanism', env: 'DKG_STREAM_KAFKA_SASL_MECHANISM', default: '(none)', doc: 'SASL mechanism: plain, scram-sha-256 or scram-sha-512' },
  { key: 'kafkaSaslUsername', env: 'DKG_STREAM_KAFKA_SASL_USERNAME', default: '(none)', doc: 'SASL user name' },
  { key: 'kafkaSaslPasswordFile', env: 'DKG_STREAM_KAFKA_SASL_PASSWORD_FILE', default: '(none)', doc: 'file holding the SASL password (preferred)' },
  { key: 'kafkaSaslPassword', env: 'DKG_STREAM_KAFKA_SASL_PASSWORD', default: '(none)', doc: 'the SASL password itself (instead of the file)' },
  { key: 'registryCaFile', env: 'DKG_STREAM_REGISTRY_CA_FILE', default: '(none)', doc: 'PEM CA file for an https registry URL' },
  { key: 'registryUsername', env: 'DKG_STREAM_REGISTRY_USERNAME', default: '(none)', doc: 'registry basic-auth user' },
  { key: 'registryPasswordFile', env: 'DKG_STREAM_REGISTRY_PASSWORD_FILE', default: '(none)', doc: 'file holding the registry basic-auth password' },
  { key: 'registryPassword', env: 'DKG_STREAM_REGISTRY_PASSWORD', default: '(none)', doc: 'the registry password itself (instead of the file)' },
  { key: 'replicationFactor', env: 'DKG_STREAM_REPLICATION_FACTOR', default: '(cluster)', doc: 'replication factor of created topics (default min(3, brokers))' },
  { key: 'minInsyncReplicas', env: 'DKG_STREAM_MIN_INSYNC_REPLICAS', default: '(cluster)', doc: 'min.insync.replicas of created topics (default RF − 1, 1..2)' },
];

/**
 * The local stack's default ports (`dkg-stream stack up`). They lie below Linux's ephemeral range
 * (32768–60999), and so does every port derived from them: a port in that range can be held at any
 * moment as the local port of an outgoing connection, and a node would fail to bind it.
 */
export const LOCAL_KAFKA_PORT = 19092;
export const LOCAL_REGISTRY_PORT = 18081;
export const localBrokers = (kafkaPort: number | string = LOCAL_KAFKA_PORT): string => `127.0.0.1:${kafkaPort}`;
export const localRegistryUrl = (registryPort: number | string = LOCAL_REGISTRY_PORT): string => `http://127.0.0.1:${registryPort}/apis/ccompat/v7`;

/** One row per setting: the README's configuration table is generated from the same facts. */
export const CONFIG_FIELDS: ReadonlyArray<{ key: string; env: string; default: string; doc: string }> = [
  { key: 'brokers', env: 'DKG_STREAM_BROKERS', default: localBrokers(), doc: 'Kafka bootstrap servers, comma-separated' },
  { key: 'registryUrl', env: 'DKG_STREAM_REGISTRY_URL', default: localRegistryUrl(), doc: 'Confluent-compatible schema registry URL' },
  { key: 'topology', env: 'DKG_STREAM_TOPOLOGY', default: 'topology.yaml', doc: 'topology file' },
  { key: 'schemasDir', env: 'DKG_STREAM_SCHEMAS_DIR', default: 'schemas', doc: 'directory of Avro schemas' },
  { key: 'topicPrefix', env: 'DKG_STREAM_TOPIC_PREFIX', default: '', doc: 'prefix for every topic name' },
  { key: 'applicationId', env: 'DKG_STREAM_APPLICATION_ID', default: 'dkg-stream', doc: 'consumer group / transactional id / changelog prefix' },
  { key: 'dataDir', env: 'DKG_STREAM_DATA_DIR', default: '.data', doc: 'RocksDB state directory' },
  { key: 'httpPort', env: 'DKG_STREAM_HTTP_PORT', default: '8088', doc: 'HTTP ops server port (0 = off)' },
  { key: 'httpHost', env: 'DKG_STREAM_HTTP_HOST', default: '127.0.0.1', doc: 'address the HTTP ops server binds to (0.0.0.0 = every interface)' },
  {
    key: 'advertisedUrl',
    env: 'DKG_STREAM_ADVERTISED_URL',
    default: '(none)',
    doc: 'URL other instances reach this ops server at (default http://<httpHost>:<httpPort>; the host name when httpHost is a wildcard)',
  },
  { key: 'secretKeyFile', env: 'DKG_STREAM_SECRET_KEY_FILE', default: '(none)', doc: 'AES-256-GCM key file sealing shares and private messages' },
  { key: 'logLevel', env: 'DKG_STREAM_LOG_LEVEL', default: 'info', doc: 'log level (trace … silent)' },
  { key: 'kafkaConnectionTimeoutMs', env: 'DKG_STREAM_KAFKA_CONNECTION_TIMEOUT_MS', default: '5000', doc: 'time to reach the cluster (TCP, handshake, first metadata) before a command fails' },
  { key: 'kafkaRequestTimeoutMs', env: 'DKG_STREAM_KAFKA_REQUEST_TIMEOUT_MS', default: '30000', doc: 'time one Kafka request may wait for its answer' },
  { key: 'shutdownTimeoutMs', env: 'DKG_STREAM_SHUTDOWN_TIMEOUT_MS', default: '20000', doc: 'after SIGINT/SIGTERM, time for a clean stop before the process exits anyway' },
  ...SECURITY_FIELDS,
];

/** Configuration that cannot be used; lists every problem with its origin. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export type ConfigOptions = { file?: string; env?: NodeJS.ProcessEnv; cwd?: string };

export function loadConfig(opts: ConfigOptions = {}): Config {
  return load(opts).config;
}

/** One row of `config print`: a setting, its effective value (secrets redacted) and where it came from. */
export interface ConfigRow {
  key: string;
  env: string;
  value: unknown;
  from: string;
}

/**
 * The effective configuration with the source of every setting (default, the config file, or an
 * environment variable). Values are the validated ones; a {@link Secret} stays a Secret, so
 * printing a row (JSON, util.inspect, templates) shows `[redacted]`, never the credential.
 */
export function describeConfig(opts: ConfigOptions = {}): ConfigRow[] {
  const { config, raw } = load(opts);
  const effective = config as unknown as Record<string, unknown>;
  return CONFIG_FIELDS.map((f) => ({
    key: f.key,
    env: f.env,
    // Settings that are not fields of Config (a password's file) are shown as given.
    value: f.key === 'registryUrl' ? withoutUserinfo(String(effective.registryUrl)) : f.key in effective ? effective[f.key] : raw[f.key]!.value,
    from: raw[f.key]!.from,
  }));
}

/** A URL with any `user:password@` replaced by `[redacted]@` (a registry URL may carry credentials). */
function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1[redacted]@');
}

function load(opts: ConfigOptions): { config: Config; raw: Record<string, { value: unknown; from: string }> } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? REPO_ROOT;
  const problems: string[] = [];
  const raw: Record<string, { value: unknown; from: string }> = {};
  for (const f of CONFIG_FIELDS) raw[f.key] = { value: f.default === '(none)' || f.default === '(cluster)' ? null : f.default, from: 'default' };

  const file = opts.file ?? env.DKG_STREAM_CONFIG;
  if (file) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw new ConfigError([`config file ${path} does not exist`]);
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(path, 'utf8')); // YAML is a superset of JSON
    } catch (err) {
      throw new ConfigError([`config file ${path} is not valid JSON/YAML: ${(err as Error).message}`]);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError([`config file ${path} must hold a mapping`]);
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!CONFIG_FIELDS.some((f) => f.key === k)) problems.push(`${path}: unknown setting ${showValue(k)}`);
      else raw[k] = { value: v, from: path };
    }
  }
  for (const f of CONFIG_FIELDS) {
    const v = env[f.env];
    if (v !== undefined && v !== '') raw[f.key] = { value: v, from: `$${f.env}` };
  }

  const str = (k: string): string => {
    const { value, from } = raw[k]!;
    if (typeof value === 'string') return value;
    problems.push(`${k} (from ${from}) must be a string`);
    return '';
  };
  const path = (k: string): string => {
    const s = str(k);
    return isAbsolute(s) ? s : resolve(cwd, s);
  };

  const brokersRaw = raw.brokers!;
  const brokers = (Array.isArray(brokersRaw.value) ? brokersRaw.value.map(String) : String(brokersRaw.value).split(',')).map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) problems.push(`brokers (from ${brokersRaw.from}) is empty`);
  for (const b of brokers) if (!/^[^:\s]+:\d{1,5}$/.test(b)) problems.push(`broker '${b}' (from ${brokersRaw.from}) is not host:port`);

  const registryUrl = str('registryUrl');
  try {
    const u = new URL(registryUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    problems.push(`registryUrl '${registryUrl}' (from ${raw.registryUrl!.from}) is not an http(s) URL`);
  }

  const portRaw = raw.httpPort!;
  const httpPort = Number(portRaw.value);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) problems.push(`httpPort (from ${portRaw.from}) must be 0..65535, got ${showValue(portRaw.value)}`);

  const millis = (k: 'kafkaConnectionTimeoutMs' | 'kafkaRequestTimeoutMs' | 'shutdownTimeoutMs'): number => {
    const { value, from } = raw[k]!;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 100 || n > 3_600_000) problems.push(`${k} (from ${from}) must be an integer from 100 to 3600000 (ms), got ${showValue(value)}`);
    return n;
  };

  const httpHost = str('httpHost');
  if (httpHost.trim() === '' || /[\s/]/.test(httpHost)) problems.push(`httpHost (from ${raw.httpHost!.from}) must be a host name or address, got ${showValue(httpHost)}`);
  let advertisedUrl: string | null = null;
  if (raw.advertisedUrl!.value !== null) {
    advertisedUrl = str('advertisedUrl').replace(/\/+$/, '');
    try {
      const u = new URL(advertisedUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      problems.push(`advertisedUrl '${advertisedUrl}' (from ${raw.advertisedUrl!.from}) is not an http(s) URL`);
    }
  }

  const level = str('logLevel');
  if (!(LEVELS as readonly string[]).includes(level)) problems.push(`logLevel (from ${raw.logLevel!.from}) must be one of ${LEVELS.join(', ')}`);

  const secretRaw = raw.secretKeyFile!;
  let secretKeyFile: string | null = null;
  if (secretRaw.value !== null) {
    secretKeyFile = path('secretKeyFile');
    if (!existsSync(secretKeyFile)) problems.push(`secretKeyFile ${secretKeyFile} (from ${secretRaw.from}) does not exist`);
  }

  const topology = path('topology');
  if (!existsSync(topology)) problems.push(`topology ${topology} (from ${raw.topology!.from}) does not exist`);
  const schemasDir = path('schemasDir');
  if (!existsSync(schemasDir)) problems.push(`schemasDir ${schemasDir} (from ${raw.schemasDir!.from}) does not exist`);

  const config: Config = {
    brokers,
    registryUrl,
    topology,
    schemasDir,
    topicPrefix: str('topicPrefix'),
    applicationId: str('applicationId'),
    dataDir: path('dataDir'),
    httpPort,
    httpHost,
    advertisedUrl,
    secretKeyFile,
    logLevel: level as Config['logLevel'],
    kafkaConnectionTimeoutMs: millis('kafkaConnectionTimeoutMs'),
    kafkaRequestTimeoutMs: millis('kafkaRequestTimeoutMs'),
    shutdownTimeoutMs: millis('shutdownTimeoutMs'),
    ...securitySettings(raw, cwd, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, raw };
}

type Raw = Record<string, { value: unknown; from: string }>;
type SecuritySettings = Pick<
  Config,
  | 'kafkaTls'
  | 'kafkaCaFile'
  | 'kafkaCertFile'
  | 'kafkaKeyFile'
  | 'kafkaSaslMechanism'
  | 'kafkaSaslUsername'
  | 'kafkaSaslPassword'
  | 'registryCaFile'
  | 'registryUsername'
  | 'registryPassword'
  | 'replicationFactor'
  | 'minInsyncReplicas'
>;

/**
 * Client security and replication settings. Files must exist; a password comes from exactly one
 * of its file or its value, is wrapped in a {@link Secret} at once, and no problem message
 * quotes it.
 */
function securitySettings(raw: Raw, cwd: string, problems: string[]): SecuritySettings {
  const opt = (k: string): string | null => {
    const { value, from } = raw[k]!;
    if (value === null || value === undefined) return null;
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    problems.push(`${k} (from ${from}) must be a string`);
    return null;
  };
  const file = (k: string): string | null => {
    const s = opt(k);
    if (s === null) return null;
    const p = isAbsolute(s) ? s : resolve(cwd, s);
    if (!existsSync(p)) problems.push(`${k} ${p} (from ${raw[k]!.from}) does not exist`);
    return p;
  };
  const secret = (valueKey: string, fileKey: string): Secret | null => {
    const direct = opt(valueKey);
    const f = file(fileKey);
    if (direct !== null && f !== null) problems.push(`set ${valueKey} (from ${raw[valueKey]!.from}) or ${fileKey} (from ${raw[fileKey]!.from}), not both`);
    if (direct !== null) return new Secret(direct);
    if (f === null || !existsSync(f)) return null;
    // One trailing newline is how editors and `echo` end a file; it is not part of the password.
    return new Secret(readFileSync(f, 'utf8').replace(/\r?\n$/, ''));
  };
  const bool = (k: string): boolean => {
    const { value, from } = raw[k]!;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0' || value === null) return false;
    problems.push(`${k} (from ${from}) must be true or false`);
    return false;
  };
  const count = (k: string): number | null => {
    const { value, from } = raw[k]!;
    if (value === null || value === undefined) return null;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 32) problems.push(`${k} (from ${from}) must be an integer from 1 to 32, got ${showValue(value)}`);
    return n;
  };

  const kafkaCaFile = file('kafkaCaFile');
  const kafkaCertFile = file('kafkaCertFile');
  const kafkaKeyFile = file('kafkaKeyFile');
  if ((kafkaCertFile === null) !== (kafkaKeyFile === null)) problems.push('kafkaCertFile and kafkaKeyFile go together (mutual TLS needs both)');
  const mechanism = opt('kafkaSaslMechanism');
  if (mechanism !== null && !(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    problems.push(`kafkaSaslMechanism (from ${raw.kafkaSaslMechanism!.from}) must be one of ${SASL_MECHANISMS.join(', ')}, got ${showValue(mechanism)}`);
  }
  const kafkaSaslUsername = opt('kafkaSaslUsername');
  const kafkaSaslPassword = secret('kafkaSaslPassword', 'kafkaSaslPasswordFile');
  if (mechanism !== null && (kafkaSaslUsername === null || kafkaSaslPassword === null)) {
    problems.push(`kafkaSaslMechanism ${mechanism} needs kafkaSaslUsername and a password (kafkaSaslPasswordFile or kafkaSaslPassword)`);
  }
  if (mechanism === null && kafkaSaslUsername !== null) problems.push('kafkaSaslUsername is set but kafkaSaslMechanism is not');
  const registryUsername = opt('registryUsername');
  const registryPassword = secret('registryPassword', 'registryPasswordFile');
  if ((registryUsername === null) !== (registryPassword === null)) problems.push('registryUsername and a registry password (registryPasswordFile or registryPassword) go together');
  const replicationFactor = count('replicationFactor');
  const minInsyncReplicas = count('minInsyncReplicas');
  if (replicationFactor !== null && minInsyncReplicas !== null && minInsyncReplicas > replicationFactor) {
    problems.push(`minInsyncReplicas ${minInsyncReplicas} is larger than replicationFactor ${replicationFactor}: no write could ever succeed`);
  }
  return {
    kafkaTls: bool('kafkaTls') || kafkaCaFile !== null || kafkaCertFile !== null,
    kafkaCaFile,
    kafkaCertFile,
    kafkaKeyFile,
    kafkaSaslMechanism: mechanism as SaslMechanism | null,
    kafkaSaslUsername,
    kafkaSaslPassword,
    registryCaFile: file('registryCaFile'),
    registryUsername,
    registryPassword,
    replicationFactor,
    minInsyncReplicas,
  };
}

/**
 * The URL this instance advertises for query routing: `advertisedUrl` if set, else
 * `http://<httpHost>:<port>` — with the machine's host name instead of a wildcard bind address,
 * which no other host could connect to.
 */
export function advertisedUrlOf(config: Pick<Config, 'httpHost' | 'advertisedUrl'>, port: number): string {
  if (config.advertisedUrl) return config.advertisedUrl;
  const wildcard = config.httpHost === '0.0.0.0' || config.httpHost === '::' || config.httpHost === '[::]';
  const host = wildcard ? hostname() : config.httpHost;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
