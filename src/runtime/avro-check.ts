/**
 * A bounded, canonical-only pre-pass over Avro binary, run before avsc decodes a record.
 *
 * Why: avsc's readers trust the counts in the input. An array block claiming 2^31 items makes its
 * reader push 2^31 values (reads past the end return garbage until the very end, which is only
 * checked once), so a 16-byte record exhausts the heap. This pass walks the bytes under the
 * writer schema without allocating values and throws a typed error before avsc sees anything
 * that could make it allocate or loop beyond the payload:
 *
 * - every array/map block count is checked against the bytes left (`count × smallest item
 *   encoding ≤ bytes left`), against a per-field limit when the protocol gives one
 *   ({@link AvroFieldLimit}), and items that encode in zero bytes (`null`, empty records) against a
 *   per-record budget ({@link MAX_ZERO_WIDTH_ITEMS}); a negative block count's byte size must
 *   equal the bytes its items take;
 * - every bytes/string length is checked against the bytes left and the field's limit;
 * - unions and enums index inside their branches / symbols; nesting of named types is
 *   bounded ({@link MAX_AVRO_DEPTH}) so a recursive writer schema cannot recurse forever.
 *
 * Canonical only (docs/canonical.md): what the Avro specification defines one way is accepted
 * one way — varints must be minimal (`0x80 0x00` is not 0), ints must fit 32 bits and longs
 * JavaScript's exact range (avsc would silently wrap or lose precision), booleans are the byte 0
 * or 1 (avsc reads any non-zero byte as true, Java's decoder reads only 1 as true), strings are
 * valid UTF-8 (avsc would substitute U+FFFD). Block framing is NOT canonical in the spec (a writer
 * may split an array into blocks, and may give negative counts with a byte size); both are
 * accepted, and {@link AvroCheckResult.singleBlock} says whether the input used the one-block
 * form avsc writes (so a checker of re-encodings knows when byte equality is expected).
 *
 * Cost: one pass over the bytes with no allocation (strings are validated in place); compiled
 * once per writer type.
 */
import { isUtf8 } from 'node:buffer';
import type avro from 'avsc';

/**
 * What the pre-pass found: `malformed` (truncated, bad index, trailing bytes), `non-canonical`
 * (a value the spec encodes one way, encoded another way) or `limit` (a count or length beyond a
 * protocol limit or the per-record budget). The serde maps these to its own error classes.
 */
export class AvroCheckError extends Error {
  override name = 'AvroCheckError';
  constructor(
    readonly kind: 'malformed' | 'non-canonical' | 'limit',
    message: string,
  ) {
    super(message);
  }
}

/** Protocol limits of one record field (applies to the field's type, through unions). */
export interface AvroFieldLimit {
  /** Most items of an array (or entries of a map), over all blocks. */
  maxItems?: number;
  /** Most bytes of a bytes/string value (for an array or map: of each item/value). */
  maxBytes?: number;
}

/** Limits keyed by `<record full name>.<field name>`, e.g. `xyz.dkgstream.epochs.EpochAdvanced.players`. */
export type AvroLimits = ReadonlyMap<string, AvroFieldLimit>;

/** Most items that encode in zero bytes (e.g. an array of `null`) in one record, over all arrays. */
export const MAX_ZERO_WIDTH_ITEMS = 65_536;
/** Deepest nesting of records/arrays/maps/unions checked (a recursive schema cannot loop). */
export const MAX_AVRO_DEPTH = 64;

export interface AvroCheckResult {
  /** Whether every array and map used avsc's framing (one positive block then 0): only then does a re-encoding reproduce the bytes. */
  singleBlock: boolean;
}

interface Cursor {
  buf: Uint8Array;
  pos: number;
  end: number;
  zeroWidth: number;
  singleBlock: boolean;
}

type Check = (c: Cursor, depth: number) => void;

const fail = (path: string, msg: string): never => {
  throw new AvroCheckError('malformed', `${path}: ${msg}`);
};
const nonCanonical = (path: string, msg: string): never => {
  throw new AvroCheckError('non-canonical', `${path}: ${msg}`);
};
const overLimit = (path: string, msg: string): never => {
  throw new AvroCheckError('limit', `${path}: ${msg}`);
};

/**
 * Reads a canonical zig-zag varint of at most `maxBytes` bytes and returns its decoded value as
 * a double (exact up to 2^53; larger magnitudes are rejected by the callers that care).
 */
function readVarint(c: Cursor, path: string, maxBytes: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (c.pos >= c.end) fail(path, 'truncated (varint runs past the end)');
    const b = c.buf[c.pos++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) nonCanonical(path, 'varint is not minimal');
      // zig-zag: even → n/2, odd → -(n+1)/2
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    mul *= 128;
  }
  return fail(path, `varint longer than ${maxBytes} bytes (${maxBytes === 5 ? 'beyond 32 bits' : 'beyond ±2^53'})`);
}

function readLong(c: Cursor, path: string): number {
  // 2^53 fits in 8 groups of 7 bits (56 bits); anything that needs more bytes is out of avsc's exact range.
  const v = readVarint(c, path, 8);
  if (!Number.isSafeInteger(v)) fail(path, 'long outside the exact JavaScript range ±(2^53−1)');
  return v;
}

function readInt(c: Cursor, path: string): number {
  const v = readVarint(c, path, 5);
  if (v < -0x80000000 || v > 0x7fffffff) fail(path, `int ${v} outside 32 bits`);
  return v;
}

/** A length prefix (bytes, string, map key): non-negative and within the bytes left. */
function readLength(c: Cursor, path: string, max: number | undefined): number {
  const n = readLong(c, path);
  if (n < 0) fail(path, `negative length ${n}`);
  if (n > c.end - c.pos) fail(path, `length ${n} but only ${c.end - c.pos} bytes left`);
  if (max !== undefined && n > max) overLimit(path, `${n} bytes, more than the limit of ${max}`);
  return n;
}

function skip(c: Cursor, n: number, path: string): void {
  if (n > c.end - c.pos) fail(path, `needs ${n} bytes, only ${c.end - c.pos} left`);
  c.pos += n;
}

function checkString(c: Cursor, path: string, max: number | undefined): void {
  const n = readLength(c, path, max);
  if (!isUtf8(c.buf.subarray(c.pos, c.pos + n))) nonCanonical(path, 'string is not valid UTF-8');
  c.pos += n;
}

/** The fewest bytes any value of `type` encodes in (0 for null and records of only such fields). */
function minSize(type: avro.Type, seen = new Set<avro.Type>()): number {
  const t = underlying(type);
  switch (t.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return (t as unknown as { size: number }).size;
    case 'record':
    case 'error': {
      if (seen.has(t)) return 1; // a recursive record needs its union tag somewhere
      seen.add(t);
      let n = 0;
      for (const f of (t as unknown as { fields: Array<{ type: avro.Type }> }).fields) n += minSize(f.type, seen);
      seen.delete(t);
      return n;
    }
    default:
      return 1; // boolean, int, long, bytes, string, enum, array, map, union: at least one byte
  }
}

function underlying(type: avro.Type): avro.Type {
  let t = type as avro.Type & { underlyingType?: avro.Type };
  while (t.typeName.startsWith('logical:') && t.underlyingType) t = t.underlyingType as typeof t;
  return t;
}

/**
 * Compiles the checker of `type`. `limit` is the protocol limit of the field this type sits in;
 * `path` names it in errors. Records are compiled once per name (a recursive schema re-enters
 * the memoised checker, whose field list is filled in after it is registered).
 */
function compile(type: avro.Type, path: string, limit: AvroFieldLimit | undefined, limits: AvroLimits, memo: Map<string, Check>): Check {
  const t = underlying(type) as avro.Type & Record<string, unknown>;
  switch (t.typeName) {
    case 'null':
      return () => {};
    case 'boolean':
      return (c) => {
        if (c.pos >= c.end) fail(path, 'truncated');
        const b = c.buf[c.pos++]!;
        if (b > 1) nonCanonical(path, `boolean byte ${b} (must be 0 or 1)`);
      };
    case 'int':
      return (c) => void readInt(c, path);
    case 'long':
      return (c) => void readLong(c, path);
    case 'float':
      return (c) => skip(c, 4, path);
    case 'double':
      return (c) => skip(c, 8, path);
    case 'bytes': {
      const max = limit?.maxBytes;
      return (c) => {
        const n = readLength(c, path, max); // (not `c.pos += …`: that reads c.pos before the length)
        c.pos += n;
      };
    }
    case 'string': {
      const max = limit?.maxBytes;
      return (c) => checkString(c, path, max);
    }
    case 'fixed': {
      const size = t.size as number;
      return (c) => skip(c, size, path);
    }
    case 'enum': {
      const n = (t.symbols as string[]).length;
      return (c) => {
        const i = readInt(c, path);
        if (i < 0 || i >= n) fail(path, `enum index ${i} outside 0..${n - 1}`);
      };
    }
    case 'array':
    case 'map': {
      const isMap = t.typeName === 'map';
      const itemType = (isMap ? t.valuesType : t.itemsType) as avro.Type;
      const itemLimit = limit?.maxBytes !== undefined ? { maxBytes: limit.maxBytes } : undefined;
      const item = compile(itemType, `${path}[]`, itemLimit, limits, memo);
      const itemMin = minSize(itemType) + (isMap ? 1 : 0);
      const maxItems = limit?.maxItems;
      return (c, depth) => {
        if (depth >= MAX_AVRO_DEPTH) fail(path, `nested deeper than ${MAX_AVRO_DEPTH}`);
        let total = 0;
        let blocks = 0;
        for (;;) {
          let count = readLong(c, path);
          if (count === 0) break;
          blocks++;
          let size = -1;
          if (count < 0) {
            count = -count;
            size = readLong(c, path);
            if (size < 0 || size > c.end - c.pos) fail(path, `block size ${size} outside the ${c.end - c.pos} bytes left`);
            c.singleBlock = false;
          }
          total += count;
          if (maxItems !== undefined && total > maxItems) overLimit(path, `${total} items, more than the limit of ${maxItems}`);
          if (itemMin > 0) {
            if (count * itemMin > c.end - c.pos) fail(path, `${count} items claimed, only ${c.end - c.pos} bytes left`);
          } else {
            c.zeroWidth += count;
            if (c.zeroWidth > MAX_ZERO_WIDTH_ITEMS) overLimit(path, `more than ${MAX_ZERO_WIDTH_ITEMS} zero-width items in one record`);
          }
          const start = c.pos;
          for (let i = 0; i < count; i++) {
            if (isMap) checkString(c, `${path}{key}`, undefined);
            item(c, depth + 1);
          }
          if (size >= 0 && c.pos - start !== size) fail(path, `block declares ${size} bytes, its items take ${c.pos - start}`);
        }
        if (blocks > 1) c.singleBlock = false;
      };
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (t.types as avro.Type[]).map((b, i) => compile(b, `${path}<${i}>`, limit, limits, memo));
      return (c, depth) => {
        if (depth >= MAX_AVRO_DEPTH) fail(path, `nested deeper than ${MAX_AVRO_DEPTH}`);
        const i = readLong(c, path);
        if (i < 0 || i >= branches.length) fail(path, `union index ${i} outside 0..${branches.length - 1}`);
        branches[i]!(c, depth + 1);
      };
    }
    case 'record':
    case 'error': {
      const name = (t.name as string | undefined) ?? path;
      const known = memo.get(name);
      if (known) return known;
      let fields: Check[] | undefined;
      const check: Check = (c, depth) => {
        if (depth >= MAX_AVRO_DEPTH) fail(path, `nested deeper than ${MAX_AVRO_DEPTH}`);
        for (const f of fields!) f(c, depth + 1);
      };
      memo.set(name, check);
      fields = (t.fields as Array<{ name: string; type: avro.Type }>).map((f) => compile(f.type, `${shortName(name)}.${f.name}`, limits.get(`${name}.${f.name}`), limits, memo));
      return check;
    }
    default:
      // A type this checker does not know would be decoded unchecked: refuse it instead.
      return () => fail(path, `unsupported Avro type ${t.typeName}`);
  }
}

const shortName = (full: string) => full.slice(full.lastIndexOf('.') + 1);

/** A compiled checker for one writer type and one limit table. */
export class AvroChecker {
  private readonly check: Check;

  constructor(type: avro.Type, limits: AvroLimits = new Map()) {
    this.check = compile(type, (type as { name?: string }).name ? shortName((type as { name: string }).name) : type.typeName, undefined, limits, new Map());
  }

  /** Checks that `body` is exactly one canonical, in-bounds value; throws {@link AvroCheckError} otherwise. */
  run(body: Uint8Array): AvroCheckResult {
    const c: Cursor = { buf: body, pos: 0, end: body.length, zeroWidth: 0, singleBlock: true };
    this.check(c, 0);
    if (c.pos !== c.end) fail('(record)', `${c.end - c.pos} trailing bytes after the value`);
    return { singleBlock: c.singleBlock };
  }
}

const checkers = new WeakMap<avro.Type, WeakMap<AvroLimits, AvroChecker>>();

/** The checker of `type` under `limits`, compiled once and cached with the type. */
export function avroChecker(type: avro.Type, limits: AvroLimits): AvroChecker {
  let byLimits = checkers.get(type);
  if (!byLimits) checkers.set(type, (byLimits = new WeakMap()));
  let c = byLimits.get(limits);
  if (!c) byLimits.set(limits, (c = new AvroChecker(type, limits)));
  return c;
}
