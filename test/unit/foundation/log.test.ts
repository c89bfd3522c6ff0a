/** Log lines are JSON on stderr with the level's name and an ISO 8601 time (a child process, as a command logs). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../../src/paths.ts';

test('a log line names its level and carries an ISO time, on stderr only', () => {
  const logModule = JSON.stringify(join(REPO_ROOT, 'src', 'runtime', 'log.ts'));
  const code = `import { logger } from ${logModule}; logger('probe').warn({ n: 1 }, 'hello');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DKG_STREAM_LOG_LEVEL: 'info', NODE_TEST_CONTEXT: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const line = JSON.parse(r.stderr.trim()) as { level: unknown; time: unknown; component: unknown; msg: unknown; n: unknown };
  assert.equal(line.level, 'warn');
  assert.equal(typeof line.time, 'string');
  assert.match(line.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(line.time as string) - Date.now()) < 10 * 60_000, 'time is now');
  assert.deepEqual([line.component, line.msg, line.n], ['probe', 'hello', 1]);
});
