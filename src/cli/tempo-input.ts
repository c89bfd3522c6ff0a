/**
 * Header / block input of the operator commands (`inspect header|block`, `verify block`): a file
 * path, `-` (stdin) or inline hex, holding either JSON or raw RLP hex, told apart by content:
 *
 * - JSON (text starting with `{`): a header object (consensus RPC `block.header` or the
 *   `eth_getBlockByNumber` shape), `{"header": …}` (a block), `{"block": {"header": …}}` (a
 *   certified block), or a JSON-RPC response whose `result` is one of those or a hex string
 *   (e.g. `debug_getRawBlock`);
 * - hex (with or without `0x`): the RLP of a header, or of a whole block (`debug_getRawBlock`):
 *   a block's first item is a list, a header's first item is an integer.
 *
 * A `hash` field next to the header JSON is returned as the claimed hash, to be checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { oneLine, showValue } from '../show.ts';
import { decodeTempoBlock, looksLikeBlockRlp, type RawBlock } from '../tempo/block.ts';
import { decodeTempoHeader, type TempoHeader, tempoHeaderFromJson } from '../tempo/header.ts';
import { hexToBytes } from '../tempo/hex.ts';

const HEX_RE = /^(0x|0X)?[0-9a-fA-F]+$/;

export interface HeaderInput {
  header: TempoHeader;
  /** How the input was given. */
  format: 'json' | 'rlp-header' | 'rlp-block';
  /** A hash the input claims for the header (JSON `hash`), to be compared with the real one. */
  claimedHash?: Uint8Array;
  /** Body counts when the input was a whole block. */
  body?: Pick<RawBlock, 'transactions' | 'ommers' | 'withdrawals'>;
}

/** The text behind an argument: stdin for `-`, a file if one exists, else the argument if it is hex. */
export function readInputText(arg: string): string {
  if (arg === '-') return readFileSync(0, 'utf8');
  if (existsSync(arg)) {
    try {
      return readFileSync(arg, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${showValue(arg)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (HEX_RE.test(arg.trim())) return arg;
  throw new Error(`cannot read ${showValue(arg)}: ENOENT (no such file, and not hex)`);
}

type Parsed = { json: unknown } | { rlp: Uint8Array };

function parseText(text: string, what: string): Parsed {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[') || t.startsWith('"')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (err) {
      throw new Error(`${showValue(what)} is not JSON: ${oneLine((err as Error).message, 120)}`);
    }
    // A JSON-RPC response: its result.
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'result' in v && 'jsonrpc' in v) v = (v as { result: unknown }).result;
    if (typeof v === 'string') return { rlp: hexToBytes(v.trim(), 'RLP hex') };
    return { json: v };
  }
  return { rlp: hexToBytes(t, 'RLP hex') };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The header object inside a JSON input, and the object that may carry its `hash` and body. */
function locateHeader(json: unknown): { header: unknown; holder: Record<string, unknown> | undefined; body: Record<string, unknown> | undefined } {
  if (isObj(json)) {
    if ('parentHash' in json) return { header: json, holder: json, body: json };
    if (isObj(json.block) && 'header' in json.block)
      return { header: json.block.header, holder: isObj(json.block.header) ? json.block.header : undefined, body: isObj(json.block.body) ? json.block.body : undefined };
    if (isObj(json.header)) return { header: json.header, holder: json.header, body: isObj(json.body) ? json.body : json };
  }
  return { header: json, holder: undefined, body: undefined };
}

const count = (v: unknown) => (Array.isArray(v) ? v.length : null);

/** Reads a header (or a block, for its header) from `arg`. */
export function readHeaderInput(arg: string): HeaderInput {
  const parsed = parseText(readInputText(arg), arg);
  if ('rlp' in parsed) {
    if (looksLikeBlockRlp(parsed.rlp)) {
      const b = decodeTempoBlock(parsed.rlp);
      return { header: b.header, format: 'rlp-block', body: { transactions: b.transactions, ommers: b.ommers, withdrawals: b.withdrawals } };
    }
    return { header: decodeTempoHeader(parsed.rlp), format: 'rlp-header' };
  }
  const { header, holder, body } = locateHeader(parsed.json);
  const out: HeaderInput = { header: tempoHeaderFromJson(header), format: 'json' };
  if (holder && typeof holder.hash === 'string') out.claimedHash = hexToBytes(holder.hash, 'hash');
  if (body && Array.isArray(body.transactions)) {
    out.body = { transactions: body.transactions.length, ommers: count(body.ommers ?? body.uncles) ?? 0, withdrawals: count(body.withdrawals) };
  }
  return out;
}
