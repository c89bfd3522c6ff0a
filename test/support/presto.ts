/**
 * Real Presto mainnet data (test/fixtures/tempo-chain/presto-1514-1515.hyperbridge.json, see the
 * README there for its source): the boundary block of epoch 1514 and a block of epoch 1515, each
 * with its finalization certificate, in the JSON shapes a Tempo node serves.
 */
import { readFileSync } from 'node:fs';
import { decodeFinalization } from '../../src/tempo/finalization.ts';
import { encodeTempoHeader, type TempoHeader, tempoHeaderFromJson } from '../../src/tempo/header.ts';
import { hexToBytes } from '../../src/tempo/hex.ts';

export const PRESTO_FIXTURE = new URL('../fixtures/tempo-chain/presto-1514-1515.hyperbridge.json', import.meta.url);
export const PRESTO_EPOCH_LENGTH = 21600n;

export interface PrestoBlock {
  name: 'boundary' | 'regular';
  height: bigint;
  epoch: bigint;
  /** Certificate hex as the node sends it (no 0x). */
  certificateHex: string;
  certificate: Uint8Array;
  /** The header JSON as recorded (eth_getBlockByNumber shape, with `hash` and `timestampMillis`). */
  headerJson: Record<string, unknown>;
  header: TempoHeader;
  headerRlp: Uint8Array;
  /** The block hash as recorded. */
  hash: string;
}

const raw = JSON.parse(readFileSync(PRESTO_FIXTURE, 'utf8')) as Record<string, { finalization: string; block: Record<string, unknown> }> & { mainnet_identity: string };

function block(name: 'boundary' | 'regular'): PrestoBlock {
  const { finalization, block } = raw[name]!;
  const header = tempoHeaderFromJson(block);
  const height = header.inner.number;
  return {
    name,
    height,
    epoch: height / PRESTO_EPOCH_LENGTH,
    certificateHex: finalization,
    certificate: hexToBytes(finalization),
    headerJson: block,
    header,
    headerRlp: encodeTempoHeader(header),
    hash: block.hash as string,
  };
}

/** Boundary block 32,723,999 (epoch 1514; carries the outcome for 1515). */
export const PRESTO_BOUNDARY = block('boundary');
/** Block 32,724,390 (epoch 1515, view 391). */
export const PRESTO_REGULAR = block('regular');
/** The identity the fixture's author verified with (the published mainnet identity). */
export const PRESTO_FIXTURE_IDENTITY = raw.mainnet_identity;

/** The block as a `consensus_event` / `consensus_getFinalization` CertifiedBlock JSON (tempo's shape). */
export function prestoCertifiedJson(b: PrestoBlock): Record<string, unknown> {
  const view = Number(decodeFinalization(b.certificate).proposal.view);
  return { epoch: Number(b.epoch), view, digest: b.hash, certificate: b.certificateHex, block: { header: b.headerJson, body: { transactions: [], ommers: [], withdrawals: [] } } };
}
