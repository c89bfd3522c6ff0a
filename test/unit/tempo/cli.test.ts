/**
 * The operator CLI, end to end: `node bin/dkg-stream.js inspect|verify ...` as a child process,
 * checking stdout JSON, exit codes and stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFinalization, decodeFinalization } from '../../../src/tempo/finalization.ts';
import { bytesToHex } from '../../../src/tempo/hex.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin', 'dkg-stream.js');
const json = (p: string) => JSON.parse(readFileSync(join(root, 'test', 'fixtures', p), 'utf8'));

const presto = json('tempo-chain/presto-genesis.json');
const block1 = json('tempo-chain/presto-block-1.json');
const golden = json('tempo-chain/golden-frame.json');
const identities = json('tempo-chain/network-identities.json');
const certs = json('tempo/certificates.json');
const cert = (name: string) => certs.cases.find((c: { name: string }) => c.name === name) as { hex: string; identity: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(r: Run): unknown {
  assert.equal(r.code, 0, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON document on stdout');
  return JSON.parse(lines[0]!);
}

function failed(r: Run, code: number, stderr: RegExp): void {
  assert.equal(r.code, code, `exit code (stdout: ${r.stdout}, stderr: ${r.stderr})`);
  assert.match(r.stderr, stderr);
}

const tmp = mkdtempSync(join(tmpdir(), 'dkg-stream-cli-'));

test('inspect outcome: the Presto genesis outcome (0x-prefixed hex) with the mainnet identity', async () => {
  const out = ok(await cli('inspect', 'outcome', presto.extraData)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ['epoch', 'summary', 'sharing', 'identity', 'dealers', 'players', 'revealed', 'nextPlayers', 'isNextFullDkg']);
  assert.equal(out.epoch, 0);
  assert.equal(out.summary, '687c3cb4fb7123e100ca45a358a2df35ab116172489435cc6c61586a4d6317e3');
  const sharing = out.sharing as { mode: number; total: number; coefficients: string[] };
  assert.equal(sharing.mode, 0);
  assert.equal(sharing.total, 4);
  assert.equal(sharing.coefficients.length, 3);
  assert.equal(sharing.coefficients[0], identities.mainnet.identity);
  assert.equal(out.identity, identities.mainnet.identity);
  assert.equal((out.players as string[]).length, 4);
  assert.ok((out.players as string[]).every((k) => /^[0-9a-f]{64}$/.test(k)));
  assert.deepEqual(out.revealed, []);
  assert.deepEqual(out.nextPlayers, out.players);
  assert.equal(out.isNextFullDkg, false);
  // same without 0x
  assert.deepEqual(ok(await cli('inspect', 'outcome', presto.extraData.slice(2))), out);
});

test('inspect outcome: bad input fails with a clear message and no stdout', async () => {
  const bad = await cli('inspect', 'outcome', 'xyzw');
  failed(bad, 1, /not a hex string/);
  assert.equal(bad.stdout, '');
  const truncated = await cli('inspect', 'outcome', presto.extraData.slice(0, 200));
  failed(truncated, 1, /not a DKG outcome: EndOfBuffer/);
  assert.equal(truncated.stdout, '');
  failed(await cli('inspect', 'outcome', presto.extraData + '00'), 1, /ExtraData/);
  failed(await cli('inspect', 'outcome'), 2, /missing <hex>/);
});

test('inspect finalization: the golden frame certificate; large numbers become strings', async () => {
  const out = ok(await cli('inspect', 'finalization', golden.frame.slice(2)));
  assert.deepEqual(out, {
    epoch: 0,
    view: 1,
    parent: 0,
    payload: golden.expected.payload,
    voteSignature: golden.expected.voteSignature,
    seedSignature: golden.expected.seedSignature,
  });
  const f = decodeFinalization(golden.frame.slice(2));
  const big = bytesToHex(encodeFinalization({ ...f, proposal: { ...f.proposal, epoch: 1n << 60n, view: 2n ** 53n - 1n } }));
  const out2 = ok(await cli('inspect', 'finalization', '0x' + big)) as Record<string, unknown>;
  assert.equal(out2.epoch, '1152921504606846976');
  assert.equal(out2.view, 9007199254740991);
  failed(await cli('inspect', 'finalization', golden.frame.slice(2) + '00'), 1, /ExtraData/);
  failed(await cli('inspect', 'finalization', golden.frame.slice(2, 40)), 1, /EndOfBuffer/);
});

test('inspect header: Presto block 1 (real) hashes to its on-chain hash', async () => {
  const file = join(tmp, 'block1.json');
  writeFileSync(file, JSON.stringify(block1.header));
  assert.deepEqual(ok(await cli('inspect', 'header', file, '--epoch-length', '21600')), {
    hash: block1.hash,
    number: 1,
    epoch: 0,
    isBoundary: false,
    extraDataKind: 'empty',
  });
  // a certified block ({"block": {"header": ...}}) is accepted too
  const wrapped = join(tmp, 'certified.json');
  writeFileSync(wrapped, JSON.stringify({ epoch: 0, view: 1, block: { header: block1.header, body: {} } }));
  assert.equal((ok(await cli('inspect', 'header', wrapped, '--epoch-length=21600')) as { hash: string }).hash, block1.hash);
});

test('inspect header: boundary blocks carry an outcome, others a dealer log', async () => {
  const boundary = join(tmp, 'boundary.json');
  writeFileSync(boundary, JSON.stringify({ ...block1.header, number: '0x545f', extraData: presto.extraData }));
  const b = ok(await cli('inspect', 'header', boundary, '--epoch-length', '21600')) as Record<string, unknown>;
  assert.equal(b.number, 21599);
  assert.equal(b.epoch, 0);
  assert.equal(b.isBoundary, true);
  assert.equal(b.extraDataKind, 'outcome');
  assert.notEqual(b.hash, block1.hash);
  const log = join(tmp, 'log.json');
  writeFileSync(log, JSON.stringify({ ...block1.header, number: '0x5460', extraData: '0x0102' }));
  const l = ok(await cli('inspect', 'header', log, '--epoch-length', '21600')) as Record<string, unknown>;
  assert.deepEqual([l.number, l.epoch, l.isBoundary, l.extraDataKind], [21600, 1, false, 'dealerLog']);
  const badBoundary = join(tmp, 'bad-boundary.json');
  writeFileSync(badBoundary, JSON.stringify({ ...block1.header, number: '0x545f', extraData: '0x0102' }));
  failed(await cli('inspect', 'header', badBoundary, '--epoch-length', '21600'), 1, /not a DKG outcome/);
});

test('inspect header: usage and input errors', async () => {
  const file = join(tmp, 'block1b.json');
  writeFileSync(file, JSON.stringify(block1.header));
  failed(await cli('inspect', 'header', file), 2, /needs --epoch-length/);
  failed(await cli('inspect', 'header', file, '--epoch-length', '0'), 2, /positive/);
  failed(await cli('inspect', 'header', join(tmp, 'missing.json'), '--epoch-length', '10'), 1, /cannot read .*ENOENT/);
  const notJson = join(tmp, 'not.json');
  writeFileSync(notJson, '{');
  failed(await cli('inspect', 'header', notJson, '--epoch-length', '10'), 1, /is not JSON/);
  const badField = join(tmp, 'bad-field.json');
  writeFileSync(badField, JSON.stringify({ ...block1.header, stateRoot: '0x12' }));
  failed(await cli('inspect', 'header', badField, '--epoch-length', '10'), 1, /header\.stateRoot: expected 32 bytes/);
  failed(await cli('inspect', 'nonsense', 'x'), 2, /unknown <what> 'nonsense'/);
  failed(await cli('inspect', 'outcome', '00', '--bogus'), 2, /unknown option --bogus/);
});

test('verify finalization: valid certificate → {"valid": true}, exit 0', async () => {
  const c = cert('valid');
  assert.deepEqual(ok(await cli('verify', 'finalization', '--identity', c.identity, c.hex)), { valid: true, reason: null });
});

test('verify finalization: wrong key, bad seed, bad vote, trailing byte → valid false, exit 1, reason on stderr', async () => {
  const cases: Array<[string, RegExp]> = [
    ['wrong_key', /neither the vote .* nor the seed/],
    ['bad_seed_signature', /^seed signature/],
    ['bad_vote_signature', /^vote signature/],
    ['trailing_byte', /^malformed certificate: ExtraData/],
    ['vote_signature_infinity', /not a valid G1 point/],
  ];
  for (const [name, reason] of cases) {
    const c = cert(name);
    const r = await cli('verify', 'finalization', '--identity', c.identity, c.hex);
    assert.equal(r.code, 1, name);
    const out = JSON.parse(r.stdout) as { valid: boolean; reason: string };
    assert.equal(out.valid, false, name);
    assert.match(out.reason, reason, name);
    assert.match(r.stderr, /invalid finalization/, name);
  }
});

test('verify finalization: named network identities, invalid identity, usage errors', async () => {
  const r = await cli('verify', 'finalization', '--identity', 'mainnet', golden.frame.slice(2));
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stdout).valid, false, 'the golden frame was not signed by the mainnet identity');
  const bad = await cli('verify', 'finalization', '--identity', '00'.repeat(96), cert('valid').hex);
  assert.equal(bad.code, 1);
  assert.match(JSON.parse(bad.stdout).reason, /identity is not a valid G2 point/);
  failed(await cli('verify', 'finalization', cert('valid').hex), 2, /missing --identity/);
  failed(await cli('verify', 'notarization', '--identity', 'mainnet', '00'), 2, /expected finalization/);
  failed(await cli('verify', 'finalization', '--identity', 'zz', '00'), 1, /not a hex string/);
});
