/**
 * The operator checks of a header (and of a certificate for it), as tempo applies them to a
 * finalized block (tempo d656ef55, `finalization_verifier::decode_and_verify` and the readers of
 * a boundary's outcome; docs/tempo-acceptance.md lists each rule with its upstream file):
 *
 * - `hash`: a hash the input claims (a JSON `hash` field) equals keccak(rlp(header));
 * - `consensusContext`: the context's epoch (headers from T4 on) is the epoch of the height,
 *   floor(number / L) (validators require `context.epoch == round.epoch` and the round's epoch
 *   contains the height; the *view* is not compared: a re-proposed boundary is finalized later);
 * - `outcome`: at a boundary (number = last(E)) the extraData reads as an `OnchainDkgOutcome`
 *   the way tempo reads it (trailing bytes tolerated and reported) and its epoch is E + 1; at the
 *   genesis an outcome of epoch 0 (or empty extraData);
 * - with a certificate: `certificate` (decodes strictly, both signatures verify under the
 *   identity), `payload` (proposal payload == header hash), `epoch` (proposal epoch == floor(number / L)).
 *
 * Every check is a value, never an exception: the caller prints them all and fails when one fails.
 */
import type { FixedEpocher } from './epocher.ts';
import { decodeFinalization, FinalizationDecodeError } from './finalization.ts';
import { type TempoHeader, tempoHeaderHash } from './header.ts';
import { bytesEqual, bytesTo0x, bytesToHex } from './hex.ts';
import { jsonNumber } from './json.ts';
import { OutcomeDecodeError, outcomeIdentity, readBoundaryOutcome } from './outcome.ts';
import { verifyFinalization } from './verify.ts';

export interface Check {
  check: 'hash' | 'consensusContext' | 'outcome' | 'certificate' | 'payload' | 'epoch';
  ok: boolean;
  /** What was compared (on success) or why it failed; one line. */
  detail: string;
}

export interface HeaderFacts {
  hash: string;
  number: number | string;
  epoch: number | string;
  isBoundary: boolean;
  extraDataKind: 'outcome' | 'dealerLog' | 'empty' | 'invalid';
  consensusContext?: { epoch: number | string; view: number | string; parentView: number | string; proposer: string };
  outcome?: { epoch: number | string; identity: string; isNextFullDkg: boolean; players: number; trailingBytes: number };
}

/** The header's facts and its checks. `claimedHash` is a hash the input carried, if any. */
export function checkHeader(header: TempoHeader, epocher: FixedEpocher, claimedHash?: Uint8Array): { facts: HeaderFacts; checks: Check[] } {
  const hash = tempoHeaderHash(header);
  const number = header.inner.number;
  const info = epocher.containing(number)!;
  const isBoundary = info.last === number;
  const isGenesis = number === 0n;
  const extra = header.inner.extraData;
  const facts: HeaderFacts = {
    hash: bytesTo0x(hash),
    number: jsonNumber(number),
    epoch: jsonNumber(info.epoch),
    isBoundary,
    extraDataKind: extra.length === 0 ? 'empty' : isBoundary || isGenesis ? 'outcome' : 'dealerLog',
  };
  const checks: Check[] = [];
  if (claimedHash !== undefined) {
    const ok = bytesEqual(claimedHash, hash);
    checks.push({ check: 'hash', ok, detail: ok ? `the claimed hash is keccak(rlp(header))` : `the claimed hash ${bytesTo0x(claimedHash)} is not keccak(rlp(header)) ${bytesTo0x(hash)}` });
  }
  const c = header.consensusContext;
  if (c !== undefined) {
    facts.consensusContext = { epoch: jsonNumber(c.epoch), view: jsonNumber(c.view), parentView: jsonNumber(c.parentView), proposer: bytesTo0x(c.proposer) };
    const ok = c.epoch === info.epoch;
    checks.push({
      check: 'consensusContext',
      ok,
      detail: ok ? `context epoch ${c.epoch} = floor(${number} / ${epocher.length})` : `context epoch ${c.epoch} but block ${number} is in epoch ${info.epoch} (L = ${epocher.length})`,
    });
  }
  if (isBoundary || (isGenesis && extra.length > 0)) {
    const expected = isGenesis && !isBoundary ? 0n : info.epoch + 1n;
    const where = isGenesis && !isBoundary ? 'genesis block' : `boundary block ${number} of epoch ${info.epoch}`;
    try {
      const { outcome, trailingBytes } = readBoundaryOutcome(extra);
      facts.outcome = { epoch: jsonNumber(outcome.epoch), identity: bytesToHex(outcomeIdentity(outcome)), isNextFullDkg: outcome.isNextFullDkg, players: outcome.output.players.length, trailingBytes };
      const ok = outcome.epoch === expected;
      const trailing = trailingBytes > 0 ? ` (${trailingBytes} trailing byte(s) after it, tolerated as tempo reads outcomes)` : '';
      checks.push({
        check: 'outcome',
        ok,
        detail: ok ? `${where} carries the outcome of epoch ${expected}${trailing}` : `${where} carries the outcome of epoch ${outcome.epoch}, expected ${expected}`,
      });
    } catch (err) {
      if (!(err instanceof OutcomeDecodeError)) throw err;
      facts.extraDataKind = 'invalid';
      const what = extra.length === 0 ? 'empty extraData' : `extraData (${extra.length} B) is ${err.message}`;
      checks.push({ check: 'outcome', ok: false, detail: `${where} must carry a DKG outcome: ${what}` });
    }
  }
  return { facts, checks };
}

/** The checks that a certificate finalizes `header` under `identity` (plus the header's own checks). */
export function checkCertifiedHeader(
  certificate: Uint8Array | string,
  header: TempoHeader,
  epocher: FixedEpocher,
  identity: Uint8Array,
  claimedHash?: Uint8Array,
): { facts: HeaderFacts & { view?: number | string }; checks: Check[] } {
  const { facts, checks } = checkHeader(header, epocher, claimedHash);
  const out: Check[] = [];
  let fin;
  try {
    fin = decodeFinalization(certificate);
  } catch (err) {
    if (!(err instanceof FinalizationDecodeError)) throw err;
    out.push({ check: 'certificate', ok: false, detail: `malformed certificate: ${err.message}` });
    return { facts, checks: [...out, ...checks] };
  }
  const res = verifyFinalization(fin, identity);
  out.push({ check: 'certificate', ok: res.valid, detail: res.valid ? `both signatures verify under identity ${bytesToHex(identity).slice(0, 16)}…` : res.reason });
  const hash = tempoHeaderHash(header);
  const payloadOk = bytesEqual(fin.proposal.payload, hash);
  out.push({
    check: 'payload',
    ok: payloadOk,
    detail: payloadOk ? 'proposal payload = keccak(rlp(header))' : `proposal payload ${bytesTo0x(fin.proposal.payload)} is not the header hash ${bytesTo0x(hash)}`,
  });
  const epoch = epocher.containing(header.inner.number)!.epoch;
  const epochOk = fin.proposal.epoch === epoch;
  out.push({
    check: 'epoch',
    ok: epochOk,
    detail: epochOk
      ? `certificate epoch ${epoch} = floor(${header.inner.number} / ${epocher.length})`
      : `certificate epoch ${fin.proposal.epoch} but block ${header.inner.number} is in epoch ${epoch} (L = ${epocher.length})`,
  });
  return { facts: { ...facts, view: jsonNumber(fin.proposal.view) }, checks: [...out, ...checks] };
}
