/**
 * The operator CLI, end to end: `node bin/dkg-stream.js inspect|verify ...` as a child process,
 * checking stdout JSON, exit codes and stderr.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeFinalization, encodeFinalization } from '../../../src/tempo/finalization.ts';
import { encodeTempoHeader, tempoHeaderFromJson } from '../../../src/tempo/header.ts';
import { bytesToHex } from '../../../src/tempo/hex.ts';
import { encodeBytes, encodeListOf } from '../../../src/tempo/rlp.ts';

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
  assert.deepEqual(Object.keys(out), ['epoch', 'summary', 'sharing', 'identity', 'dealers', 'players', 'revealed', 'nextPlayers', 'isNextFullDkg', 'trailingBytes']);
  assert.equal(out.trailingBytes, 0);
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
  // Bytes after the outcome: tolerated as tempo reads extraData, and counted.
  assert.equal((ok(await cli('inspect', 'outcome', presto.extraData + '00')) as { trailingBytes: number }).trailingBytes, 1);
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

test("inspect header: boundary blocks must carry the next epoch's outcome, others a dealer log", async () => {
  const boundary = join(tmp, 'boundary.json');
  writeFileSync(boundary, JSON.stringify({ ...block1.header, number: '0x545f', extraData: presto.extraData }));
  // The genesis outcome (epoch 0) at the boundary of epoch 0: the outcome must be for epoch 1.
  failed(await cli('inspect', 'header', boundary, '--epoch-length', '21600'), 1, /outcome: boundary block 21599 of epoch 0 carries the outcome of epoch 0, expected 1/);
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
  failed(await cli('inspect', 'nonsense', 'x'), 2, /unknown <what> "nonsense"/);
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
  // A malformed identity is a usage error (issue 16): it says nothing about the certificate.
  failed(await cli('verify', 'finalization', '--identity', '00'.repeat(96), cert('valid').hex), 2, /--identity: identity is not a valid G2 point/);
  failed(await cli('verify', 'finalization', '--identity', '00ff', cert('valid').hex), 2, /--identity: identity is not a valid G2 point/);
  failed(await cli('verify', 'finalization', cert('valid').hex), 2, /missing --identity/);
  failed(await cli('verify', 'notarization', '--identity', 'mainnet', '00'), 2, /expected finalization/);
  failed(await cli('verify', 'finalization', '--identity', 'zz', '00'), 2, /not a hex string/);
});

// ---- real Presto mainnet data (test/fixtures/tempo-chain/README.md) ----

const real = json('tempo-chain/presto-1514-1515.hyperbridge.json') as Record<string, { finalization: string; block: Record<string, unknown> }>;
const write = (name: string, content: unknown) => {
  const file = join(tmp, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};
const headerHex = (blk: Record<string, unknown>) => bytesToHex(encodeTempoHeader(tempoHeaderFromJson(blk)));
/** `debug_getRawBlock`-style RLP: [header, transactions, ommers, withdrawals]. */
const blockHex = (blk: Record<string, unknown>, txs: Uint8Array[] = []) =>
  bytesToHex(encodeListOf([encodeTempoHeader(tempoHeaderFromJson(blk)), encodeListOf(txs.map(encodeBytes)), encodeListOf([]), encodeListOf([])]));

test("inspect header: the real Presto boundary (JSON with its hash) carries epoch 1515's outcome under the mainnet identity", async () => {
  const out = ok(await cli('inspect', 'header', write('presto-boundary.json', real.boundary!.block), '--epoch-length', '21600')) as Record<string, any>;
  assert.equal(out.hash, real.boundary!.block.hash);
  assert.deepEqual([out.number, out.epoch, out.isBoundary, out.extraDataKind], [32723999, 1514, true, 'outcome']);
  assert.deepEqual(out.consensusContext, { epoch: 1514, view: 21600, parentView: 21599, proposer: '0x2979a64f27d1acdbcafe6a01838c10b0cd174b3c642f851162ab194a45e302cd' });
  assert.deepEqual(out.outcome, { epoch: 1515, identity: identities.mainnet.identity, isNextFullDkg: false, players: 15, trailingBytes: 0 });
});

test('inspect header / block: JSON or raw RLP hex, auto-detected (inline, file, JSON-RPC response), same answer', async () => {
  const blk = real.regular!.block;
  const fromJson = ok(await cli('inspect', 'header', write('presto-regular.json', blk), '--epoch-length', '21600')) as Record<string, unknown>;
  assert.equal(fromJson.hash, blk.hash);
  const fromRlp = ok(await cli('inspect', 'header', '0x' + headerHex(blk), '--epoch-length', '21600'));
  assert.deepEqual(fromRlp, fromJson, 'inline RLP hex of the header');
  const raw = blockHex(blk, [Uint8Array.of(2, 0xc0)]);
  assert.deepEqual(ok(await cli('inspect', 'header', raw, '--epoch-length', '21600')), fromJson, 'a whole block: its header');
  const rpcFile = write('raw-block.json', { jsonrpc: '2.0', id: 1, result: '0x' + raw });
  const b = ok(await cli('inspect', 'block', rpcFile, '--epoch-length', '21600')) as Record<string, unknown>;
  assert.deepEqual(b, { ...fromJson, format: 'rlp-block', transactions: 1, ommers: 0, withdrawals: 0 });
  const bj = ok(await cli('inspect', 'block', write('block.json', { header: blk, body: { transactions: [], ommers: [], withdrawals: null } }), '--epoch-length', '21600')) as Record<string, unknown>;
  assert.deepEqual([bj.format, bj.transactions, bj.withdrawals, bj.hash], ['json', 0, null, blk.hash]);
  failed(await cli('inspect', 'block', '0x' + headerHex(blk), '--epoch-length', '21600'), 1, /is a header, not a block/);
  failed(await cli('inspect', 'block', raw + '00', '--epoch-length', '21600'), 1, /not an RLP block/);
});

test('inspect header fails (exit 1, the reason) on a hash mismatch, a consensus context in another epoch, a boundary without an outcome', async () => {
  const blk = real.regular!.block;
  const badHash = await cli('inspect', 'header', write('bad-hash.json', { ...blk, hash: real.boundary!.block.hash }), '--epoch-length', '21600');
  failed(badHash, 1, /header check failed: hash: the claimed hash 0x9e0a3e45.* is not keccak\(rlp\(header\)\) 0x9f70ab73/);
  assert.equal(badHash.stdout, '');
  const ctx = blk.consensusContext as Record<string, unknown>;
  failed(
    await cli('inspect', 'header', write('bad-ctx.json', { ...blk, hash: undefined, consensusContext: { ...ctx, epoch: 1514 } }), '--epoch-length', '21600'),
    1,
    /consensusContext: context epoch 1514 but block 32724390 is in epoch 1515/,
  );
  failed(await cli('inspect', 'header', write('bad-ctx-l.json', blk), '--epoch-length', '10800'), 1, /consensusContext: context epoch 1515 but block 32724390 is in epoch 3030 \(L = 10800\)/);
  const bnd = real.boundary!.block;
  const empty = await cli('inspect', 'header', write('empty-boundary.json', { ...bnd, hash: undefined, extraData: '0x' }), '--epoch-length', '21600');
  failed(empty, 1, /outcome: boundary block 32723999 of epoch 1514 must carry a DKG outcome: empty extraData/);
  failed(
    await cli('inspect', 'header', write('log-boundary.json', { ...bnd, hash: undefined, extraData: '0x0102' }), '--epoch-length', '21600'),
    1,
    /must carry a DKG outcome: extraData \(2 B\) is not a DKG outcome/,
  );
  // Bytes after a valid outcome are what tempo tolerates: accepted and counted.
  const padded = ok(await cli('inspect', 'header', write('padded-boundary.json', { ...bnd, hash: undefined, extraData: bnd.extraData + 'dead' }), '--epoch-length', '21600')) as Record<string, any>;
  assert.equal(padded.outcome.trailingBytes, 2);
  // A wrong outcome epoch (the boundary read under another L is not a boundary; at L=1 every block is one).
  failed(
    await cli('inspect', 'header', write('presto-boundary-l1.json', bnd), '--epoch-length', '1'),
    1,
    /outcome: boundary block 32723999 of epoch 32723999 carries the outcome of epoch 1515, expected 32724000/,
  );
});

test('error lines stay one line: a huge offending value is cut, not echoed', async () => {
  const blk = real.regular!.block;
  const r = await cli('inspect', 'header', write('huge.json', { ...blk, gasUsed: '0x' + 'zz'.repeat(200_000) }), '--epoch-length', '21600');
  failed(r, 1, /header\.gasUsed: expected a hex quantity/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.ok(r.stderr.length < 600, `stderr is ${r.stderr.length} chars`);
  const v = await cli('verify', 'block', '--epoch-length', '21600', '--identity', 'mainnet', write('huge-cert.hex', 'ab'.repeat(300_000)), write('huge-ok.json', blk));
  assert.equal(v.code, 1);
  assert.equal(v.stderr.trim().split('\n').length, 1);
  assert.ok(v.stderr.length < 1200, `stderr is ${v.stderr.length} chars`);
});

test('verify block: the real certificate finalizes the real header (JSON or RLP block), each check printed; any failed check → exit 1', async () => {
  const rcert = real.regular!.finalization;
  const reg = real.regular!.block;
  assert.deepEqual(ok(await cli('verify', 'finalization', '--identity', 'mainnet', rcert)), { valid: true, reason: null });
  assert.deepEqual(ok(await cli('verify', 'finalization', '--identity', 'mainnet', real.boundary!.finalization)), { valid: true, reason: null });
  const good = ok(await cli('verify', 'block', '--epoch-length', '21600', '--identity', 'mainnet', rcert, write('v-regular.json', reg))) as {
    valid: boolean;
    height: number;
    view: number;
    checks: Array<{ check: string; ok: boolean }>;
  };
  assert.equal(good.valid, true);
  assert.deepEqual([good.height, good.view], [32724390, 391]);
  assert.deepEqual(
    good.checks.map((c) => `${c.check}:${c.ok}`),
    ['certificate:true', 'payload:true', 'epoch:true', 'hash:true', 'consensusContext:true'],
  );
  // The boundary, its certificate in a file, the block as raw RLP: + the outcome check.
  const bnd = ok(
    await cli('verify', 'block', '--epoch-length=21600', '--identity', identities.mainnet.identity, write('bcert.hex', real.boundary!.finalization + '\n'), blockHex(real.boundary!.block)),
  ) as { valid: boolean; checks: Array<{ check: string; ok: boolean }> };
  assert.equal(bnd.valid, true);
  assert.deepEqual(
    bnd.checks.map((c) => c.check),
    ['certificate', 'payload', 'epoch', 'consensusContext', 'outcome'],
  );
  // Another block's certificate: payload and epoch fail (the signatures are valid).
  const wrong = await cli('verify', 'block', '--epoch-length', '21600', '--identity', 'mainnet', real.boundary!.finalization, write('v-regular2.json', reg));
  assert.equal(wrong.code, 1);
  const w = JSON.parse(wrong.stdout) as { valid: boolean; checks: Array<{ check: string; ok: boolean }> };
  assert.equal(w.valid, false);
  assert.deepEqual(
    w.checks.filter((c) => !c.ok).map((c) => c.check),
    ['payload', 'epoch'],
  );
  assert.match(wrong.stderr, /block not finalized by this certificate: payload: .*; epoch: certificate epoch 1514 but block 32724390 is in epoch 1515/);
  // The wrong identity: the certificate check fails.
  const other = await cli('verify', 'block', '--epoch-length', '21600', '--identity', 'testnet', rcert, write('v-regular3.json', reg));
  assert.equal(other.code, 1);
  assert.deepEqual(
    (JSON.parse(other.stdout) as { checks: Array<{ check: string; ok: boolean }> }).checks.filter((c) => !c.ok).map((c) => c.check),
    ['certificate'],
  );
  // Usage errors.
  failed(await cli('verify', 'block', '--identity', 'mainnet', rcert, write('v4.json', reg)), 2, /needs --epoch-length/);
  failed(await cli('verify', 'block', '--epoch-length', '21600', rcert, write('v5.json', reg)), 2, /missing --identity/);
  failed(await cli('verify', 'block', '--epoch-length', '21600', '--identity', 'mainnet', rcert), 2, /missing <header\|block>/);
});

test('a real identity rotation (tempo devnet, RLP input): the boundary names the new identity; epoch 1 verifies under it, not under the old one', async () => {
  const dev = json('tempo-chain/devnet-rotation.lc.json') as { epoch0KeyCompressed: string; epoch1KeyCompressed: string; updates: Array<{ headerRlp: string; tempoCertificate: string }> };
  const b = ok(await cli('inspect', 'header', dev.updates[1]!.headerRlp, '--epoch-length', '10')) as Record<string, any>;
  assert.deepEqual([b.number, b.isBoundary, b.outcome.epoch, b.outcome.identity], [9, true, 1, dev.epoch1KeyCompressed]);
  const e1 = dev.updates[2]!;
  const good = ok(await cli('verify', 'block', '--epoch-length', '10', '--identity', dev.epoch1KeyCompressed, e1.tempoCertificate, e1.headerRlp)) as { valid: boolean };
  assert.equal(good.valid, true);
  const stale = await cli('verify', 'block', '--epoch-length', '10', '--identity', dev.epoch0KeyCompressed, e1.tempoCertificate, e1.headerRlp);
  assert.equal(stale.code, 1);
  assert.deepEqual(
    (JSON.parse(stale.stdout) as { checks: Array<{ check: string; ok: boolean }> }).checks.filter((c) => !c.ok).map((c) => c.check),
    ['certificate'],
  );
});
