/**
 * The one place that turns the configuration's client security into kafkajs options, and the one
 * place that turns a security failure (TLS verification, SASL authentication, authorization)
 * into a single line naming what failed and where.
 *
 * Invariants:
 * - Certificates and keys are read from their files here, when a client is built; the SASL
 *   password is revealed only into the kafkajs options object, which is never logged.
 * - A security failure is permanent until an operator changes something: it is never retried
 *   and its message never includes a credential.
 */

import { readFileSync } from 'node:fs';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory, KafkaConfig, SASLOptions } from 'kafkajs';
import type { Config } from '../../config.ts';
import { oneLine } from '../../show.ts';

/** The configuration's Kafka client settings, as every client creation point takes them (absent = plaintext, cluster defaults). */
export type KafkaClientConfig = Pick<Config, 'brokers'> &
  Partial<Pick<Config, 'kafkaTls' | 'kafkaCaFile' | 'kafkaCertFile' | 'kafkaKeyFile' | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword' | 'replicationFactor' | 'minInsyncReplicas'>> &
  Partial<Pick<Config, 'kafkaConnectionTimeoutMs' | 'kafkaRequestTimeoutMs'>>;

/** What {@link KafkajsOptions} / {@link AdminOptions} take besides the brokers. */
export interface KafkaClientSecurity {
  ssl?: KafkaConfig['ssl'];
  sasl?: SASLOptions;
}

/** Replication of topics the project creates; unset fields follow the cluster's size. */
export interface ReplicationSettings {
  replicationFactor?: number;
  minInsyncReplicas?: number;
}

/** `{ brokers, security, replication }` for a port or admin client, from the configuration. */
export function kafkaClientOptions(c: KafkaClientConfig): {
  brokers: string[];
  security: KafkaClientSecurity;
  replication: ReplicationSettings;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
} {
  return {
    brokers: c.brokers,
    ...(c.kafkaConnectionTimeoutMs != null ? { connectionTimeoutMs: c.kafkaConnectionTimeoutMs } : {}),
    ...(c.kafkaRequestTimeoutMs != null ? { requestTimeoutMs: c.kafkaRequestTimeoutMs } : {}),
    security: kafkaSecurity(c),
    replication: {
      ...(c.replicationFactor != null ? { replicationFactor: c.replicationFactor } : {}),
      ...(c.minInsyncReplicas != null ? { minInsyncReplicas: c.minInsyncReplicas } : {}),
    },
  };
}

/** kafkajs `ssl` and `sasl` options (empty for a plaintext cluster). */
export function kafkaSecurity(c: Omit<KafkaClientConfig, 'brokers' | 'replicationFactor' | 'minInsyncReplicas'>): KafkaClientSecurity {
  const out: KafkaClientSecurity = {};
  if (c.kafkaTls) {
    const read = (f: string | null | undefined, what: string): Buffer | undefined => {
      if (f == null) return undefined;
      try {
        return readFileSync(f);
      } catch (err) {
        throw new Error(`cannot read the Kafka ${what} file ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    };
    const ca = read(c.kafkaCaFile, 'CA');
    const cert = read(c.kafkaCertFile, 'client certificate');
    const key = read(c.kafkaKeyFile, 'client key');
    out.ssl = ca || cert ? { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } : true;
  }
  if (c.kafkaSaslMechanism && c.kafkaSaslUsername && c.kafkaSaslPassword) {
    const username = c.kafkaSaslUsername;
    const password = c.kafkaSaslPassword.reveal();
    out.sasl =
      c.kafkaSaslMechanism === 'plain'
        ? { mechanism: 'plain', username, password }
        : c.kafkaSaslMechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return out;
}

/** Node's TLS codes for a certificate the client does not trust or that does not match the host. */
const TLS_VERIFY = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A kafkajs socket factory that notices a broker certificate the client does not trust. kafkajs
 * treats that as a retriable connection error and would back off for tens of seconds; with this,
 * whoever waits for a connection ({@link SecurityWatch.failed}) fails at the first handshake.
 */
export class SecurityWatch {
  private failure: SecurityFailure | undefined;
  private readonly waiters = new Set<(e: SecurityFailure) => void>();

  /** The socket factory (kafkajs' default behaviour: keep-alive, SNI for host names) plus the watch. */
  readonly socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket: Socket = ssl ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const f = securityFailure({ ...err, name: err.name, message: err.message, broker: `${host}:${port}` }, [`${host}:${port}`]);
      if (f?.kind === 'tls') this.fail(f);
    });
    return socket;
  };

  private fail(f: SecurityFailure): void {
    this.failure ??= f;
    for (const w of this.waiters) w(this.failure);
    this.waiters.clear();
  }

  /** Rejects with the first TLS failure (at once if one happened already); never resolves. */
  failed(): Promise<never> {
    return new Promise<never>((_, reject) => {
      if (this.failure) reject(this.failure);
      else this.waiters.add(reject);
    });
  }
}

/** Kafka error types that mean "this principal may not": permanent until an ACL changes. */
const AUTHZ = /^(TOPIC|GROUP|CLUSTER|TRANSACTIONAL_ID|DELEGATION_TOKEN)_AUTHORIZATION_FAILED$/;

interface KafkaLikeError {
  name?: string;
  message?: string;
  code?: string | number;
  type?: string;
  broker?: string;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown[];
}

/** Walks an error and what it wraps (kafkajs nests causes in several shapes), bounded in depth. */
function* chain(err: unknown, depth = 0): Generator<KafkaLikeError> {
  if (depth > 6 || err === null || typeof err !== 'object') return;
  const e = err as KafkaLikeError;
  yield e;
  for (const inner of [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])]) yield* chain(inner, depth + 1);
}

/**
 * A permanent security failure as one line (what failed, where, what to check), or undefined
 * when `err` is something else. `brokers` names the cluster when kafkajs does not say which
 * broker answered.
 */
export function securityFailure(err: unknown, brokers: readonly string[]): SecurityFailure | undefined {
  if (err instanceof SecurityFailure) return err;
  for (const e of chain(err)) {
    const where = e.broker ?? brokers.join(',');
    if (e.name === 'KafkaJSSASLAuthenticationError') {
      return new SecurityFailure('authentication', `Kafka SASL authentication failed at ${where}: ${oneLine(e.message)} (check kafkaSaslUsername, the password and kafkaSaslMechanism)`);
    }
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && TLS_VERIFY.has(code)) {
      return new SecurityFailure('tls', `TLS verification of Kafka broker ${where} failed: ${code} (check kafkaCaFile: it must hold the CA that signed the broker certificates)`);
    }
    if (/^(EPROTO|ERR_SSL_)/.test(code ?? '') || /wrong version number|packet length too long/i.test(e.message ?? '')) {
      return new SecurityFailure('tls', `TLS handshake with Kafka broker ${where} failed: ${oneLine(e.message)} (is the listener TLS? check kafkaTls)`);
    }
    if (e.type && AUTHZ.test(e.type)) {
      return new SecurityFailure('authorization', `not authorized (${e.type}) at ${where}: ${oneLine(e.message)}`);
    }
  }
  return undefined;
}

/** A security failure: never retried, printed as its one-line message. */
export class SecurityFailure extends Error {
  override name = 'SecurityFailure';
  constructor(
    readonly kind: 'authentication' | 'tls' | 'authorization',
    message: string,
  ) {
    super(message);
  }
}
