/**
 * SIGINT/SIGTERM for every command, so that a signal always ends the process within a bound:
 *
 * - while a command waits in {@link stopRequested} (it is running and can stop cleanly), the first
 *   signal resolves that wait and the command stops on its own; if it has not exited
 *   `shutdownTimeoutMs` later, the process exits anyway;
 * - otherwise (connecting, working through a bounded job, or already finishing) the signal ends the
 *   process at once — the same as without a handler, but also while a client library holds
 *   sockets or timers open;
 * - a second signal always ends the process at once.
 *
 * Exit code after a signal that ended the process: 128 + signal number (130 SIGINT, 143 SIGTERM).
 */

const CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof CODES;

interface Waiter {
  graceMs: number;
  resolve(signal: StopSignal): void;
}

const waiters = new Set<Waiter>();
let installed = false;
let received: StopSignal | undefined;

function onSignal(signal: StopSignal): void {
  if (received !== undefined || waiters.size === 0) {
    process.stderr.write(`dkg-stream: ${signal}: exiting\n`);
    process.exit(CODES[signal]);
  }
  received = signal;
  const graceMs = Math.max(...[...waiters].map((w) => w.graceMs));
  // Unref'd: a process that stops cleanly exits at once; one that something keeps alive ends here.
  setTimeout(() => {
    process.stderr.write(`dkg-stream: did not stop within ${graceMs} ms after ${signal}; exiting\n`);
    process.exit(CODES[signal]);
  }, graceMs).unref();
  for (const w of [...waiters]) w.resolve(signal);
  waiters.clear();
}

/** Installs the process's SIGINT/SIGTERM handlers (once; the CLI entry point calls it). */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(CODES) as StopSignal[]) process.on(signal, () => onSignal(signal));
}

/**
 * Resolves with the signal at the first SIGINT/SIGTERM, which then asks for a clean stop bounded
 * by `graceMs` instead of ending the process at once. `dispose()` when no longer waiting (the
 * command stops for another reason), so that a later signal ends the process at once again.
 */
export function stopRequested(graceMs: number): { signal: Promise<StopSignal>; dispose(): void } {
  let waiter!: Waiter;
  const signal = new Promise<StopSignal>((resolve) => {
    waiter = { graceMs, resolve };
  });
  if (received !== undefined) waiter.resolve(received);
  else waiters.add(waiter);
  return { signal, dispose: () => void waiters.delete(waiter) };
}
