#!/usr/bin/env node
// The full test suite, as README's second command and .ci/run run it:
//   1. bring up the local stack (Kafka + registry; idempotent, fetched on first run),
//   2. type-check the whole project,
//   3. run every test/**/*.test.ts with node's test runner (its summary line ends the output),
//   4. stop the stack again if this run started it (DKG_STREAM_KEEP_STACK=1 keeps it).
// Extra arguments are passed to `node --test` (e.g. a file list to run a subset).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'dkg-stream.js');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

// Tests reach the stack through DKG_STREAM_BROKERS / DKG_STREAM_REGISTRY_URL; derive them from the
// stack's port settings so `DKG_STREAM_KAFKA_PORT=… npm test` runs an isolated stack end to end.
process.env.DKG_STREAM_BROKERS ??= `127.0.0.1:${process.env.DKG_STREAM_KAFKA_PORT || 39092}`;
process.env.DKG_STREAM_REGISTRY_URL ??= `http://127.0.0.1:${process.env.DKG_STREAM_REGISTRY_PORT || 38081}/apis/ccompat/v7`;

const before = spawnSync(process.execPath, [cli, 'stack', 'status'], { cwd: root, encoding: 'utf8' });
const wasRunning = before.status === 0;
const up = run(process.execPath, [cli, 'stack', 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (up.status !== 0) {
  console.error('test: the local stack did not come up; see the messages above');
  process.exit(1);
}

let code = 0;
try {
  console.error('test: type-checking (tsc --noEmit)…');
  const tsc = run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
  if (tsc.status !== 0) {
    console.error('test: type errors (above); not running the tests');
    code = 1;
  } else {
    const args = process.argv.slice(2);
    const files = args.some((a) => a.endsWith('.ts')) ? [] : findTests(join(root, 'test'));
    const res = run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...args, ...files]);
    code = res.status ?? 1;
  }
} finally {
  if (!wasRunning && process.env.DKG_STREAM_KEEP_STACK !== '1') {
    run(process.execPath, [cli, 'stack', 'down'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
process.exit(code);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
