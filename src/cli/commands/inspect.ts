/**
 * `dkg-stream inspect <outcome|finalization|header|block>`: decode Tempo artefacts for operators.
 * JSON on stdout; exit 1 with a one-line reason on stderr when the input does not decode.
 */

import { showValue } from '../../show.ts';
import { type Check, checkHeader } from '../../tempo/checks.ts';
import { FixedEpocher, InvalidEpochLength } from '../../tempo/epocher.ts';
import { decodeFinalization } from '../../tempo/finalization.ts';
import { bytesTo0x, bytesToHex, hexToBytes } from '../../tempo/hex.ts';
import { jsonNumber } from '../../tempo/json.ts';
import { outcomeCoefficients, outcomeIdentity, readBoundaryOutcome } from '../../tempo/outcome.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { readHeaderInput } from '../tempo-input.ts';

const usage = `Usage: dkg-stream inspect <what> <input> [options]

  outcome <hex>                     decode an OnchainDkgOutcome (a boundary block's extraData),
                                    read as tempo reads it: bytes after it are tolerated and counted
      -> {"epoch", "summary", "sharing": {"mode", "total", "coefficients"}, "identity",
          "dealers", "players", "revealed", "nextPlayers", "isNextFullDkg", "trailingBytes"}
  finalization <hex>                decode a Finalization certificate (not verified; see
                                    \`dkg-stream verify finalization\`)
      -> {"epoch", "view", "parent", "payload", "voteSignature", "seedSignature"}
  header <input> --epoch-length L  a block header; <input> is a file, "-" (stdin) or inline hex,
                                    holding JSON (the header object in the consensus RPC or
                                    eth_getBlockByNumber shape, {"header": ...}, {"block":
                                    {"header": ...}}, or a JSON-RPC response) or raw RLP hex of a
                                    header or of a whole block (debug_getRawBlock); auto-detected.
                                    Its hash is recomputed (keccak of the RLP), then checked:
                                    a "hash" given with it must match; a consensus context's epoch
                                    must be floor(number / L); a boundary block (number = last(E))
                                    must carry the DKG outcome of epoch E + 1 (read as tempo reads
                                    it: bytes after it are tolerated and counted). Exit 1 with the
                                    failed checks on stderr otherwise.
      -> {"hash", "number", "epoch", "isBoundary", "extraDataKind": "outcome"|"dealerLog"|"empty",
          "consensusContext"?, "outcome"?: {"epoch", "identity", "isNextFullDkg", "players", "trailingBytes"}}
  block <input> --epoch-length L    a whole block, JSON or RLP hex as above; the same checks on its
                                    header, plus the body counts
      -> {...header fields, "format": "json"|"rlp-block", "transactions", "ommers", "withdrawals"}

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

/** Read as tempo reads a block's extraData: bytes after the outcome are tolerated and counted. */
function inspectOutcome(bytes: Uint8Array): number {
  const { outcome: o, trailingBytes } = readBoundaryOutcome(bytes);
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
    trailingBytes,
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

/** `--epoch-length L` as an epocher (usage error when missing or not a positive integer). */
export function epochLengthFlag(value: string | undefined, what: string): FixedEpocher {
  if (value === undefined) throw new UsageError(`${what} needs --epoch-length L`);
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--epoch-length must be a positive integer, got ${showValue(value, 40)}`);
  try {
    return new FixedEpocher(BigInt(value));
  } catch (err) {
    if (err instanceof InvalidEpochLength) throw new UsageError(err.message);
    throw err;
  }
}

/** Fails (exit 1, one line) naming every check that does not hold. */
export function failedChecks(checks: readonly Check[]): string | undefined {
  const bad = checks.filter((c) => !c.ok);
  return bad.length === 0 ? undefined : bad.map((c) => `${c.check}: ${c.detail}`).join('; ');
}

function inspectHeader(input: string, epochLength: string | undefined, what: 'header' | 'block'): number {
  const epocher = epochLengthFlag(epochLength, what);
  const read = readHeaderInput(input);
  if (what === 'block' && read.body === undefined) {
    throw new Error(`${showValue(input)} is a header, not a block (a block is RLP [header, transactions, ommers, withdrawals?] or JSON with a transactions array); use \`inspect header\``);
  }
  if (epocher.containing(read.header.inner.number) === undefined) throw new Error(`block number ${read.header.inner.number} is outside the u64 epoch schedule`);
  const { facts, checks } = checkHeader(read.header, epocher, read.claimedHash);
  const failed = failedChecks(checks);
  if (failed !== undefined) throw new Error(`${what} check failed: ${failed}`);
  return out(what === 'block' ? { ...facts, format: read.format, ...read.body } : facts);
}

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['epoch-length'] });
    const [what, input, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument ${showValue(extra[0])}`);
    if (what !== 'header' && what !== 'block' && flags['epoch-length'] !== undefined) throw new UsageError('--epoch-length only applies to `inspect header` and `inspect block`');
    switch (what) {
      case 'outcome':
        return inspectOutcome(hexArg(input, 'hex'));
      case 'finalization':
        return inspectFinalization(hexArg(input, 'certificate hex'));
      case 'header':
      case 'block':
        if (input === undefined) throw new UsageError(`missing <${what}>: a file, - (stdin) or hex`);
        return inspectHeader(input, flags['epoch-length'] as string | undefined, what);
      case undefined:
        throw new UsageError('missing <what>: outcome, finalization, header or block');
      default:
        throw new UsageError(`unknown <what> ${showValue(what, 40)}: expected outcome, finalization, header or block`);
    }
  },
};
export default command;
