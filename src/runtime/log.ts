/**
 * Structured logging: one pino root logger per process, one child per component
 * (`logger('runtime.task')`). Level from `DKG_STREAM_LOG_LEVEL` (default `info`; tests default
 * to `warn` so the runner's output stays readable). Logs go to stderr so stdout stays free for
 * command output (JSON, tables). Each line is JSON with an ISO 8601 `time` and the level's name
 * (`"level":"warn"`), so it reads without a lookup table and sorts by time as text.
 */
import { type Logger, pino } from 'pino';

const defaultLevel = process.env.NODE_TEST_CONTEXT ? 'warn' : 'info';

const root: Logger = pino(
  {
    level: process.env.DKG_STREAM_LOG_LEVEL ?? defaultLevel,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  pino.destination(2),
);

export type { Logger };

/** A child logger tagged with `component`. */
export function logger(component: string): Logger {
  return root.child({ component });
}
