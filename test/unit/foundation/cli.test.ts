/**
 * CLI conventions, through the real entry point (bin/dkg-stream.js) where the process is the
 * subject: --version, help <command>, strict flags (util.parseArgs) as one-line usage errors with
 * exit 2, `topology describe --json|--dot`. None of these touch Kafka.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgs, UsageError } from '../../../src/cli/command.ts';
import { REPO_ROOT } from '../../../src/paths.ts';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'dkg-stream.js'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DKG_STREAM_CONFIG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('parseArgs: strict flags as usage errors naming the flag', () => {
  const spec = { strings: ['config', 'from-offset'], booleans: ['json'] };
  assert.deepEqual(parseArgs(['describe', '--config', 'a.yaml', '--json'], spec), { flags: { config: 'a.yaml', json: true }, positionals: ['describe'] });
  assert.deepEqual(parseArgs(['--config=b.yaml', '--from-offset=-1'], spec).flags, { config: 'b.yaml', 'from-offset': '-1' });
  const usage = (args: string[]) => {
    try {
      parseArgs(args, spec);
    } catch (err) {
      assert.ok(err instanceof UsageError);
      return err.message;
    }
    assert.fail(`accepted ${args.join(' ')}`);
  };
  assert.equal(usage(['--nope']), 'unknown option --nope');
  assert.equal(usage(['--json=yes']), '--json takes no value');
  assert.equal(usage(['--config']), '--config needs a value');
  assert.match(usage(['--from-offset', '-1']), /--from-offset needs a value \(for a value that starts with '-', write --from-offset=VALUE\)/);
});

test('--version prints the package version; help lists every command; help <command> prints its usage', () => {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const v = cli('--version');
  assert.equal(v.code, 0);
  assert.equal(v.out, `dkg-stream ${version} (node ${process.version})\n`);

  const h = cli('--help');
  assert.equal(h.code, 0);
  for (const name of ['config', 'demo', 'dlq', 'follow', 'ingest', 'inspect', 'replay', 'run', 'sim', 'stack', 'subscribe', 'topology', 'verify']) {
    assert.match(h.out, new RegExp(`^  ${name} +\\S`, 'm'), `help lists ${name} with its summary`);
  }

  const run = cli('help', 'run');
  assert.equal(run.code, 0);
  assert.match(run.out, /^Usage: dkg-stream run /);
  assert.equal(cli('run', '--help').out, run.out, 'help run = run --help');

  const unknown = cli('help', 'nope');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /^dkg-stream help: unknown command "nope"$/m);
});

test('an unknown or malformed flag is one usage line and exit 2', () => {
  const r = cli('topology', 'describe', '--nope');
  assert.equal(r.code, 2);
  assert.equal(r.err.split('\n')[0], 'dkg-stream topology: unknown option --nope');
  assert.equal(r.out, '');
});

test('topology describe --json and --dot render the same graph as the topology file', () => {
  const j = cli('topology', 'describe', '--json');
  assert.equal(j.code, 0, j.err);
  const t = JSON.parse(j.out) as { processors: Array<{ name: string; inputs: string[]; outputs: string[]; globals: string[]; stores: Array<{ name: string; changelog: string }> }> };
  const follow = t.processors.find((p) => p.name === 'follow')!;
  assert.deepEqual(follow.inputs, ['consensus.finalizations']);
  assert.deepEqual(follow.globals, ['epochs']);
  assert.deepEqual(
    follow.stores.map((s) => s.name),
    ['pending', 'follow-state'],
  );

  const d = cli('topology', 'describe', '--dot');
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /^digraph "dkg-stream" \{\n/);
  assert.ok(d.out.trimEnd().endsWith('}'));
  for (const p of t.processors) {
    for (const i of p.inputs) assert.ok(d.out.includes(`"topic:${i}" -> "processor:${p.name}";`), `edge ${i} -> ${p.name}`);
    for (const o of p.outputs) assert.ok(d.out.includes(`"processor:${p.name}" -> "topic:${o}";`), `edge ${p.name} -> ${o}`);
  }

  const both = cli('topology', 'describe', '--json', '--dot');
  assert.equal(both.code, 2);
  assert.match(both.err, /--json and --dot exclude each other/);
});

test('config print: every setting with its source; passwords never printed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dkg-config-print-'));
  try {
    const file = join(dir, 'client.yaml');
    writeFileSync(join(dir, 'pw'), 'file-password-5150\n');
    writeFileSync(file, `brokers: [10.1.2.3:9093]\nkafkaSaslMechanism: scram-sha-512\nkafkaSaslUsername: app\nregistryUsername: reg\nregistryPasswordFile: ${join(dir, 'pw')}\n`);
    const env = {
      DKG_STREAM_KAFKA_SASL_PASSWORD: 'env-password-hunter2',
      DKG_STREAM_TOPIC_PREFIX: 'prod.',
      DKG_STREAM_REGISTRY_URL: 'https://reg:url-password-77@registry.example:8081/apis/ccompat/v7',
    };
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'dkg-stream.js'), 'config', 'print', '--config', file, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        // Only this test's settings: the suite's own DKG_STREAM_* (brokers, registry) would win over the file.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DKG_STREAM_'))), ...env },
      });
    const json = run('--json');
    assert.equal(json.status, 0, json.stderr);
    const rows = new Map((JSON.parse(json.stdout) as Array<{ key: string; value: unknown; from: string }>).map((r) => [r.key, r]));
    assert.deepEqual(rows.get('brokers'), { key: 'brokers', env: 'DKG_STREAM_BROKERS', value: ['10.1.2.3:9093'], from: file });
    assert.deepEqual([rows.get('topicPrefix')!.value, rows.get('topicPrefix')!.from], ['prod.', '$DKG_STREAM_TOPIC_PREFIX']);
    assert.deepEqual([rows.get('kafkaSaslPassword')!.value, rows.get('kafkaSaslPassword')!.from], ['[redacted]', '$DKG_STREAM_KAFKA_SASL_PASSWORD']);
    assert.deepEqual([rows.get('registryPassword')!.value, rows.get('registryPasswordFile')!.value], ['[redacted]', join(dir, 'pw')]);
    assert.equal(rows.get('applicationId')!.from, 'default');
    assert.equal(rows.get('registryUrl')!.value, 'https://[redacted]@registry.example:8081/apis/ccompat/v7');
    const table = run();
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^kafkaSaslPassword +\[redacted\] +\$DKG_STREAM_KAFKA_SASL_PASSWORD$/m);
    for (const out of [json.stdout, json.stderr, table.stdout, table.stderr]) {
      for (const secret of ['env-password-hunter2', 'file-password-5150', 'url-password-77']) assert.ok(!out.includes(secret), `no ${secret} in the output`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an error never echoes a long value whole: every failure is one short line that shows the length', () => {
  const long = 'x'.repeat(100_000);
  const cases: Array<{ args: string[]; env?: Record<string, string>; code: number; says: RegExp }> = [
    { args: [long], code: 2, says: /^dkg-stream: unknown command "x+"…\(100000 chars\)$/ },
    { args: ['help', long], code: 2, says: /^dkg-stream help: unknown command "x+"…\(100000 chars\)$/ },
    { args: ['topology', long], code: 2, says: /^dkg-stream topology: unknown action "x+"…\(100000 chars\)$/ },
    { args: ['config', 'print', long], code: 2, says: /^dkg-stream config: unexpected argument "x+"…\(100000 chars\)$/ },
    { args: ['dlq', long], code: 2, says: /^dkg-stream dlq: unknown sub-command "x+"…\(100000 chars\)$/ },
    { args: ['sim', '--fault', long], code: 2, says: /^dkg-stream sim: unknown fault "x+"…\(100000 chars\)/ },
    {
      args: ['config', 'print'],
      env: { DKG_STREAM_HTTP_PORT: long },
      code: 1,
      says: /^dkg-stream config: invalid configuration: httpPort \(from \$DKG_STREAM_HTTP_PORT\) must be 0\.\.65535, got "x+"…\(100000 chars\)$/,
    },
    { args: ['stack', 'status'], env: { DKG_STREAM_KAFKA_PORT: long }, code: 1, says: /^dkg-stream stack: DKG_STREAM_KAFKA_PORT must be a positive integer, got "x+"…\(100000 chars\)$/ },
    // A command whose modules refuse to load (a bad environment setting read at load time).
    {
      args: ['inspect', 'outcome', '00'],
      env: { DKG_STREAM_BLS_BACKEND: long },
      code: 1,
      says: /^dkg-stream inspect: DKG_STREAM_BLS_BACKEND must be noble, mcl or auto \(got "x+"…\(100000 chars\)\)$/,
    },
    // A name that is a property of every object is still an unknown command, not a crash.
    { args: ['constructor'], code: 2, says: /^dkg-stream: unknown command "constructor"$/ },
  ];
  for (const c of cases) {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'dkg-stream.js'), ...c.args], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DKG_STREAM_CONFIG: '', ...c.env },
    });
    const what = `${c.args.map((a) => a.slice(0, 20)).join(' ')} ${Object.keys(c.env ?? {}).join(' ')}`;
    assert.equal(r.status, c.code, `${what}: exit code (stderr: ${r.stderr.slice(0, 300)})`);
    const first = r.stderr.split('\n')[0]!;
    assert.match(first, c.says, what);
    assert.ok(first.length < 400, `${what}: the error line is short (${first.length} chars)`);
    assert.ok(r.stderr.length < 10_000, `${what}: stderr is bounded (${r.stderr.length} chars)`);
    // Usage errors add the usage text; any other failure is that one line and nothing else (no stack).
    if (c.code === 1) assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line (stderr: ${r.stderr.slice(0, 300)})`);
  }
});
