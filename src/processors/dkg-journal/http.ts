/**
 * The journal's HTTP queries (mounted on the ops server as route `journal`):
 *
 *   GET /journal/<ownerHex>/epoch                   current epoch: {epoch, round, output, hasShare}
 *   GET /journal/<ownerHex>/<epoch>                 {dealings, acks, logs} of that epoch (upstream order)
 *   GET /journal/<ownerHex>/<epoch>/has-log/<dealerHex>   {hasLog}
 *
 * Never serves a secret: dealings show the public message and the id of the key that sealed the
 * private one; the epoch state shows the Output but not the share or the rng seed. Only the
 * partitions local to this instance are read.
 */
import type { QueryRoute } from '../../runtime/http.ts';
import type { JournalQueries } from './queries.ts';

const KEY = /^[0-9a-fA-F]{64}$/;
const EPOCH = /^[0-9]{1,20}$/;

export function journalRoute(queries: JournalQueries): QueryRoute {
  return async (path) => {
    const [ownerHex, second, third, dealerHex] = path;
    if (!ownerHex || !KEY.test(ownerHex)) return { status: 400, body: { error: 'owner must be a 32-byte key in hex' } };
    const owner = Buffer.from(ownerHex, 'hex');
    if (second === 'epoch' && path.length === 2) {
      const r = await queries.rawEpoch(owner);
      if (!r) return { status: 404, body: { error: 'no epoch state for this owner', owner: ownerHex } };
      return { status: 200, body: { owner: ownerHex, epoch: String(r.epoch), round: String(r.state.round), output: r.state.output?.toString('hex') ?? null, hasShare: r.state.share !== null } };
    }
    if (!second || !EPOCH.test(second) || BigInt(second) >= 1n << 64n) return { status: 400, body: { error: 'epoch must be a u64' } };
    const epoch = BigInt(second);
    if (path.length === 2) return { status: 200, body: await queries.publicView(owner, epoch) };
    if (third === 'has-log' && dealerHex && KEY.test(dealerHex) && path.length === 4) {
      return { status: 200, body: { owner: ownerHex, epoch: second, dealer: dealerHex, hasLog: await queries.hasLog(owner, epoch, Buffer.from(dealerHex, 'hex')) } };
    }
    return { status: 404, body: { error: 'not found', routes: ['/journal/<owner>/epoch', '/journal/<owner>/<epoch>', '/journal/<owner>/<epoch>/has-log/<dealer>'] } };
  };
}
