/**
 * `dkg-stream inspect <outcome|finalization|header>`: decode Tempo artefacts for operators.
 * JSON on stdout; exit 1 with a one-line reason on stderr when the input does not decode.
 */
import { readFileSync } from 'node:fs';
import { type Command, UsageError, parseArgs } from '../command.ts';
import { FixedEpocher, InvalidEpochLength } from '../../tempo/epocher.ts';
import { decodeFinalization } from '../../tempo/finalization.ts';
import { tempoHeaderFromJson, tempoHeaderHash } from '../../tempo/header.ts';
import { bytesTo0x, bytesToHex, hexToBytes } from '../../tempo/hex.ts';
import { classifyExtraData, decodeOnchainDkgOutcome, outcomeCoefficients, outcomeIdentity } from '../../tempo/outcome.ts';
import { jsonNumber } from '../../tempo/json.ts';

const usage = `Usage: dkg-stream inspect <what> <input> [options]

  outcome <hex>                     decode an OnchainDkgOutcome (a boundary block's extraData)
      -> {"epoch", "summary", "sharing": {"mode", "total", "coefficients"}, "identity",
          "dealers", "players", "revealed", "nextPlayers", "isNextFullDkg"}
  finalization <hex>                decode a Finalization certificate (not verified; see
                                    \`dkg-stream verify finalization\`)
      -> {"epoch", "view", "parent", "payload", "voteSignature", "seedSignature"}
  header <file.json> --epoch-length L
                                    a block header in the consensus RPC JSON shape (the object
                                    itself, or {"header": ...}, or {"block": {"header": ...}};
                                    "-" reads stdin); its hash is recomputed (keccak of the RLP)
      -> {"hash", "number", "epoch", "isBoundary", "extraDataKind": "outcome"|"dealerLog"|"empty"}

Hex input may carry a 0x prefix. Output: integers as JSON numbers (decimal strings beyond 2^53),
byte strings as lower-case hex without 0x, block hashes/digests 0x-prefixed.
Tempo mainnet and testnet use --epoch-length 21600.`;

/** Bad hex is bad input (exit 1, one line on stderr), not a usage error. */
export function hexArg(value: string | undefined, what: string): Uint8Array {
  if (value === undefined) throw new UsageError(`missing <${what}>`);
  return hexToBytes(value.trim(), what);
}

function out(value: unknown): number {
  process.stdout.write(JSON.stringify(value) + '\n');
  return 0;
}

function inspectOutcome(bytes: Uint8Array): number {
  const o = decodeOnchainDkgOutcome(bytes);
  return out({
    epoch: jsonNumber(o.epoch),
    summary: bytesToHex(o.output.summary),
    sharing: {
      mode: o.output.sharing.mode,
      total: o.output.sharing.total,
      coefficients: outcomeCoefficients(o).map(bytesToHex),
    },
    identity: bytesToHex(outcomeIdentity(o)),
    dealers: o.output.dealers.map(bytesToHex),
    players: o.output.players.map(bytesToHex),
    revealed: o.output.revealed.map(bytesToHex),
    nextPlayers: o.nextPlayers.map(bytesToHex),
    isNextFullDkg: o.isNextFullDkg,
  });
}

function inspectFinalization(bytes: Uint8Array): number {
  const f = decodeFinalization(bytes);
  return out({
    epoch: jsonNumber(f.proposal.epoch),
    view: jsonNumber(f.proposal.view),
    parent: jsonNumber(f.proposal.parent),
    payload: bytesTo0x(f.proposal.payload),
    voteSignature: bytesToHex(f.voteSignature),
    seedSignature: bytesToHex(f.seedSignature),
  });
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not JSON: ${(err as Error).message}`);
  }
}

/** Accepts the header object, `{header}` (a block) or `{block: {header}}` (a certified block). */
function unwrapHeader(json: unknown): unknown {
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if ('parentHash' in o) return o;
    if (o.block !== null && typeof o.block === 'object' && 'header' in (o.block as object)) return (o.block as Record<string, unknown>).header;
    if (o.header !== null && typeof o.header === 'object') return o.header;
  }
  return json;
}

function inspectHeader(path: string, epochLength: string | undefined): number {
  if (epochLength === undefined) throw new UsageError('header needs --epoch-length L');
  if (!/^[0-9]+$/.test(epochLength)) throw new UsageError(`--epoch-length must be a positive integer, got '${epochLength}'`);
  let epocher: FixedEpocher;
  try {
    epocher = new FixedEpocher(BigInt(epochLength));
  } catch (err) {
    if (err instanceof InvalidEpochLength) throw new UsageError(err.message);
    throw err;
  }
  const header = tempoHeaderFromJson(unwrapHeader(readJson(path)));
  const number = header.inner.number;
  const info = epocher.containing(number);
  if (info === undefined) throw new Error(`block number ${number} is outside the u64 epoch schedule`);
  const isBoundary = info.last === number;
  return out({
    hash: bytesTo0x(tempoHeaderHash(header)),
    number: jsonNumber(number),
    epoch: jsonNumber(info.epoch),
    isBoundary,
    extraDataKind: classifyExtraData(header.inner.extraData, { isBoundary, isGenesis: number === 0n }),
  });
}

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['epoch-length'] });
    const [what, input, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (what !== 'header' && flags['epoch-length'] !== undefined) throw new UsageError('--epoch-length only applies to `inspect header`');
    switch (what) {
      case 'outcome':
        return inspectOutcome(hexArg(input, 'hex'));
      case 'finalization':
        return inspectFinalization(hexArg(input, 'certificate hex'));
      case 'header':
        if (input === undefined) throw new UsageError('missing <file.json>');
        return inspectHeader(input, flags['epoch-length'] as string | undefined);
      case undefined:
        throw new UsageError('missing <what>: outcome, finalization or header');
      default:
        throw new UsageError(`unknown <what> '${what}': expected outcome, finalization or header`);
    }
  },
};
export default command;
