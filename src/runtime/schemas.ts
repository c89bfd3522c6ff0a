/**
 * Avro schemas and the Confluent wire format.
 *
 * - Schemas live in `schemas/<name>.avsc`; a schema may use named types defined in another file
 *   (e.g. `xyz.dkgstream.secret.Sealed`). Each is registered *self-contained* (named types
 *   inlined at first use) so any Confluent-compatible client can read it without references.
 * - Subjects follow TopicNameStrategy: `<topic>-value`.
 * - Wire format: `0x00` magic byte, schema id as int32 big-endian, Avro binary. Decoding is strict:
 *   the whole payload must be consumed and the writer schema must be resolvable.
 * - Decoding is bounded and canonical-only: a pre-pass (avro-check.ts) checks every count and
 *   length against the bytes left and the protocol's per-field limits (avro-limits.ts) before
 *   avsc, which trusts counts, sees the body (docs/decoding.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { basename, join } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Config } from '../config.ts';
import { AvroCheckError, type AvroLimits, avroChecker } from './avro-check.ts';
import { AVRO_FIELD_LIMITS } from './avro-limits.ts';
import { RegistryUnavailable } from './errors.ts';
import type { TopicSpec, Topology } from './topology.ts';

export type AvroType = avro.Type;

export interface LoadedSchema {
  name: string;
  type: AvroType;
  /** The self-contained schema JSON registered with the registry. */
  json: string;
}

/** A schema file that cannot be parsed or resolved. */
export class SchemaFileError extends Error {
  override name = 'SchemaFileError';
}

/**
 * Loads every `.avsc` in `dir`. Files may reference each other's named types in any order: files
 * that fail on an unknown name are retried after the others, until no progress is made.
 */
export function loadSchemas(dir: string): Map<string, LoadedSchema> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
  const registry: Record<string, AvroType> = {};
  const out = new Map<string, LoadedSchema>();
  let pending = files;
  while (pending.length > 0) {
    const failed: Array<{ file: string; err: Error }> = [];
    for (const file of pending) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      } catch (err) {
        throw new SchemaFileError(`${join(dir, file)} is not valid JSON: ${(err as Error).message}`);
      }
      try {
        // A scratch registry per attempt, so a half-parsed file leaves no partial names behind.
        const scratch = { ...registry };
        const type = avro.Type.forSchema(parsed as avro.Schema, { registry: scratch });
        Object.assign(registry, scratch);
        const name = basename(file, '.avsc');
        out.set(name, { name, type, json: JSON.stringify(type.schema({ exportAttrs: true })) });
      } catch (err) {
        failed.push({ file, err: err as Error });
      }
    }
    if (failed.length === pending.length) {
      throw new SchemaFileError(failed.map(({ file, err }) => `${join(dir, file)}: ${err.message}`).join('\n'));
    }
    pending = failed.map((f) => f.file);
  }
  return out;
}

export const valueSubject = (topic: TopicSpec | string): string => `${typeof topic === 'string' ? topic : topic.name}-value`;

// ---------------------------------------------------------------------------------------------
// Registry

/** Registry client security: a CA for an https URL and HTTP basic auth (from the configuration). */
export type RegistrySecurity = Partial<Pick<Config, 'registryCaFile' | 'registryUsername' | 'registryPassword'>>;

export function registryClient(url: string, security: RegistrySecurity = {}): SchemaRegistry {
  const { registryCaFile: caFile, registryUsername: username, registryPassword: password } = security;
  // An https URL with a private CA needs its own agent; http and public CAs use the default one.
  const agent = caFile && url.startsWith('https:') ? new HttpsAgent({ ca: readFileSync(caFile), keepAlive: true }) : undefined;
  return new SchemaRegistry({
    host: url,
    retry: { retries: 2, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 },
    ...(username && password ? { auth: { username, password: password.reveal() } } : {}),
    ...(agent ? { agent } : {}),
  });
}

/**
 * Registers the value schema of every topic that has one under `<topic>-value` with BACKWARD
 * compatibility (consumers on the new schema can read old records — what a replayable journal
 * needs). Idempotent: re-registering an identical schema returns the existing id.
 */
export async function registerTopologySchemas(registry: SchemaRegistry, topology: Topology, schemas: Map<string, LoadedSchema>): Promise<Map<string, { subject: string; id: number }>> {
  const ids = new Map<string, { subject: string; id: number }>();
  for (const topic of topology.topics.values()) {
    if (topic.value === null) continue;
    const schema = schemas.get(topic.value);
    if (!schema) throw new SchemaFileError(`topic ${topic.name} needs schema '${topic.value}', which is not loaded`);
    const subject = valueSubject(topic);
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: schema.json }, { subject, compatibility: COMPATIBILITY.BACKWARD });
    ids.set(topic.name, { subject, id });
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Serde

/** Base class of value (de)serialisation failures; the DLQ records the subclass name. */
export class SerdeError extends Error {
  override name = 'SerdeError';
}
/** The bytes are not in the Confluent wire format (empty, too short, wrong magic byte). */
export class WireFormatError extends SerdeError {
  override name = 'WireFormatError';
}
/** The schema id in the payload is not known to the registry. */
export class UnknownSchemaId extends SerdeError {
  override name = 'UnknownSchemaId';
}
/** The Avro body does not decode under its writer schema (truncated, trailing bytes, bad union). */
export class AvroDecodeError extends SerdeError {
  override name = 'AvroDecodeError';
}
/** The Avro body is well-formed but not in its one canonical form (non-minimal varint, boolean byte 2, invalid UTF-8). */
export class AvroNonCanonical extends AvroDecodeError {
  override name = 'AvroNonCanonical';
}
/** A count or length in the Avro body exceeds a per-field protocol limit or the per-record budget. */
export class AvroLimitExceeded extends AvroDecodeError {
  override name = 'AvroLimitExceeded';
}
/** The payload exceeds the configured bound and is not decoded at all. */
export class OversizePayload extends SerdeError {
  override name = 'OversizePayload';
}
/** A value does not conform to its topic's schema (a bug in the producer). */
export class AvroEncodeError extends SerdeError {
  override name = 'AvroEncodeError';
}

/** Bound of one registry lookup (the client's own retries included) before it counts as an outage; below the group session timeout (10 s by default), so a hung registry never costs the partition its group membership. */
export const REGISTRY_TIMEOUT_MS = 5_000;

/**
 * A registry lookup, bounded in time, with every failure but "not found" turned into
 * {@link RegistryUnavailable} (transient: the runtime pauses and retries, never dead-letters).
 * The client reports a refused connection as status 400, so only 404 is taken as an answer.
 */
function lookup<T>(what: string, call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RegistryUnavailable(`registry did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([call(), timeout])
    .catch((err: Error & { status?: number }) => {
      if (err instanceof RegistryUnavailable || err.status === 404) throw err;
      throw new RegistryUnavailable(`registry failed ${what}: ${err.message.slice(0, 200)}`, { cause: err });
    })
    .finally(() => clearTimeout(timer));
}

/**
 * Encodes and decodes topic values with the registry. Schema ids for encoding are resolved once
 * per subject and cached; writer schemas for decoding are cached by id. A registry that cannot be
 * asked raises {@link RegistryUnavailable}; only a definite 404 for a schema id condemns a record
 * ({@link UnknownSchemaId}).
 */
export class AvroSerde {
  private readonly subjectIds = new Map<string, Promise<number>>();
  private readonly writerTypes = new Map<number, Promise<AvroType>>();
  /** Resolvers by `<writer id>:<reader name>`: building one costs ~0.5 ms, decoding with it µs. */
  private readonly resolvers = new Map<string, avro.Resolver>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly schemas: Map<string, LoadedSchema>,
    private readonly maxPayloadBytes = 4 * 1024 * 1024,
    private readonly limits: AvroLimits = AVRO_FIELD_LIMITS,
    private readonly registryTimeoutMs = REGISTRY_TIMEOUT_MS,
  ) {}

  private idFor(topic: TopicSpec): Promise<number> {
    const subject = valueSubject(topic);
    let id = this.subjectIds.get(subject);
    if (!id) {
      // Not finding the subject is a deployment problem (schemas not registered), not the
      // value's fault: transient as well.
      id = lookup(`the latest id of ${subject}`, () => this.registry.getLatestSchemaId(subject), this.registryTimeoutMs).catch((err: Error & { status?: number }) => {
        throw err instanceof RegistryUnavailable ? err : new RegistryUnavailable(`registry has no subject ${subject}: ${err.message.slice(0, 200)}`, { cause: err });
      });
      id.catch(() => this.subjectIds.delete(subject));
      this.subjectIds.set(subject, id);
    }
    return id;
  }

  async encode(topic: TopicSpec, value: unknown): Promise<Buffer> {
    if (topic.value === null) throw new AvroEncodeError(`topic ${topic.name} has no value schema`);
    const schema = this.schemas.get(topic.value);
    if (!schema) throw new AvroEncodeError(`schema '${topic.value}' is not loaded`);
    const errors: string[] = [];
    if (!schema.type.isValid(value, { errorHook: (path) => errors.push(path.join('.') || '(root)') })) {
      throw new AvroEncodeError(`value for ${topic.name} does not match ${topic.value}.avsc at ${errors.join(', ')}`);
    }
    const id = await this.idFor(topic);
    const body = schema.type.toBuffer(value);
    const out = Buffer.allocUnsafe(5 + body.length);
    out[0] = 0;
    out.writeInt32BE(id, 1);
    body.copy(out, 5);
    return out;
  }

  private writerType(id: number): Promise<AvroType> {
    let t = this.writerTypes.get(id);
    if (!t) {
      t = lookup(`schema id ${id}`, () => this.registry.getSchema(id), this.registryTimeoutMs).then(
        // The client returns an avsc Type for Avro ids; anything else is not ours to decode.
        (s) => {
          if (!avro.Type.isType(s)) throw new UnknownSchemaId(`schema id ${id} is not an Avro schema`);
          return s as AvroType;
        },
        (err: Error & { status?: number }) => {
          this.writerTypes.delete(id);
          // Only a definite "not found" condemns the record; anything else is RegistryUnavailable
          // (transient), so the runtime retries instead of dead-lettering.
          if (err.status === 404) throw new UnknownSchemaId(`schema id ${id} is not known to the registry`);
          throw err;
        },
      );
      this.writerTypes.set(id, t);
    }
    return t;
  }

  /**
   * Decodes a wire-format payload. When `reader` names a loaded schema, the writer's record is
   * resolved into the reader schema (schema evolution); otherwise the writer schema is used.
   */
  async decode(payload: Uint8Array | null, reader?: string): Promise<{ schemaId: number; value: unknown }> {
    if (payload === null) throw new WireFormatError('value is null (tombstone) where a record was expected');
    if (payload.length > this.maxPayloadBytes) {
      throw new OversizePayload(`value has ${payload.length} bytes, more than the bound of ${this.maxPayloadBytes}`);
    }
    if (payload.length < 5 || payload[0] !== 0) {
      throw new WireFormatError(`value is not in the Confluent wire format (${payload.length} bytes, magic ${payload[0] ?? 'none'})`);
    }
    const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    const schemaId = buf.readInt32BE(1);
    const writer = await this.writerType(schemaId);
    const body = buf.subarray(5);
    try {
      avroChecker(writer, this.limits).run(body);
    } catch (err) {
      if (!(err instanceof AvroCheckError)) throw err;
      const Cls = err.kind === 'non-canonical' ? AvroNonCanonical : err.kind === 'limit' ? AvroLimitExceeded : AvroDecodeError;
      throw new Cls(`value with schema id ${schemaId} does not decode: ${err.message}`);
    }
    try {
      if (reader !== undefined) {
        const readerType = this.schemas.get(reader)?.type;
        if (!readerType) throw new AvroDecodeError(`reader schema '${reader}' is not loaded`);
        const key = `${schemaId}:${reader}`;
        let resolver = this.resolvers.get(key);
        if (!resolver) this.resolvers.set(key, (resolver = readerType.createResolver(writer)));
        return { schemaId, value: readerType.fromBuffer(body, resolver, false) };
      }
      return { schemaId, value: writer.fromBuffer(body) };
    } catch (err) {
      if (err instanceof SerdeError) throw err;
      throw new AvroDecodeError(`value with schema id ${schemaId} does not decode: ${(err as Error).message}`);
    }
  }
}
