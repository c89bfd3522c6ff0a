/**
 * `dkg-stream verify finalization --identity <hex> <certificate-hex>`: verify a Tempo
 * finalization certificate (both threshold signatures, one batched pairing check) under an
 * epoch's identity. Prints `{"valid", "reason"}`; exit 0 only when valid.
 */
import { type Command, UsageError, parseArgs } from '../command.ts';
import { hexArg } from './inspect.ts';
import { FinalizationDecodeError, decodeFinalization } from '../../tempo/finalization.ts';
import { MAINNET_NETWORK_IDENTITY, TESTNET_NETWORK_IDENTITY } from '../../tempo/network-identity.ts';
import { verifyFinalization } from '../../tempo/verify.ts';

const usage = `Usage: dkg-stream verify finalization --identity <hex|mainnet|testnet> <certificate-hex>

  Verifies both signatures of a Finalization certificate (vote under TEMPO_FINALIZE over the
  proposal, seed under TEMPO_SEED over the round) against the epoch's threshold public key
  (a 96-byte compressed G2 point; "mainnet"/"testnet" use tempo's compiled network identities).

  Prints {"valid": true|false, "reason": string|null}. Exit 0 only when valid, 1 when the
  certificate is malformed or does not verify, 2 on usage errors.`;

const command: Command = {
  usage,
  async run(args) {
    const { flags, positionals } = parseArgs(args, { strings: ['identity'] });
    const [what, cert, ...extra] = positionals;
    if (what !== 'finalization') {
      throw new UsageError(what === undefined ? 'missing <what>: finalization' : `unknown <what> '${what}': expected finalization`);
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const id = flags.identity;
    if (typeof id !== 'string') throw new UsageError('missing --identity <hex>');
    const identity =
      id === 'mainnet' ? MAINNET_NETWORK_IDENTITY.identity : id === 'testnet' ? TESTNET_NETWORK_IDENTITY.identity : hexArg(id, 'identity');
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
  },
};
export default command;
