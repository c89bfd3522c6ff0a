#!/usr/bin/env node
// The full test suite, as README's second command and .ci/run run it:
//   1. bring up the local stack (Kafka + registry; idempotent, fetched on first run),
//   2. type-check the whole project, check format and lint (Biome) and the layering (scripts/check-layers.mjs),
//   3. run every test/**/*.test.ts with node's test runner, one runner process per file (as many
//      at a time as node's runner would: cores - 1), each bounded by a per-file timeout
//      (DKG_STREAM_TEST_FILE_TIMEOUT_MS, default 20 min): a file that exceeds it is killed with its
//      process group and reported with the tests that were still running; a file whose tests all
//      ended but whose process stays alive (something a test started still runs) is killed and
//      failed after DKG_STREAM_TEST_EXIT_GRACE_MS (default 3 min) without a test running or
//      reporting; a summary line ends the output,
//   4. run the Kafka integration tests once more with the kafkajs patches off
//      (DKG_STREAM_KAFKAJS_PATCHES=0), and end with `tests: N passed, N failed` over everything,
//   5. stop the stack again if this run started it (DKG_STREAM_KEEP_STACK=1 keeps it).
// Extra arguments are passed to `node --test` (e.g. a file list to run a subset).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'dkg-stream.js');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
/** Finished tests across every file (the closing line). */
const totals = { pass: 0, fail: 0, skip: 0 };
/** How long a file may stay alive after its tests ended, with nothing running or reported. */
const graceMs = Number(process.env.DKG_STREAM_TEST_EXIT_GRACE_MS || 3 * 60_000);

// Tests reach the stack through DKG_STREAM_BROKERS / DKG_STREAM_REGISTRY_URL; derive them from the
// stack's port settings so `DKG_STREAM_KAFKA_PORT=… npm test` runs an isolated stack end to end.
// (19092 and 18081 are LOCAL_KAFKA_PORT and LOCAL_REGISTRY_PORT of src/config.ts: this script runs
// before tsx is loaded, so it cannot import them.)
process.env.DKG_STREAM_BROKERS ??= `127.0.0.1:${process.env.DKG_STREAM_KAFKA_PORT || 19092}`;
process.env.DKG_STREAM_REGISTRY_URL ??= `http://127.0.0.1:${process.env.DKG_STREAM_REGISTRY_PORT || 18081}/apis/ccompat/v7`;

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
    const given = args.filter((a) => a.endsWith('.ts'));
    const files = given.length > 0 ? given : findTests(join(root, 'test'));
    const extra = args.filter((a) => !a.endsWith('.ts'));
    console.error('test: format and lint (biome check), layering and package boundaries (scripts/check-layers.mjs)…');
    const biome = run(process.execPath, [join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'check', '--error-on-warnings', '--reporter=summary']);
    const layers = run(process.execPath, [join(root, 'scripts', 'check-layers.mjs')]);
    if (biome.status !== 0 || layers.status !== 0) code = 1;
    code = Math.max(code, await runFiles(files, extra));
    if (given.length === 0) {
      // The kafkajs patches replace hot paths inside kafkajs: the Kafka integration tests run once
      // more on kafkajs' own code, so the escape hatch (DKG_STREAM_KAFKAJS_PATCHES=0) stays working.
      console.error('test: the Kafka integration tests again with the kafkajs patches off (DKG_STREAM_KAFKAJS_PATCHES=0)…');
      const integration = files.filter((f) => f.startsWith(join('test', 'integration') + '/') && !f.endsWith('secure.test.ts'));
      code = Math.max(code, await runFiles(integration, extra, { DKG_STREAM_KAFKAJS_PATCHES: '0' }));
    }
    console.error(`tests: ${totals.pass} passed, ${totals.fail} failed${totals.skip > 0 ? `, ${totals.skip} skipped` : ''}`);
  }
} finally {
  if (!wasRunning && process.env.DKG_STREAM_KEEP_STACK !== '1') {
    run(process.execPath, [cli, 'stack', 'down'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
process.exit(code);

/**
 * Runs each file in its own `node --test` process (a hung file cannot hold up the others, and
 * its timeout names it), `concurrency` at a time; returns the exit code (1 if any file failed).
 */
async function runFiles(files, extra, env = {}) {
  const timeoutMs = Number(process.env.DKG_STREAM_TEST_FILE_TIMEOUT_MS || 20 * 60_000);
  const concurrency = Math.max(1, Number(process.env.DKG_STREAM_TEST_CONCURRENCY || availableParallelism() - 1));
  const progressDir = mkdtempSync(join(tmpdir(), 'dkg-test-progress-'));
  const failed = [];
  const timedOut = [];
  const lingered = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i];
      const progress = join(progressDir, `${i}.txt`);
      const res = await runFile(file, extra, progress, timeoutMs, concurrency === 1, env);
      count(progress);
      if (res.lingered) {
        lingered.push(file);
        console.error(
          `test: ${file} ended its tests but its process did not exit within ${graceMs / 1000} s (DKG_STREAM_TEST_EXIT_GRACE_MS): something a test started is still running (an open handle); killed it. Its processes then: ${res.processes}`,
        );
      } else if (res.timedOut) {
        const running = stillRunning(progress);
        timedOut.push(file);
        console.error(
          `test: ${file} did not finish within ${timeoutMs / 1000} s (DKG_STREAM_TEST_FILE_TIMEOUT_MS); killed it. Still running: ${running.length > 0 ? running.map((n) => `'${n}'`).join(', ') : '(no test: a hook or an open handle)'}`,
        );
      } else if (res.code !== 0) failed.push(file);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  rmSync(progressDir, { recursive: true, force: true });
  const bad = failed.length + timedOut.length + lingered.length;
  console.error(
    `test: ${files.length} files, ${files.length - bad} passed` +
      (failed.length > 0 ? `, ${failed.length} failed: ${failed.join(', ')}` : '') +
      (timedOut.length > 0 ? `, ${timedOut.length} timed out: ${timedOut.join(', ')}` : '') +
      (lingered.length > 0 ? `, ${lingered.length} did not exit: ${lingered.join(', ')}` : ''),
  );
  return bad > 0 ? 1 : 0;
}

/**
 * One file under node's test runner, in its own process group (killed whole on timeout, or when
 * its tests have all ended and the process lingers for `graceMs`).
 *
 * Not `--test-force-exit`: under it node can exit before the parent runner has read the child's
 * last results, and a file then reports fewer tests than ran, with exit code 0 (nodejs/node#64833;
 * seen here as a whole suite missing from one run's count). Every test stops what it started, so
 * a file ends by itself; the linger check above catches the one that does not.
 */
function runFile(file, extra, progress, timeoutMs, stream, env) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${join(root, 'scripts', 'test-progress.mjs')}`,
        `--test-reporter-destination=${progress}`,
        ...extra,
        file,
      ],
      { cwd: root, detached: true, env: { ...process.env, ...env }, stdio: ['ignore', stream ? 'inherit' : 'pipe', stream ? 'inherit' : 'pipe'] },
    );
    let out = '';
    if (!stream) {
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
    }
    let timedOut = false;
    let lingered = false;
    let processes = '';
    const kill = () => {
      try {
        process.kill(-child.pid, 'SIGKILL'); // the runner, the file's process and whatever it spawned
      } catch {}
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    // Lingering: at least one test ended, none is running, and nothing was reported for graceMs.
    let size = -1;
    let quietSince = Date.now();
    const watch = setInterval(() => {
      let now = -1;
      try {
        now = statSync(progress).size;
      } catch {}
      if (now !== size) {
        size = now;
        quietSince = Date.now();
        return;
      }
      if (Date.now() - quietSince < graceMs || ended(progress) === 0 || stillRunning(progress).length > 0) return;
      lingered = true;
      // Which process holds on (the test file's own, or one it spawned) narrows the search.
      const ps = spawnSync('ps', ['-o', 'pid=,args=', '-g', String(child.pid)], { encoding: 'utf8' });
      processes = (ps.stdout || '(ps failed)')
        .trim()
        .split('\n')
        .map((l) => l.trim().slice(0, 160))
        .join(' | ');
      kill();
    }, 5000);
    child.once('close', (code) => {
      clearTimeout(timer);
      clearInterval(watch);
      if (!stream) process.stdout.write(out);
      resolve({ code: code ?? 1, timedOut, lingered, processes });
    });
  });
}

/**
 * The progress reporter's events of one file, without the file's own entry: `{ kind, name,
 * outcome, type }` per line (start|end; for an end: pass|fail|skip and test|suite).
 */
function progressEvents(progress) {
  let text = '';
  try {
    text = readFileSync(progress, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => {
      const [kind, , name, outcome, type] = line.split('\t');
      return { kind, name, outcome, type };
    })
    .filter((e) => (e.kind === 'start' || e.kind === 'end') && !e.name.endsWith('.test.ts'));
}

/** Adds a file's finished tests (not suites) to the totals. */
function count(progress) {
  for (const e of progressEvents(progress)) if (e.kind === 'end' && e.type === 'test') totals[e.outcome] = (totals[e.outcome] ?? 0) + 1;
}

/** How many tests and suites the progress reporter saw end. */
function ended(progress) {
  return progressEvents(progress).filter((e) => e.kind === 'end').length;
}

/** Tests the progress reporter saw start but not end (innermost last). */
function stillRunning(progress) {
  const open = [];
  for (const e of progressEvents(progress)) {
    if (e.kind === 'start') open.push(e.name);
    else {
      const at = open.lastIndexOf(e.name);
      if (at >= 0) open.splice(at, 1);
    }
  }
  return open;
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
