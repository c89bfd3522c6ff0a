/**
 * The one configuration source: defaults, then a JSON or YAML file (`--config`, or
 * `DKG_STREAM_CONFIG`), then `DKG_STREAM_*` environment variables. Validated once at start;
 * every problem is reported together with where the bad value came from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './paths.ts';

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
  /** File holding the 32-byte AES-256-GCM key (hex or raw) used to seal secrets. */
  secretKeyFile: string | null;
  /** pino level. */
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}

/** One row per setting: the README's configuration table is generated from the same facts. */
export const CONFIG_FIELDS: ReadonlyArray<{ key: keyof Config; env: string; default: string; doc: string }> = [
  { key: 'brokers', env: 'DKG_STREAM_BROKERS', default: '127.0.0.1:39092', doc: 'Kafka bootstrap servers, comma-separated' },
  { key: 'registryUrl', env: 'DKG_STREAM_REGISTRY_URL', default: 'http://127.0.0.1:38081/apis/ccompat/v7', doc: 'Confluent-compatible schema registry URL' },
  { key: 'topology', env: 'DKG_STREAM_TOPOLOGY', default: 'topology.yaml', doc: 'topology file' },
  { key: 'schemasDir', env: 'DKG_STREAM_SCHEMAS_DIR', default: 'schemas', doc: 'directory of Avro schemas' },
  { key: 'topicPrefix', env: 'DKG_STREAM_TOPIC_PREFIX', default: '', doc: 'prefix for every topic name' },
  { key: 'applicationId', env: 'DKG_STREAM_APPLICATION_ID', default: 'dkg-stream', doc: 'consumer group / transactional id / changelog prefix' },
  { key: 'dataDir', env: 'DKG_STREAM_DATA_DIR', default: '.data', doc: 'RocksDB state directory' },
  { key: 'httpPort', env: 'DKG_STREAM_HTTP_PORT', default: '8088', doc: 'HTTP ops server port (0 = off)' },
  { key: 'secretKeyFile', env: 'DKG_STREAM_SECRET_KEY_FILE', default: '(none)', doc: 'AES-256-GCM key file sealing shares and private messages' },
  { key: 'logLevel', env: 'DKG_STREAM_LOG_LEVEL', default: 'info', doc: 'log level (trace … silent)' },
];

/** Configuration that cannot be used; lists every problem with its origin. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? REPO_ROOT;
  const problems: string[] = [];
  const raw: Record<string, { value: unknown; from: string }> = {};
  for (const f of CONFIG_FIELDS) raw[f.key] = { value: f.default === '(none)' ? null : f.default, from: 'default' };

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
      if (!CONFIG_FIELDS.some((f) => f.key === k)) problems.push(`${path}: unknown setting '${k}'`);
      else raw[k] = { value: v, from: path };
    }
  }
  for (const f of CONFIG_FIELDS) {
    const v = env[f.env];
    if (v !== undefined && v !== '') raw[f.key] = { value: v, from: `$${f.env}` };
  }

  const str = (k: keyof Config): string => {
    const { value, from } = raw[k]!;
    if (typeof value === 'string') return value;
    problems.push(`${k} (from ${from}) must be a string`);
    return '';
  };
  const path = (k: keyof Config): string => {
    const s = str(k);
    return isAbsolute(s) ? s : resolve(cwd, s);
  };

  const brokersRaw = raw.brokers!;
  const brokers = (Array.isArray(brokersRaw.value) ? brokersRaw.value.map(String) : String(brokersRaw.value).split(','))
    .map((b) => b.trim())
    .filter(Boolean);
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
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) problems.push(`httpPort (from ${portRaw.from}) must be 0..65535, got ${JSON.stringify(portRaw.value)}`);

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
    secretKeyFile,
    logLevel: level as Config['logLevel'],
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
