/**
 * Checks 1–3 of a finalization (processor.ts): the certificate and the header decode, the
 * certificate's payload is the header's digest, and its epoch is the height's epoch and the
 * record's key. Pure: reads no store and verifies no signature, so its result depends on the
 * record alone and a record failing here is rejected whatever the state.
 */
import { equalBytes, toHex } from '../../codec/bytes.ts';
import type { InRecord } from '../../runtime/processor.ts';
import type { FixedEpocher } from '../../tempo/epocher.ts';
import { decodeFinalization, type Finalization } from '../../tempo/finalization.ts';
import { decodeTempoHeader, encodeTempoHeader, type TempoHeader, tempoHeaderFromJson, tempoHeaderHash } from '../../tempo/header.ts';
import type { FinalizationRecord } from '../../topics/consensus-finalizations.ts';
import { epochKey } from '../../topics/epoch-key.ts';
import { FollowRejection } from './rejection.ts';

/** A finalization that passed checks 1–3, with what the later steps need. */
export interface Checked {
  fin: Finalization;
  header: TempoHeader;
  headerRlp: Uint8Array;
  hash: Uint8Array;
  height: bigint;
  epoch: bigint;
  isBoundary: boolean;
}

export function checkFinalization(r: FinalizationRecord, record: InRecord, epocher: FixedEpocher, epochLength: bigint): Checked {
  let fin: Finalization;
  try {
    fin = decodeFinalization(r.certificate);
  } catch (err) {
    throw new FollowRejection('MalformedCertificate', `certificate does not decode: ${(err as Error).message}`);
  }
  let header: TempoHeader;
  let headerRlp: Uint8Array;
  try {
    if ('rlp' in r.header) {
      header = decodeTempoHeader(r.header.rlp);
      headerRlp = r.header.rlp;
    } else {
      header = tempoHeaderFromJson(JSON.parse(r.header.json));
      headerRlp = encodeTempoHeader(header);
    }
  } catch (err) {
    throw new FollowRejection('MalformedHeader', `header does not decode: ${(err as Error).message}`);
  }
  const height = header.inner.number;
  if (r.height !== height) throw new FollowRejection('MalformedCertificate', `record height ${r.height} but the header is block ${height}`);
  const hash = tempoHeaderHash(header);
  if (!equalBytes(fin.proposal.payload, hash)) {
    throw new FollowRejection('BlockDigestMismatch', `certificate payload ${toHex(fin.proposal.payload)} is not the header digest ${toHex(hash)} (height ${height})`);
  }
  const info = epocher.containing(height);
  if (!info || fin.proposal.epoch !== info.epoch) {
    throw new FollowRejection('EpochMismatch', `certificate epoch ${fin.proposal.epoch} but height ${height} is in epoch ${info?.epoch ?? '?'} (L = ${epochLength})`);
  }
  if (record.key && !record.key.equals(epochKey(info.epoch))) {
    throw new FollowRejection('EpochMismatch', `record key ${record.key.toString('hex')} is not epoch ${info.epoch} of height ${height}`);
  }
  return { fin, header, headerRlp, hash, height, epoch: info.epoch, isBoundary: info.last === height };
}
