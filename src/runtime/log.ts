/**
 * Structured logging: one pino root logger per process, one child per component
 * (`logger('runtime.task')`). Level from `DKG_STREAM_LOG_LEVEL` (default `info`; tests default
 * to `warn` so the runner's output stays readable). Logs go to stderr so stdout stays free for
 * command output (JSON, tables).
 */
import { pino, type Logger } from 'pino';

const defaultLevel = process.env.NODE_TEST_CONTEXT ? 'warn' : 'info';

const root: Logger = pino(
  { level: process.env.DKG_STREAM_LOG_LEVEL ?? defaultLevel, base: { pid: process.pid } },
  pino.destination(2),
);

export type { Logger };

/** A child logger tagged with `component`. */
export function logger(component: string): Logger {
  return root.child({ component });
}
