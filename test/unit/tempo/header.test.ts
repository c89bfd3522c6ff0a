import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ed25519FromSeed, ed25519IsValidPublicKey, ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import {
  decodeTempoHeader,
  EMPTY_OMMERS_HASH,
  EMPTY_ROOT_HASH,
  encodeTempoHeader,
  HeaderDecodeError,
  HeaderJsonError,
  InvalidHeader,
  type TempoHeader,
  tempoHeaderFromJson,
  tempoHeaderHash,
  tempoHeaderToJson,
} from '../../../src/tempo/header.ts';
import { bytesTo0x, bytesToHex, hexToBytes } from '../../../src/tempo/hex.ts';
import { encodeListOf, RlpReader } from '../../../src/tempo/rlp.ts';
import { TestRng } from '../../support/rng.ts';

const proposerKey = (seed: number) => ed25519PublicKey(ed25519FromSeed(seed));

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/tempo-chain/${name}`, import.meta.url), 'utf8'));
const block1 = fixture('presto-block-1.json');

test('Presto mainnet block 1 (real header) hashes to its published on-chain hash', () => {
  const header = tempoHeaderFromJson(block1.header);
  assert.equal(header.inner.number, 1n);
  assert.equal(header.consensusContext, undefined);
  assert.equal(bytesTo0x(tempoHeaderHash(header)), block1.hash);
  assert.equal(block1.hash, '0x76e86f9739fbe17669b01b24e976ac214742c4b1bbc6ae0c083a87e43a5e9b0f');
});

test('Presto block 1: RLP and JSON round trips are exact', () => {
  const header = tempoHeaderFromJson(block1.header);
  const rlp = encodeTempoHeader(header);
  const back = decodeTempoHeader(rlp);
  assert.deepEqual(back, header);
  assert.deepEqual(encodeTempoHeader(back), rlp);
  assert.deepEqual(tempoHeaderToJson(header), block1.header);
});

test('the inner header is a nested list, and the Tempo fields come first', () => {
  const rlp = encodeTempoHeader(tempoHeaderFromJson(block1.header));
  const outer = new RlpReader(rlp).list();
  assert.equal(outer.u64(), 0xd693a40n);
  assert.equal(outer.u64(), 0x2faf080n);
  assert.equal(outer.u64(), 0x2c5n);
  const inner = outer.list();
  assert.equal(bytesToHex(inner.fixed(32)), '49d7ec7085e77bf5a403d0fcb4cfc42a4084a89dfff60477579c5e09c9e03c54');
  outer.finish();
});

test('changing any single field changes the hash', () => {
  const base = tempoHeaderFromJson(block1.header);
  const hash = bytesToHex(tempoHeaderHash(base));
  const variants: TempoHeader[] = [
    { ...base, generalGasLimit: base.generalGasLimit + 1n },
    { ...base, timestampMillisPart: 0n },
    { ...base, inner: { ...base.inner, number: 2n } },
    { ...base, inner: { ...base.inner, extraData: Uint8Array.of(1) } },
    { ...base, inner: { ...base.inner, requestsHash: undefined } },
    { ...base, consensusContext: { epoch: 0n, view: 1n, parentView: 0n, proposer: proposerKey(1) } },
  ];
  for (const v of variants) assert.notEqual(bytesToHex(tempoHeaderHash(v)), hash);
});

const ctxHeader = (): TempoHeader => ({
  generalGasLimit: 15_000_000n,
  sharedGasLimit: 5_000_000n,
  timestampMillisPart: 123n,
  inner: {
    parentHash: new Uint8Array(32).fill(0x11),
    ommersHash: EMPTY_OMMERS_HASH,
    beneficiary: new Uint8Array(20).fill(0xbe),
    stateRoot: EMPTY_ROOT_HASH,
    transactionsRoot: EMPTY_ROOT_HASH,
    receiptsRoot: EMPTY_ROOT_HASH,
    logsBloom: new Uint8Array(256),
    difficulty: 0n,
    number: 21599n,
    gasLimit: 500_000_000n,
    gasUsed: 21_000n,
    timestamp: 1_780_000_000n,
    extraData: Uint8Array.of(0, 1, 2),
    mixHash: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFeePerGas: 10_000_000_000n,
    withdrawalsRoot: EMPTY_ROOT_HASH,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
    parentBeaconBlockRoot: new Uint8Array(32),
    requestsHash: new Uint8Array(32).fill(0xe3),
  },
  consensusContext: { epoch: 0n, view: 77n, parentView: 76n, proposer: proposerKey(42) },
});

test('a header with consensus context round-trips through RLP and JSON (plain JSON numbers)', () => {
  const h = ctxHeader();
  assert.deepEqual(decodeTempoHeader(encodeTempoHeader(h)), h);
  const json = tempoHeaderToJson(h);
  assert.deepEqual(json.consensusContext, { epoch: 0, view: 77, parentView: 76, proposer: bytesTo0x(proposerKey(42)) });
  assert.deepEqual(tempoHeaderFromJson(JSON.parse(JSON.stringify(json))), h);
});

test('an explicit empty item in place of the absent consensus context is rejected', () => {
  const h = ctxHeader();
  delete h.consensusContext;
  const rlp = encodeTempoHeader(h);
  const outer = new RlpReader(rlp).list();
  const items: Uint8Array[] = [];
  while (outer.remaining > 0) {
    const before = outer.remaining;
    const start = rlp.length - before;
    outer.item();
    items.push(rlp.subarray(start, rlp.length - outer.remaining));
  }
  const malformed = encodeListOf([...items, Uint8Array.of(0x80)]);
  assert.throws(() => decodeTempoHeader(malformed), HeaderDecodeError);
  assert.deepEqual(decodeTempoHeader(encodeListOf(items)), h);
});

test('strict decoding: trailing bytes, truncation, wrong field sizes, non-canonical integers', () => {
  const rlp = encodeTempoHeader(ctxHeader());
  assert.throws(() => decodeTempoHeader(Uint8Array.of(...rlp, 0)), HeaderDecodeError);
  for (const cut of [0, 1, 10, rlp.length - 1]) assert.throws(() => decodeTempoHeader(rlp.subarray(0, cut)), HeaderDecodeError);
  // a context with a 31-byte proposer
  const h = ctxHeader();
  h.consensusContext!.proposer = new Uint8Array(31);
  assert.throws(() => encodeTempoHeader(h), InvalidHeader);
  // generalGasLimit written as 0x820001 (leading zero) instead of 0x01
  const good = encodeTempoHeader({ ...ctxHeader(), generalGasLimit: 1n });
  const hex = bytesToHex(good);
  const patched = hexToBytes(hex.replace(/^(f9)([0-9a-f]{4})01/, (_m, p, len) => p + (parseInt(len, 16) + 2).toString(16).padStart(4, '0') + '820001'));
  assert.notEqual(bytesToHex(patched), hex);
  assert.throws(() => decodeTempoHeader(patched), HeaderDecodeError);
});

test('a consensus context whose proposer is not an ed25519 point is rejected (RLP, JSON, encode)', () => {
  let bad: Uint8Array | undefined;
  for (let i = 0; i < 256 && bad === undefined; i++) {
    const cand = new Uint8Array(32).fill(0x42);
    cand[0] = i;
    if (!ed25519IsValidPublicKey(cand)) bad = cand;
  }
  assert.ok(bad);
  const h = ctxHeader();
  const good = encodeTempoHeader(h);
  const proposer = h.consensusContext!.proposer;
  const at = bytesToHex(good).lastIndexOf(bytesToHex(proposer)) / 2;
  assert.equal(at, good.length - 32, 'the proposer is the last field');
  const malformed = Uint8Array.from(good);
  malformed.set(bad, at);
  assert.throws(
    () => decodeTempoHeader(malformed),
    (e: unknown) => e instanceof InvalidHeader && e.field === 'consensusContext.proposer',
  );
  h.consensusContext!.proposer = bad;
  assert.throws(() => encodeTempoHeader(h), InvalidHeader);
  const json = tempoHeaderToJson(ctxHeader());
  json.consensusContext!.proposer = bytesTo0x(bad);
  assert.throws(
    () => tempoHeaderFromJson(json),
    (e: unknown) => e instanceof HeaderJsonError && e.field === 'consensusContext.proposer',
  );
});

test('optional inner fields must not have gaps', () => {
  const h = ctxHeader();
  h.inner.blobGasUsed = undefined;
  assert.throws(() => encodeTempoHeader(h), /excessBlobGas is present but the earlier optional field blobGasUsed is not/);
  const json = tempoHeaderToJson(ctxHeader()) as unknown as Record<string, unknown>;
  delete json.withdrawalsRoot;
  assert.throws(() => tempoHeaderFromJson(json), HeaderJsonError);
});

test('JSON parsing: clear typed errors naming the field', () => {
  const base = block1.header as Record<string, unknown>;
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...base, parentHash: undefined }, 'parentHash'],
    [{ ...base, stateRoot: '0x1234' }, 'stateRoot'],
    [{ ...base, number: 1 }, 'number'],
    [{ ...base, gasLimit: '0xzz' }, 'gasLimit'],
    [{ ...base, timestamp: '0x1' + '0'.repeat(16) }, 'timestamp'],
    [{ ...base, mainBlockGeneralGasLimit: undefined }, 'mainBlockGeneralGasLimit'],
    [{ ...base, consensusContext: { epoch: '1', view: 1, parentView: 0, proposer: '0x' + '00'.repeat(32) } }, 'consensusContext.epoch'],
  ];
  for (const [json, field] of cases) {
    assert.throws(
      () => tempoHeaderFromJson(json),
      (err: unknown) => err instanceof HeaderJsonError && err.field === field,
      field,
    );
  }
  assert.throws(() => tempoHeaderFromJson([]), HeaderJsonError);
  // the June 2026 {"header": {...}} wrapper and unknown fields are tolerated
  assert.equal(bytesTo0x(tempoHeaderHash(tempoHeaderFromJson({ header: { ...base, hash: '0xdead' } }))), block1.hash);
});

function randomHeader(rng: TestRng): TempoHeader {
  const inner: TempoHeader['inner'] = {
    parentHash: rng.bytes(32),
    ommersHash: rng.bytes(32),
    beneficiary: rng.bytes(20),
    stateRoot: rng.bytes(32),
    transactionsRoot: rng.bytes(32),
    receiptsRoot: rng.bytes(32),
    logsBloom: rng.bytes(256),
    difficulty: rng.bool() ? 0n : rng.bigBits(rng.int(65)) * rng.bigBits(rng.int(65)),
    number: rng.bigBits(rng.int(65)),
    gasLimit: rng.bigBits(rng.int(65)),
    gasUsed: rng.bigBits(rng.int(65)),
    timestamp: rng.bigBits(rng.int(65)),
    extraData: rng.bytes(rng.pick([0, 1, 55, 56, 716])),
    mixHash: rng.bytes(32),
    nonce: rng.bytes(8),
  };
  const optional = ['baseFeePerGas', 'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas', 'parentBeaconBlockRoot', 'requestsHash', 'blockAccessListHash', 'slotNumber'] as const;
  const n = rng.int(optional.length + 1);
  for (const k of optional.slice(0, n)) {
    if (k === 'baseFeePerGas' || k === 'blobGasUsed' || k === 'excessBlobGas' || k === 'slotNumber') inner[k] = rng.bigBits(rng.int(65));
    else inner[k] = rng.bytes(32);
  }
  const h: TempoHeader = { generalGasLimit: rng.bigBits(rng.int(65)), sharedGasLimit: rng.bigBits(rng.int(65)), timestampMillisPart: rng.bigBits(rng.int(65)), inner };
  if (rng.bool()) {
    const small = () => BigInt(rng.int(2 ** 31));
    h.consensusContext = { epoch: small(), view: small(), parentView: small(), proposer: proposerKey(rng.int(1000)) };
  }
  return h;
}

test('property: random headers round-trip through RLP and JSON with a stable hash (seeded)', () => {
  const rng = new TestRng(0x5eed_0003);
  for (let i = 0; i < 200; i++) {
    const h = randomHeader(rng);
    const rlp = encodeTempoHeader(h);
    assert.deepEqual(decodeTempoHeader(rlp), h);
    const viaJson = tempoHeaderFromJson(JSON.parse(JSON.stringify(tempoHeaderToJson(h))));
    assert.deepEqual(viaJson, h);
    assert.deepEqual(tempoHeaderHash(viaJson), tempoHeaderHash(h));
  }
});
