import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { CodecErrorKind } from '../../../src/codec/index.ts';
import { G2, type G2Point, Poly, Sharing } from '../../../src/crypto/bls12381/index.ts';
import { ed25519FromSeed, ed25519IsValidPublicKey, ed25519PublicKey } from '../../../src/crypto/ed25519.ts';
import { bytesToHex, compareBytes, hexToBytes } from '../../../src/tempo/hex.ts';
import { MAINNET_NETWORK_IDENTITY, MODERATO_IDENTITY_FROM_1747, TESTNET_NETWORK_IDENTITY } from '../../../src/tempo/network-identity.ts';
import {
  classifyExtraData,
  decodeOnchainDkgOutcome,
  encodeOnchainDkgOutcome,
  MAX_VALIDATORS,
  networkIdentityFromExtraData,
  type OnchainDkgOutcome,
  OutcomeDecodeError,
  outcomeCoefficients,
  outcomeIdentity,
  readBoundaryOutcome,
  readOnchainDkgOutcomePrefix,
} from '../../../src/tempo/outcome.ts';
import { TestRng } from '../../support/rng.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/tempo-chain/${name}`, import.meta.url), 'utf8'));
const presto = fixture('presto-genesis.json');
const moderato = fixture('moderato-genesis.json');
const identities = fixture('network-identities.json');
const prestoBytes = hexToBytes(presto.extraData);

// Byte layout of a 4-validator outcome with 3 coefficients (see src/tempo/outcome.ts).
const AT = { epoch: 0, summary: 1, mode: 33, total: 34, polyCount: 38, coeffs: 39, dealersCount: 327, dealers: 328, playersCount: 456, revealedCount: 585, nextCount: 586, full: 715 };

function failsWith(bytes: Uint8Array, kind: CodecErrorKind, message?: RegExp): void {
  assert.throws(
    () => decodeOnchainDkgOutcome(bytes),
    (err: unknown) => {
      assert.ok(err instanceof OutcomeDecodeError, `expected OutcomeDecodeError, got ${String(err)}`);
      assert.equal(err.codecError.kind, kind, err.message);
      if (message) assert.match(err.codecError.message, message);
      return true;
    },
  );
}

function patched(at: number, ...bytes: number[]): Uint8Array {
  const b = Uint8Array.from(prestoBytes);
  b.set(bytes, at);
  return b;
}

test('Presto mainnet genesis extraData (real) decodes, and its identity is the published mainnet identity', () => {
  assert.equal(presto.chainId, 4217);
  assert.equal(prestoBytes.length, 716);
  const o = decodeOnchainDkgOutcome(prestoBytes);
  assert.equal(o.epoch, 0n);
  assert.equal(bytesToHex(o.output.summary), '687c3cb4fb7123e100ca45a358a2df35ab116172489435cc6c61586a4d6317e3');
  assert.equal(o.output.sharing.mode, 0);
  assert.equal(o.output.sharing.total, 4);
  assert.equal(outcomeCoefficients(o).length, 3);
  assert.equal(bytesToHex(outcomeIdentity(o)), identities.mainnet.identity);
  assert.deepEqual(outcomeIdentity(o), MAINNET_NETWORK_IDENTITY.identity);
  assert.deepEqual(
    o.output.players.map((k) => bytesToHex(k).slice(0, 8)),
    ['45dd2bdd', '5bb7bf31', '82bb74d4', '89dbf7ef'],
  );
  assert.deepEqual(o.output.dealers, o.output.players);
  assert.deepEqual(o.nextPlayers, o.output.players);
  assert.deepEqual(o.output.revealed, []);
  assert.equal(o.isNextFullDkg, false);
  assert.deepEqual(encodeOnchainDkgOutcome(o), prestoBytes, 're-encodes byte for byte');
  assert.deepEqual(networkIdentityFromExtraData(prestoBytes), { identity: MAINNET_NETWORK_IDENTITY.identity, fromEpoch: 0n });
  assert.equal(MAINNET_NETWORK_IDENTITY.fromEpoch, BigInt(identities.mainnet.fromEpoch));
});

test('Moderato testnet genesis extraData (real) decodes; its genesis identity was rotated before epoch 51', () => {
  assert.equal(moderato.chainId, 42431);
  const bytes = hexToBytes(moderato.extraData);
  const o = decodeOnchainDkgOutcome(bytes);
  assert.equal(o.epoch, 0n);
  assert.equal(o.output.players.length, 4);
  assert.equal(outcomeCoefficients(o).length, 3);
  const id = bytesToHex(outcomeIdentity(o));
  assert.ok(id.startsWith('b5933dc6') && id.endsWith('5a5ebc49'), id);
  assert.notEqual(id, identities.testnet.identity);
  assert.deepEqual(encodeOnchainDkgOutcome(o), bytes);
  assert.equal(TESTNET_NETWORK_IDENTITY.fromEpoch, BigInt(identities.testnet.fromEpoch));
});

test('the compiled network identities are valid G2 points that re-encode identically', () => {
  for (const id of [MAINNET_NETWORK_IDENTITY, TESTNET_NETWORK_IDENTITY, MODERATO_IDENTITY_FROM_1747]) {
    assert.deepEqual(G2.encode(G2.decode(id.identity)), id.identity);
  }
  assert.equal(bytesToHex(TESTNET_NETWORK_IDENTITY.identity), identities.testnet.identity);
  assert.equal(bytesToHex(MAINNET_NETWORK_IDENTITY.identity), identities.mainnet.identity);
  assert.equal(identities.source.commit, 'd656ef5581505b59f1611b358e611f5a602d399e', 'the commit the compiled values cite');
  assert.notEqual(bytesToHex(MODERATO_IDENTITY_FROM_1747.identity), identities.testnet.identity, 'a second rotation, not compiled in');
});

test('strict: trailing bytes are rejected by decode, tolerated by the upstream-style prefix read', () => {
  failsWith(Uint8Array.of(...prestoBytes, 0), 'ExtraData');
  const { outcome, consumed } = readOnchainDkgOutcomePrefix(Uint8Array.of(...prestoBytes, 1, 2, 3));
  assert.equal(consumed, 716);
  assert.equal(outcome.epoch, 0n);
});

test('readBoundaryOutcome reads as tempo does: the outcome prefix, its bytes and the count of trailing bytes', () => {
  const padded = Uint8Array.of(...prestoBytes, 0xde, 0xad, 0xbe);
  const r = readBoundaryOutcome(padded);
  assert.equal(r.trailingBytes, 3);
  assert.deepEqual(r.outcomeBytes, prestoBytes, 'the outcome alone, re-decodable strictly');
  assert.equal(decodeOnchainDkgOutcome(r.outcomeBytes).epoch, 0n);
  assert.equal(readBoundaryOutcome(prestoBytes).trailingBytes, 0);
  assert.deepEqual(networkIdentityFromExtraData(padded), { identity: MAINNET_NETWORK_IDENTITY.identity, fromEpoch: 0n });
  // Bytes that do not start with an outcome still fail (tempo's read fails too).
  assert.throws(() => readBoundaryOutcome(Uint8Array.of(0xde, ...prestoBytes)), OutcomeDecodeError);
  assert.throws(() => readBoundaryOutcome(new Uint8Array()), OutcomeDecodeError);
});

test('truncation anywhere fails with EndOfBuffer', () => {
  for (const cut of [0, 1, 32, 33, 37, 38, 100, 327, 400, 585, 586, 700, 715]) failsWith(prestoBytes.subarray(0, cut), 'EndOfBuffer');
});

test('unsorted or duplicate key sets are rejected (dealers, players, next players)', () => {
  const key = (i: number, base: number) => prestoBytes.subarray(base + 32 * i, base + 32 * i + 32);
  const swapped = (base: number) => {
    const b = Uint8Array.from(prestoBytes);
    b.set(key(1, base), base);
    b.set(key(0, base), base + 32);
    return b;
  };
  const dup = (base: number) => {
    const b = Uint8Array.from(prestoBytes);
    b.set(key(0, base), base + 32);
    return b;
  };
  for (const base of [AT.dealers, AT.dealers + 129, AT.nextCount + 1]) {
    failsWith(swapped(base), 'Invalid', /sorted and unique/);
    failsWith(dup(base), 'Invalid', /sorted and unique/);
  }
});

test('invalid points are rejected: ed25519 key that does not decompress, G2 off-curve and infinity', () => {
  // an invalid ed25519 encoding that still sorts before the second dealer
  const first = prestoBytes.slice(AT.dealers, AT.dealers + 32);
  let bad: Uint8Array | undefined;
  for (let i = 0; i < 256 && bad === undefined; i++) {
    const cand = first.slice();
    cand[31] = i;
    if (!ed25519IsValidPublicKey(cand)) bad = cand;
  }
  assert.ok(bad);
  failsWith(patched(AT.dealers, ...bad), 'Wrapped');
  // G2 coefficient 1 with its last byte changed: not a subgroup point
  const c1Last = AT.coeffs + 96 + 95;
  failsWith(patched(c1Last, prestoBytes[c1Last]! ^ 1), 'Invalid', /G2/);
  // c0 = point at infinity
  failsWith(patched(AT.coeffs, 0xc0, ...new Array(95).fill(0)), 'Invalid', /Infinity/);
});

test('sharing header: wrong mode byte, total out of range, empty polynomial', () => {
  failsWith(patched(AT.mode, 1), 'Invalid', /Context\(Mode\), Message\(unsupported mode for version\)/);
  failsWith(patched(AT.mode, 2), 'InvalidEnum');
  failsWith(patched(AT.total, 0, 0, 0, 0), 'Invalid', /total not in range/);
  failsWith(patched(AT.total, 0, 1, 0, 0), 'Invalid', /total not in range/);
  failsWith(patched(AT.polyCount, 0), 'InvalidLength');
});

test('bounds: empty dealer set, over-long sets, bad bool', () => {
  failsWith(patched(AT.dealersCount, 0), 'InvalidLength');
  // a count of 65536 (varint 80 80 04) is above MAX_VALIDATORS, rejected before reading keys
  const over = Uint8Array.of(...prestoBytes.subarray(0, AT.dealersCount), 0x80, 0x80, 0x04, ...prestoBytes.subarray(AT.dealersCount + 1));
  failsWith(over, 'InvalidLength');
  failsWith(patched(AT.full, 2), 'InvalidBool');
  // epoch 0 written as 80 00 (non-minimal varint)
  failsWith(Uint8Array.of(0x80, ...prestoBytes), 'InvalidVarint');
  assert.equal(MAX_VALIDATORS, 65535);
});

function randomOutcome(rng: TestRng): OnchainDkgOutcome {
  const keyPool = Array.from({ length: 12 }, (_, i) => ed25519PublicKey(ed25519FromSeed(i)));
  const subset = (min: number) => {
    const n = min + rng.int(keyPool.length - min + 1);
    const chosen = [...keyPool].sort(() => rng.int(3) - 1).slice(0, n);
    return chosen.sort(compareBytes);
  };
  const nCoeffs = 1 + rng.int(4);
  const coeffs: G2Point[] = Array.from({ length: nCoeffs }, () => G2.scale(G2.GENERATOR, 1n + rng.bigBits(64)));
  return {
    epoch: rng.bigBits(rng.int(65)),
    output: {
      summary: rng.bytes(32),
      sharing: new Sharing(0, 1 + rng.int(MAX_VALIDATORS), new Poly(G2, coeffs)),
      dealers: subset(1),
      players: subset(1),
      revealed: subset(0),
    },
    nextPlayers: subset(1),
    isNextFullDkg: rng.bool(),
  };
}

test('property: random outcomes round-trip byte for byte (seeded)', () => {
  const rng = new TestRng(0x5eed_0006);
  for (let i = 0; i < 25; i++) {
    const o = randomOutcome(rng);
    const bytes = encodeOnchainDkgOutcome(o);
    const back = decodeOnchainDkgOutcome(bytes);
    assert.deepEqual(encodeOnchainDkgOutcome(back), bytes, `case ${i}`);
    assert.equal(back.epoch, o.epoch);
    assert.ok(back.output.sharing.equals(o.output.sharing));
    assert.deepEqual(back.output.dealers, o.output.dealers);
    assert.deepEqual(back.output.revealed, o.output.revealed);
    assert.deepEqual(back.nextPlayers, o.nextPlayers);
    assert.equal(back.isNextFullDkg, o.isNextFullDkg);
    assert.deepEqual(outcomeIdentity(back), G2.encode(o.output.sharing.public()));
    failsWith(bytes.subarray(0, rng.int(bytes.length)), 'EndOfBuffer');
  }
});

test('encoding refuses unsorted sets (it would produce bytes that cannot decode)', () => {
  const o = decodeOnchainDkgOutcome(prestoBytes);
  assert.throws(() => encodeOnchainDkgOutcome({ ...o, nextPlayers: [...o.nextPlayers].reverse() }), /strictly ascending/);
});

test('extraData classification by block position', () => {
  assert.throws(() => classifyExtraData(new Uint8Array(), { isBoundary: true, isGenesis: false }), OutcomeDecodeError, 'a boundary must carry an outcome');
  assert.equal(classifyExtraData(new Uint8Array(), { isBoundary: false, isGenesis: true }), 'empty');
  assert.equal(classifyExtraData(Uint8Array.from([...prestoBytes, 0xde, 0xad]), { isBoundary: true, isGenesis: false }), 'outcome', 'trailing bytes tolerated as tempo reads them');
  assert.equal(classifyExtraData(Uint8Array.of(1, 2), { isBoundary: false, isGenesis: false }), 'dealerLog');
  assert.equal(classifyExtraData(prestoBytes, { isBoundary: true, isGenesis: false }), 'outcome');
  assert.equal(classifyExtraData(prestoBytes, { isBoundary: false, isGenesis: true }), 'outcome');
  assert.throws(() => classifyExtraData(new TextEncoder().encode('tempo-genesis'), { isBoundary: false, isGenesis: true }), OutcomeDecodeError);
});
