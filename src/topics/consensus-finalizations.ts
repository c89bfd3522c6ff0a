/**
 * `consensus.finalizations`: unverified finalization certificates with their block headers, as the
 * ingest and the simulator produce them and the follower consumes them. Key: the epoch of the
 * block ({@link epochKey}, 8 bytes BE). Value: Avro `schemas/finalization.avsc`; the header is
 * either RLP or the RPC's JSON.
 */
import { asBuffer } from '../codec/bytes.ts';
import { avroLong } from './avro-fields.ts';

export interface FinalizationRecord {
  height: bigint;
  certificate: Uint8Array;
  header: { rlp: Uint8Array } | { json: string };
  source: string;
  receivedAtMs: number;
}

const NS = 'xyz.dkgstream.consensus';

type AvroFinalization = {
  height: number;
  certificate: Buffer;
  header: Record<string, { rlp?: Buffer; json?: string }>;
  source: string;
  receivedAtMs: number;
};

export function finalizationToAvro(r: FinalizationRecord): unknown {
  const header = 'rlp' in r.header ? { [`${NS}.HeaderRlp`]: { rlp: asBuffer(r.header.rlp) } } : { [`${NS}.HeaderJson`]: { json: r.header.json } };
  return { height: avroLong(r.height, 'height'), certificate: asBuffer(r.certificate), header, source: r.source, receivedAtMs: r.receivedAtMs };
}

/** The value as the registry serde decoded it (the schema already checked its shape). */
export function finalizationFromAvro(value: unknown): FinalizationRecord {
  const v = value as AvroFinalization;
  const [branch, h] = Object.entries(v.header)[0]!;
  return {
    height: BigInt(v.height),
    certificate: v.certificate,
    header: branch.endsWith('HeaderRlp') ? { rlp: h.rlp! } : { json: h.json! },
    source: v.source,
    receivedAtMs: v.receivedAtMs,
  };
}
