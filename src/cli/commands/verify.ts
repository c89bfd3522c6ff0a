/**
 * `dkg-stream verify finalization --identity <hex> <certificate-hex>`: verify a Tempo
 * finalization certificate (both threshold signatures, one batched pairing check) under an
 * epoch's identity. Prints `{"valid", "reason"}`; exit 0 only when valid.
 *
 * `dkg-stream verify block --epoch-length L --identity <hex> <certificate> <header|block>`: every
 * check that a certificate finalizes a given header (tempo's `decode_and_verify` order, plus the
 * header's own checks): prints `{"valid", "height", "hash", "checks": [{check, ok, detail}, …]}`;
 * exit 0 only when all hold.
 */

import { oneLine, showValue } from '../../show.ts';
import { checkCertifiedHeader } from '../../tempo/checks.ts';
import { decodeFinalization, FinalizationDecodeError } from '../../tempo/finalization.ts';
import { InvalidHex } from '../../tempo/hex.ts';
import { MAINNET_NETWORK_IDENTITY, TESTNET_NETWORK_IDENTITY } from '../../tempo/network-identity.ts';
import { InvalidIdentity, type PreparedIdentity, prepareIdentity, verifyFinalization } from '../../tempo/verify.ts';
import { type Command, parseArgs, UsageError } from '../command.ts';
import { readHeaderInput, readInputText } from '../tempo-input.ts';
import { epochLengthFlag, failedChecks, hexArg } from './inspect.ts';

const usage = `Usage: dkg-stream verify finalization --identity <hex|mainnet|testnet> <certificate-hex>
       dkg-stream verify block --epoch-length L --identity <hex|mainnet|testnet> <certificate> <header|block>

  finalization: verifies both signatures of a Finalization certificate (vote under
  TEMPO_FINALIZE over the proposal, seed under TEMPO_SEED over the round) against the epoch's
  threshold public key (a 96-byte compressed G2 point; "mainnet"/"testnet" use tempo's compiled
  network identities). Prints {"valid": true|false, "reason": string|null}.

  block: checks in one step that <certificate> (hex, or a file or "-" holding it) finalizes
  <header|block> (a file, "-" or inline hex; JSON or raw RLP of a header or a whole block, as
  \`inspect header\` reads it):
    certificate       decodes (strictly) and both signatures verify under --identity
    payload           the proposal's payload is keccak(rlp(header))
    epoch             the certificate's epoch is floor(number / L)
    hash              a "hash" given with a JSON header matches (if present)
    consensusContext  the header's consensus context epoch is floor(number / L) (if present)
    outcome           at a boundary (number = last(E)) the extraData is the outcome of E + 1
  Prints {"valid", "height", "hash", "view", "checks": [{"check", "ok", "detail"}, ...]}.

  Exit 0 only when valid (all checks hold), 1 otherwise (the failed checks on stderr, one line),
  2 on usage errors.`;

function identityFlag(id: unknown): PreparedIdentity {
  if (typeof id !== 'string') throw new UsageError('missing --identity <hex|mainnet|testnet>');
  return parseIdentity(id);
}

function verifyCertificate(identity: PreparedIdentity, cert: string | undefined): number {
  const bytes = hexArg(cert, 'certificate-hex');
  let result: { valid: boolean; reason: string | null };
  try {
    const fin = decodeFinalization(bytes);
    const r = verifyFinalization(fin, identity);
    result = r.valid ? { valid: true, reason: null } : { valid: false, reason: r.reason };
  } catch (err) {
    if (!(err instanceof FinalizationDecodeError)) throw err;
    result = { valid: false, reason: `malformed certificate: ${err.message}` };
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  if (!result.valid) process.stderr.write(`dkg-stream verify: invalid finalization: ${result.reason}\n`);
  return result.valid ? 0 : 1;
}

function verifyBlock(identity: PreparedIdentity, epochLength: string | undefined, cert: string | undefined, input: string | undefined): number {
  const epocher = epochLengthFlag(epochLength, 'block');
  if (cert === undefined) throw new UsageError('missing <certificate>');
  if (input === undefined) throw new UsageError('missing <header|block>');
  const certificate = readInputText(cert).trim();
  const read = readHeaderInput(input);
  if (epocher.containing(read.header.inner.number) === undefined) throw new Error(`block number ${read.header.inner.number} is outside the u64 epoch schedule`);
  const { facts, checks } = checkCertifiedHeader(certificate, read.header, epocher, identity.bytes, read.claimedHash);
  const failed = failedChecks(checks);
  process.stdout.write(JSON.stringify({ valid: failed === undefined, height: facts.number, hash: facts.hash, view: facts.view ?? null, checks }) + '\n');
  if (failed !== undefined) process.stderr.write(`dkg-stream verify: block not finalized by this certificate: ${oneLine(failed, 1000)}\n`);
  return failed === undefined ? 0 : 1;
}

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['identity', 'epoch-length'] });
    const [what, a, b, ...extra] = positionals;
    if (what === 'finalization') {
      if (b !== undefined) throw new UsageError(`unexpected argument ${showValue(b, 40)}`);
      if (flags['epoch-length'] !== undefined) throw new UsageError('--epoch-length only applies to `verify block`');
      return verifyCertificate(identityFlag(flags.identity), a);
    }
    if (what === 'block') {
      if (extra.length > 0) throw new UsageError(`unexpected argument ${showValue(extra[0]!, 40)}`);
      return verifyBlock(identityFlag(flags.identity), flags['epoch-length'] as string | undefined, a, b);
    }
    throw new UsageError(what === undefined ? 'missing <what>: finalization or block' : `unknown <what> ${showValue(what, 40)}: expected finalization or block`);
  },
};
export default command;

/**
 * The --identity argument: a network name or a 96-byte compressed G2 point. Anything else is a
 * usage error (exit 2): it says nothing about the certificate.
 */
function parseIdentity(id: string): PreparedIdentity {
  try {
    if (id === 'mainnet') return prepareIdentity(MAINNET_NETWORK_IDENTITY.identity);
    if (id === 'testnet') return prepareIdentity(TESTNET_NETWORK_IDENTITY.identity);
    return prepareIdentity(hexArg(id, 'identity'));
  } catch (err) {
    if (err instanceof InvalidHex || err instanceof InvalidIdentity) throw new UsageError(`--identity: ${err.message}`);
    throw err;
  }
}
