/**
 * The decoder families the fuzzer drives, each with its seeds (valid encodings, from the
 * conformance fixtures in test/fixtures/ or built with the project's own encoders) and the
 * decoder the pipeline runs on untrusted bytes. A family's `run` decodes one input and, where
 * the format is canonical, returns the value's fresh re-encoding, which must equal the input.
 *
 * Families: codec (commonware-codec primitives and containers), bls (G1/G2 points, scalars,
 * shares, ed25519 keys), dkg (DealerPubMsg/PrivMsg, PlayerAck, DealerLog, SignedDealerLog,
 * Output, MinSig and MinPk), certificate (tempo Finalization and its frame), rlp (RLP items,
 * TempoHeader RLP and JSON), outcome (OnchainDkgOutcome), avro (every schema in schemas/,
 * through AvroSerde, Confluent framing included), state (stored journal values and keys).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { compareBytes, decode, type Reader, range, Writer } from '../src/codec/index.ts';
import { decodeScalar, decodeShare, encodeScalar, encodeShare, G1, G2, MinPk, MinSig } from '../src/crypto/bls12381/index.ts';
import { DealerLog, DealerPrivMsg, DealerPubMsg, type DkgVariant, Output, PlayerAck, SignedDealerLog } from '../src/crypto/dkg/index.ts';
import { decodeEd25519PublicKey } from '../src/crypto/ed25519.ts';
import { REPO_ROOT } from '../src/paths.ts';
import { decodeDealing, decodeLog, decodeState, encodeDealing, encodeLog, encodeState } from '../src/processors/dkg-journal/stores.ts';
import { decodeParked, encodeParked } from '../src/processors/follow/stores.ts';
import { AvroChecker } from '../src/runtime/avro-check.ts';
import { AVRO_FIELD_LIMITS } from '../src/runtime/avro-limits.ts';
import { AvroSerde, loadSchemas } from '../src/runtime/schemas.ts';
import { decodeTuple, tuple } from '../src/state/keys.ts';
import { decodeFinalization, decodeFinalizationFrame, encodeFinalization } from '../src/tempo/finalization.ts';
import { decodeTempoHeader, encodeTempoHeader, tempoHeaderFromJson, tempoHeaderToJson } from '../src/tempo/header.ts';
import { decodeOnchainDkgOutcome, encodeOnchainDkgOutcome } from '../src/tempo/outcome.ts';
import { decodeRlp, encodeRlp } from '../src/tempo/rlp.ts';
import type { FuzzRng } from './rng.ts';

/** What a decoder made of one input: accepted (with a re-encoding where canonical). */
export interface Accepted {
  /** The value's fresh encoding; must equal the input byte for byte. Absent: not canonical here. */
  reencoded?: Uint8Array;
}

export interface Family {
  readonly name: string;
  /** Valid encodings to mutate (at least one). */
  readonly seeds: readonly Uint8Array[];
  /** Decodes `input`; throws the decoder's typed error if it rejects it. */
  run(input: Uint8Array, rng: FuzzRng): Accepted | Promise<Accepted>;
}

// ---------------------------------------------------------------------------------------------
// Seeds from the fixtures: every hex string in test/fixtures/**/*.json (deduplicated).

function fixtureHex(): Uint8Array[] {
  const out = new Map<string, Uint8Array>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      const s = v.startsWith('0x') ? v.slice(2) : v;
      if (s.length >= 2 && s.length % 2 === 0 && s.length <= 400_000 && /^[0-9a-fA-F]+$/.test(s) && !out.has(s)) out.set(s, Uint8Array.from(Buffer.from(s, 'hex')));
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) visit(JSON.parse(readFileSync(p, 'utf8')));
    }
  };
  walk(join(REPO_ROOT, 'test', 'fixtures'));
  return [...out.values()];
}

let hexCache: Uint8Array[] | undefined;
const allHex = () => (hexCache ??= fixtureHex());

/** The fixture strings `accept` does not throw on (at most `limit`, shortest first for speed). */
function seedsFrom(accept: (b: Uint8Array) => unknown, limit = 200): Uint8Array[] {
  const ok: Uint8Array[] = [];
  for (const b of allHex()) {
    try {
      accept(b);
      ok.push(b);
    } catch {
      // not this family's format
    }
  }
  return ok.sort((a, b) => a.length - b.length).slice(0, limit);
}

/** Fixture JSON strings (RPC header shapes) for the header JSON decoder. */
function fixtureHeaderJson(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('parentHash' in o && 'number' in o) {
        try {
          tempoHeaderFromJson(o);
          out.push(new TextEncoder().encode(JSON.stringify(o)));
        } catch {
          // a deliberately malformed fixture header
        }
      }
      Object.values(o).forEach(visit);
    }
  };
  for (const name of readdirSync(join(REPO_ROOT, 'test', 'fixtures', 'tempo-chain'))) {
    if (name.endsWith('.json')) visit(JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'tempo-chain', name), 'utf8')));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** A composite exercising every Reader primitive and container, with its exact Writer mirror. */
interface CodecValue {
  a: number;
  b: bigint;
  c: boolean;
  d: Uint8Array | null;
  e: number[];
  f: Uint8Array[];
  g: Array<[number, bigint]>;
  h: bigint;
  i: number;
}
const cmpNum = (x: number, y: number) => x - y;
function readCodec(r: Reader): CodecValue {
  return {
    a: r.varU32(),
    b: r.varU64(),
    c: r.bool(),
    d: r.option((r) => r.varBytes(range(0, 64))),
    e: r.vec(range(0, 16), (r) => r.varU16()),
    f: r.set(range(0, 8), (r) => r.bytes(4), compareBytes),
    g: r.btreeMap(
      range(0, 8),
      (r) => r.u8(),
      (r) => r.varI64(),
      cmpNum,
    ),
    h: r.varU128(),
    i: r.varI32(),
  };
}
function writeCodec(w: Writer, v: CodecValue): void {
  w.varU32(v.a)
    .varU64(v.b)
    .bool(v.c)
    .option(v.d, (w, d) => w.varBytes(d));
  w.vec(v.e, (w, x) => w.varU16(x));
  w.vec(v.f, (w, x) => w.bytes(x));
  w.btreeMap(
    v.g,
    (w, k) => w.u8(k),
    (w, x) => w.varI64(x),
  );
  w.varU128(v.h).varI32(v.i);
}
function randomCodec(rng: FuzzRng): CodecValue {
  const n = rng.int(5);
  const set = [...new Set(Array.from({ length: n }, () => rng.u32()))].sort((a, b) => a - b).map((x) => Uint8Array.of(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255));
  const keys = [...new Set(Array.from({ length: rng.int(5) }, () => rng.int(256)))].sort((a, b) => a - b);
  return {
    a: rng.u32(),
    b: (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()),
    c: rng.chance(0.5),
    d: rng.chance(0.5) ? rng.bytes(rng.int(20)) : null,
    e: Array.from({ length: rng.int(6) }, () => rng.int(65536)),
    f: set,
    g: keys.map((k) => [k, BigInt(rng.u32()) - 0x8000_0000n]),
    h: (BigInt(rng.u32()) << 96n) | BigInt(rng.u32()),
    i: (rng.u32() | 0) >> rng.int(31),
  };
}
const encodeWith = <T>(v: T, write: (w: Writer, v: T) => void): Uint8Array => {
  const w = new Writer(64);
  write(w, v);
  return w.finish();
};

function codecFamily(seedRng: FuzzRng): Family {
  const seeds = Array.from({ length: 64 }, () => encodeWith(randomCodec(seedRng), writeCodec));
  return {
    name: 'codec',
    seeds,
    run: (input) => ({ reencoded: encodeWith(decode(input, readCodec), writeCodec) }),
  };
}

function blsFamily(): Family {
  const kinds: Array<[string, (b: Uint8Array) => Uint8Array]> = [
    ['G1', (b) => G1.encode(G1.decode(b))],
    ['G2', (b) => G2.encode(G2.decode(b))],
    ['scalar', (b) => encodeScalar(decodeScalar(b))],
    ['share', (b) => encodeShare(decodeShare(b))],
    ['ed25519', (b) => decodeEd25519PublicKey(b).slice()],
  ];
  const perKind = kinds.map(([, f]) => seedsFrom(f, 40));
  return {
    name: 'bls',
    seeds: [...new Set(perKind.flat())],
    run: (input, rng) => {
      // Decode under the kind whose size matches, else a random one (also exercises size checks).
      const bySize = input.length === 48 ? 0 : input.length === 96 ? 1 : input.length === 32 ? rng.pick([2, 4]) : rng.int(kinds.length);
      const [, f] = kinds[rng.chance(0.9) ? bySize : rng.int(kinds.length)]!;
      return { reencoded: f(input) };
    },
  };
}

/** DKG message decoders; `max` small enough that a hostile count costs little, as in production. */
function dkgFamily(): Family {
  const MAX = 64;
  const variants = [MinSig, MinPk] as unknown as DkgVariant<unknown>[];
  const kinds: Array<(b: Uint8Array, v: DkgVariant<unknown>) => Uint8Array> = [
    (b, v) => DealerPubMsg.decode(b, v, MAX).commitment.encode(),
    (b) => DealerPrivMsg.decode(b).encode(),
    (b) => PlayerAck.decode(b).encode(),
    (b, v) => {
      const log = DealerLog.decode(b, v, MAX);
      return new DealerLog(new DealerPubMsg(log.pubMsg.commitment), log.results).encode();
    },
    (b, v) => {
      const s = SignedDealerLog.decode(b, v, MAX);
      return new SignedDealerLog(s.dealer, new DealerLog(new DealerPubMsg(s.log.pubMsg.commitment), s.log.results), s.sig).encode();
    },
    (b, v) => {
      const o = Output.decode(b, v, MAX);
      return new Output(o.summary, o.public, o.dealers, o.players, o.revealed).encode();
    },
  ];
  const seeds: Uint8Array[] = [];
  const seedKind = new Map<Uint8Array, number>();
  for (const [k, f] of kinds.entries()) {
    if (k === 1 || k === 2) continue; // 32/64-byte strings: plenty elsewhere, and they match everything
    for (const v of variants) {
      for (const s of seedsFrom((b) => f(b, v), 25)) {
        if (!seedKind.has(s)) {
          seeds.push(s);
          seedKind.set(s, k);
        }
      }
    }
  }
  return {
    name: 'dkg',
    seeds,
    run: (input, rng) => {
      const k = rng.int(kinds.length);
      return { reencoded: kinds[k]!(input, rng.pick(variants)) };
    },
  };
}

function certificateFamily(): Family {
  const seeds = seedsFrom((b) => decodeFinalization(b));
  return {
    name: 'certificate',
    seeds,
    run: (input, rng) => {
      if (rng.chance(0.1)) {
        decodeFinalizationFrame(input);
        return {};
      }
      return { reencoded: encodeFinalization(decodeFinalization(input)) };
    },
  };
}

function rlpFamily(): Family {
  const headers = seedsFrom((b) => decodeTempoHeader(b), 50);
  const items = seedsFrom((b) => decodeRlp(b), 50);
  const json = fixtureHeaderJson();
  const jsonSet = new Set(json);
  return {
    name: 'rlp',
    seeds: [...headers, ...items, ...json],
    run: (input, rng) => {
      const mode = jsonSet.has(input) || (input[0] === 0x7b && rng.chance(0.9)) ? 2 : rng.int(2);
      if (mode === 0) return { reencoded: encodeRlp(decodeRlp(input)) };
      if (mode === 1) return { reencoded: encodeTempoHeader(decodeTempoHeader(input)) };
      // The follower's HeaderJson path: JSON.parse (SyntaxError = not JSON: its typed rejection) then the strict shape.
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(input));
      } catch (err) {
        if (err instanceof SyntaxError) throw new NotJson(err.message);
        throw err;
      }
      const h = tempoHeaderFromJson(parsed);
      // JSON is not canonical (spacing, key order, hex case); the header's RLP form is: round-trip it.
      const again = tempoHeaderFromJson(JSON.parse(JSON.stringify(tempoHeaderToJson(h))));
      if (compareBytes(encodeTempoHeader(again), encodeTempoHeader(h)) !== 0) throw new Error('header JSON does not round-trip');
      return {};
    },
  };
}

/** Input to the JSON header path that is not JSON at all (JSON.parse's SyntaxError). */
export class NotJson extends Error {
  override name = 'NotJson';
}

function outcomeFamily(): Family {
  return {
    name: 'outcome',
    seeds: seedsFrom((b) => decodeOnchainDkgOutcome(b), 50),
    run: (input) => ({ reencoded: encodeOnchainDkgOutcome(decodeOnchainDkgOutcome(input)) }),
  };
}

/** Every schema in schemas/, with a registry that knows them by id (404 for any other id). */
function avroFamily(seedRng: FuzzRng): Family {
  const schemas = loadSchemas(join(REPO_ROOT, 'schemas'));
  const names = [...schemas.keys()];
  const registry = {
    getSchema: async (id: number) => {
      const s = id >= 1 && id <= names.length ? schemas.get(names[id - 1]!) : undefined;
      if (!s) throw Object.assign(new Error(`schema ${id} not found`), { status: 404 });
      return s.type;
    },
  } as unknown as SchemaRegistry;
  const serde = new AvroSerde(registry, schemas);
  // avsc's random values, kept when they are inside the per-field limits (as real records are).
  avro.Type.forSchema('int'); // (ensure avsc is initialised before random())
  const seeds: Uint8Array[] = [];
  for (const [i, name] of names.entries()) {
    const type = schemas.get(name)!.type;
    const checker = new AvroChecker(type, AVRO_FIELD_LIMITS);
    let kept = 0;
    for (let k = 0; k < 400 && kept < 20; k++) {
      const body = type.toBuffer(randomAvro(type, seedRng));
      try {
        checker.run(body);
      } catch {
        continue;
      }
      const out = Buffer.alloc(5 + body.length);
      out.writeInt32BE(i + 1, 1);
      body.copy(out, 5);
      seeds.push(out);
      kept++;
    }
  }
  return {
    name: 'avro',
    seeds,
    run: async (input, rng) => {
      const id = input.length >= 5 ? Buffer.from(input.buffer, input.byteOffset, input.length).readInt32BE(1) : 0;
      const name = names[id - 1];
      if (name !== undefined && rng.chance(0.3)) {
        await serde.decode(input, name); // the reader-schema (resolving) path the processors use
        return {};
      }
      const { value } = await serde.decode(input);
      const type = schemas.get(name!)!.type;
      const body = input.subarray(5);
      // Block framing is not canonical in Avro: compare bytes only when the input used avsc's.
      const { singleBlock } = new AvroChecker(type, AVRO_FIELD_LIMITS).run(body);
      const again = type.toBuffer(value);
      if (!singleBlock) {
        if (type.compare(type.fromBuffer(again), value) !== 0) throw new Error('re-encoded Avro value differs');
        return {};
      }
      return { reencoded: Buffer.concat([input.subarray(0, 5), again]) };
    },
  };
}

/** A random value of `type` that is mostly in bounds: short bytes/strings, small arrays. */
function randomAvro(type: avro.Type, rng: FuzzRng): unknown {
  const t = type as avro.Type & Record<string, any>;
  switch (t.typeName) {
    case 'null':
      return null;
    case 'boolean':
      return rng.chance(0.5);
    case 'int':
      return (rng.u32() | 0) >> rng.int(31);
    case 'long':
      return rng.chance(0.5) ? rng.int(1000) : rng.u32() * rng.int(1 << 20);
    case 'float':
    case 'double':
      return rng.u32() / 7;
    case 'bytes':
      return Buffer.from(rng.bytes(rng.pick([0, 32, 32, 64, 96, rng.int(200)])));
    case 'string':
      return rng.pick(['', 'participant', 'follower:12', 'bootstrap', 'k1', 'é ✓ 𝄞', 'x'.repeat(rng.int(100))]);
    case 'fixed':
      return Buffer.from(rng.bytes(t.size));
    case 'enum':
      return rng.pick(t.symbols as string[]);
    case 'array':
      return Array.from({ length: rng.int(5) }, () => randomAvro(t.itemsType, rng));
    case 'map':
      return Object.fromEntries(Array.from({ length: rng.int(4) }, (_, i) => [`k${i}`, randomAvro(t.valuesType, rng)]));
    case 'union:unwrapped': {
      const b = rng.pick(t.types as avro.Type[]);
      return randomAvro(b, rng);
    }
    case 'union:wrapped': {
      const b = rng.pick(t.types as avro.Type[]) as avro.Type & { branchName?: string };
      const v = randomAvro(b, rng);
      return b.typeName === 'null' ? null : { [b.branchName ?? (b as any).name]: v };
    }
    case 'record':
      return Object.fromEntries((t.fields as Array<{ name: string; type: avro.Type }>).map((f) => [f.name, randomAvro(f.type, rng)]));
    default:
      return t.random();
  }
}

/** Stored journal values (records.ts), store keys (keys.ts tuples) and the follower's parked records. */
function stateFamily(seedRng: FuzzRng): Family {
  const sealed = () => ({ keyId: seedRng.pick(['k1', 'abcdef0123456789', '']), nonce: Buffer.from(seedRng.bytes(12)), ciphertext: Buffer.from(seedRng.bytes(seedRng.pick([48, 64, 80]))) });
  const seeds: Uint8Array[] = [];
  const kind = new Map<Uint8Array, number>();
  const add = (k: number, b: Uint8Array) => {
    seeds.push(b);
    kind.set(b, k);
  };
  for (let i = 0; i < 20; i++) {
    add(0, encodeDealing({ pubMsg: Buffer.from(seedRng.bytes(1 + 96 * seedRng.int(4))), privMsg: sealed() }));
    add(1, encodeLog({ log: Buffer.from(seedRng.bytes(seedRng.int(300))), source: seedRng.pick(['participant', 'follower:77']) }));
    add(
      2,
      encodeState({
        round: BigInt(seedRng.int(100)),
        rngSeed: sealed(),
        output: seedRng.chance(0.5) ? Buffer.from(seedRng.bytes(seedRng.int(300))) : null,
        share: seedRng.chance(0.5) ? sealed() : null,
      }),
    );
    add(3, tuple(Buffer.from(seedRng.bytes(32)), BigInt(seedRng.int(1000)), seedRng.pick(['dealing', 'ack', 'log']), Buffer.from(seedRng.bytes(32))));
    add(
      4,
      encodeParked({
        topic: 'consensus.finalizations',
        partition: seedRng.int(8),
        offset: seedRng.int(1e6),
        key: Buffer.from(seedRng.bytes(8)),
        value: Buffer.from(seedRng.bytes(seedRng.int(200))),
        timestamp: 1_700_000_000_000 + seedRng.int(1e6),
        headers: {},
      }),
    );
  }
  const decoders: Array<(b: Uint8Array) => Uint8Array> = [
    (b) => encodeDealing(decodeDealing(b)),
    (b) => encodeLog(decodeLog(b)),
    (b) => encodeState(decodeState(b)),
    (b) => tuple(...decodeTuple(Buffer.from(b))),
    (b) => {
      decodeParked(Buffer.from(b)); // the follower's parked records: JSON, not canonical
      return b;
    },
  ];
  return {
    name: 'state',
    seeds,
    run: (input, rng) => ({ reencoded: decoders[rng.chance(0.8) && kind.has(input) ? kind.get(input)! : rng.int(decoders.length)]!(input) }),
  };
}

export const FAMILY_NAMES = ['codec', 'bls', 'dkg', 'certificate', 'rlp', 'outcome', 'avro', 'state'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/** Builds one family (seeds are derived deterministically from `seedRng`). */
export function buildFamily(name: FamilyName, seedRng: FuzzRng): Family {
  switch (name) {
    case 'codec':
      return codecFamily(seedRng);
    case 'bls':
      return blsFamily();
    case 'dkg':
      return dkgFamily();
    case 'certificate':
      return certificateFamily();
    case 'rlp':
      return rlpFamily();
    case 'outcome':
      return outcomeFamily();
    case 'avro':
      return avroFamily(seedRng);
    case 'state':
      return stateFamily(seedRng);
  }
}
