/**
 * Error-message hygiene for values that come from outside: a message stays on one line and a
 * huge offending value (a megabyte of hex, a pasted block) is cut, never echoed whole.
 */

/** Longest excerpt of an outside value put in a message. */
export const MAX_ECHO = 80;

/** `value` as is when short, else its head and tail around the number of characters left out. */
export function clip(value: string, max = MAX_ECHO): string {
  if (value.length <= max) return value;
  const head = Math.ceil((max * 2) / 3);
  const tail = max - head;
  return `${value.slice(0, head)}…(${value.length - max} more chars)…${value.slice(value.length - tail)}`;
}

/** A message on one line (line breaks and runs of white space become one space), clipped to `max`. */
export function oneLine(message: string, max = 400): string {
  return clip(message.replace(/\s*[\r\n]+\s*/g, ' ').trim(), max);
}

/** An outside JSON value for a message: its JSON text, clipped. */
export function echo(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return clip(text);
}
