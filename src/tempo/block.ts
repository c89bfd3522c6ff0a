/**
 * A whole Tempo block as RLP (`alloy_consensus::Block<TempoTxEnvelope, TempoHeader>`, the bytes
 * `debug_getRawBlock` returns):
 *
 * ```
 * Block := list[ header TempoHeader, transactions list, ommers list, withdrawals list? ]
 * ```
 *
 * Only the header is decoded (strictly, as in header.ts); transactions, ommers and withdrawals are
 * counted, not parsed (the header commits to them through its roots; a follower does not need
 * them). The block must be exactly one RLP item with nothing after it, and nothing after the
 * optional withdrawals list.
 */
import { decodeTempoHeader, type TempoHeader } from './header.ts';
import { RlpError, RlpReader } from './rlp.ts';

export interface RawBlock {
  header: TempoHeader;
  /** The header's own RLP (what the block hash is the keccak of). */
  headerRlp: Uint8Array;
  transactions: number;
  ommers: number;
  /** Number of withdrawals, or null when the block has no withdrawals list. */
  withdrawals: number | null;
}

/** Bytes that are not an RLP Tempo block. */
export class BlockDecodeError extends Error {
  override name = 'BlockDecodeError';
}

function countItems(r: RlpReader, what: string): number {
  const list = r.list(what);
  let n = 0;
  while (list.remaining > 0) {
    list.raw();
    n++;
  }
  return n;
}

/** Decodes a block's RLP. Throws {@link BlockDecodeError} (or the header's own errors). */
export function decodeTempoBlock(bytes: Uint8Array): RawBlock {
  let headerRlp: Uint8Array;
  let counts: { transactions: number; ommers: number; withdrawals: number | null };
  try {
    const top = new RlpReader(bytes);
    const r = top.list('block');
    top.finish('block input');
    headerRlp = r.raw();
    const transactions = countItems(r, 'transactions');
    const ommers = countItems(r, 'ommers');
    const withdrawals = r.remaining > 0 ? countItems(r, 'withdrawals') : null;
    r.finish('block');
    counts = { transactions, ommers, withdrawals };
  } catch (err) {
    if (err instanceof RlpError) throw new BlockDecodeError(`not an RLP block: ${err.name}: ${err.message}`, { cause: err });
    throw err;
  }
  return { header: decodeTempoHeader(headerRlp), headerRlp, ...counts };
}

/** Whether RLP bytes look like a block rather than a header: a block's first item is a list. */
export function looksLikeBlockRlp(bytes: Uint8Array): boolean {
  try {
    const r = new RlpReader(bytes).list();
    return r.remaining > 0 && r.raw()[0]! >= 0xc0;
  } catch {
    return false;
  }
}
