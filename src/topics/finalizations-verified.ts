/**
 * `finalizations.verified`: the finalizations whose certificate and digest the follower verified,
 * at most one per height. Key: the epoch ({@link epochKey}, 8 bytes BE). Value: Avro
 * `schemas/verified-finalization.avsc`.
 */
import { asBuffer } from '../codec/bytes.ts';
import { avroLong } from './avro-fields.ts';

export interface VerifiedRecord {
  epoch: bigint;
  view: bigint;
  height: bigint;
  blockHash: Uint8Array;
  certificate: Uint8Array;
  headerRlp: Uint8Array;
  identity: Uint8Array;
  isBoundary: boolean;
}

export function verifiedToAvro(r: VerifiedRecord): unknown {
  return {
    epoch: avroLong(r.epoch, 'epoch'),
    view: avroLong(r.view, 'view'),
    height: avroLong(r.height, 'height'),
    blockHash: asBuffer(r.blockHash),
    certificate: asBuffer(r.certificate),
    headerRlp: asBuffer(r.headerRlp),
    identity: asBuffer(r.identity),
    isBoundary: r.isBoundary,
  };
}

/** The value as the registry serde decoded it (the schema already checked its shape). */
export function verifiedFromAvro(value: unknown): VerifiedRecord {
  const v = value as Record<string, unknown>;
  return {
    epoch: BigInt(v.epoch as number),
    view: BigInt(v.view as number),
    height: BigInt(v.height as number),
    blockHash: v.blockHash as Buffer,
    certificate: v.certificate as Buffer,
    headerRlp: v.headerRlp as Buffer,
    identity: v.identity as Buffer,
    isBoundary: v.isBoundary as boolean,
  };
}
