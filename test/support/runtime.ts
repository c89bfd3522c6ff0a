/** Helpers for the runtime's integration tests (real broker from `npm test`). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkajsPort } from '../../src/runtime/kafka/kafkajs.ts';
import { BROKERS, KAFKA_CLIENT } from './stack.ts';

export { BROKERS };

export const newPort = (clientId = 'dkg-test'): KafkajsPort => new KafkajsPort({ ...KAFKA_CLIENT, brokers: BROKERS, clientId });

/** A fresh name so tests never share topics or groups. */
export const unique = (what: string): string => `t-${what}-${randomBytes(4).toString('hex')}`;

export const tempDir = (what: string): string => mkdtempSync(join(tmpdir(), `dkg-${what}-`));

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Clean-ups run after the test in reverse order of registration (a runtime before its broker),
 * also when the test fails; one that throws does not keep the others from running.
 */
export function lifo(t: { after(fn: () => Promise<void>): void }): (fn: () => unknown) => void {
  const fns: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of fns.reverse()) {
      try {
        await fn();
      } catch {
        /* keep cleaning up */
      }
    }
  });
  return (fn) => void fns.push(fn);
}
