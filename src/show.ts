/**
 * One-line, bounded rendering of an offending value for error messages. An error names what was
 * wrong and shows enough of the value to recognise it, never the whole of it: a 10 MB quantity in
 * a header must give one short line of stderr, not 10 MB. Long values are cut and their length
 * is shown: `"0x1234…"(10485762 chars)`, `0a0b0c…(96 bytes)`.
 */

/** Longest rendering before a value is cut (characters of the rendering, not of the value). */
export const SHOW_MAX = 64;

/**
 * Renders `value` on one line in at most about `max` characters plus the length note: strings
 * JSON-quoted (newlines escaped), byte arrays as hex, anything else through JSON (bigints as
 * decimal).
 */
export function showValue(value: unknown, max = SHOW_MAX): string {
  if (value instanceof Uint8Array) {
    const keep = Math.max(1, Math.floor(max / 2));
    const hex = Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, keep)).toString('hex');
    return value.byteLength > keep ? `${hex}…(${value.byteLength} bytes)` : hex;
  }
  if (typeof value === 'string') {
    return value.length > max ? `${JSON.stringify(value.slice(0, max))}…(${value.length} chars)` : JSON.stringify(value);
  }
  let text: string;
  try {
    text = typeof value === 'bigint' ? value.toString() : (JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

/**
 * A message (often another library's) on one line: line breaks and runs of white space become one
 * space, and a message longer than `max` characters is cut with its length shown.
 */
export function oneLine(message: string | undefined, max = 400): string {
  const text = (message ?? '').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}
