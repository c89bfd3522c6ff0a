/** Shared settings for integration tests: the stack started by `npm test` (scripts/test.mjs). */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig, localBrokers, localRegistryUrl } from '../../src/config.ts';
import { REPO_ROOT } from '../../src/paths.ts';
import { kafkaClientOptions } from '../../src/runtime/kafka/security.ts';

export const BROKERS = (process.env.DKG_STREAM_BROKERS ?? localBrokers()).split(',');
export const REGISTRY_URL = process.env.DKG_STREAM_REGISTRY_URL ?? localRegistryUrl();
export const SCHEMAS_DIR = join(REPO_ROOT, 'schemas');
export const TOPOLOGY_FILE = join(REPO_ROOT, 'topology.yaml');
export const CLI = join(REPO_ROOT, 'bin', 'dkg-stream.js');
/** Client security and replication from the environment (DKG_STREAM_CONFIG, DKG_STREAM_KAFKA_* …): the suite's clients follow it. */
export const CLIENT_CONFIG = loadConfig();
/** `{ brokers, security, replication }` for KafkajsPort / connectAdmin in tests and workers. */
export const KAFKA_CLIENT = kafkaClientOptions({ ...CLIENT_CONFIG, brokers: BROKERS });

/** A fresh prefix so concurrent or repeated tests never share topics, groups or subjects. */
export const uniquePrefix = (what: string): string => `t-${what}-${randomBytes(4).toString('hex')}.`;
