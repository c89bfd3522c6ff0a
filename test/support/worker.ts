/**
 * What every fault-harness worker process shares: required environment settings, one JSON line
 * per event on stdout, and the runtime's life — report task transitions, start, and stop exactly
 * once on SIGTERM (runtime first, then its resources) before exiting 0. SIGKILL is the crash.
 */
import type { StreamRuntime } from '../../src/runtime/runtime.ts';

/** A required `W_*` setting; a missing one fails the worker at once, naming it. */
export const workerEnv =
  (worker: string) =>
  (k: string): string => {
    const v = process.env[k];
    if (!v) throw new Error(`${worker}: ${k} is not set`);
    return v;
  };

export const say = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n');

/** Ensures the topics, starts the runtime and prints `started`; SIGTERM stops it cleanly. */
export async function runWorker(rt: StreamRuntime, close: () => Promise<void>): Promise<void> {
  rt.on('task', (t: { partition: number; state: string }) => say({ event: 'task', ...t }));
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void rt
      .stop()
      .then(close)
      .finally(() => {
        say({ event: 'stopped' });
        process.exit(0);
      });
  });
  await rt.ensureTopics();
  await rt.start();
  say({ event: 'started' });
}
