import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../../src/paths.ts';
import { SHOW_MAX, showValue } from '../../../src/show.ts';
import { HeaderJsonError, tempoHeaderFromJson } from '../../../src/tempo/header.ts';

// Issue 16 item 8: an error names the offending value but never echoes all of it.

test('showValue cuts long values to one line and shows their length', () => {
  assert.equal(showValue('0x1a'), '"0x1a"');
  const long = '0x' + '1'.repeat(10 * 1024 * 1024);
  const s = showValue(long);
  assert.ok(s.length < SHOW_MAX + 40, s);
  assert.match(s, /…\(10485762 chars\)$/);
  assert.equal(showValue(Uint8Array.of(1, 2, 3)), '010203');
  assert.match(showValue(new Uint8Array(1000)), /^(00)+…\(1000 bytes\)$/);
  assert.equal(showValue('a\nb'), '"a\\nb"', 'one line: newlines escaped');
  assert.match(showValue({ k: 'x'.repeat(500) }), /…\(\d+ chars\)$/);
  assert.equal(showValue(12n), '12');
});

test('a 10 MB quantity in a header gives a short HeaderJsonError, quickly', () => {
  const fx = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/tempo-chain/presto-block-1.json'), 'utf8'));
  const find = (o: unknown): Record<string, unknown> | undefined => {
    if (!o || typeof o !== 'object') return undefined;
    if ('parentHash' in o && 'number' in o) return o as Record<string, unknown>;
    for (const v of Object.values(o)) {
      const r = find(v);
      if (r) return r;
    }
    return undefined;
  };
  const header = find(fx);
  assert.ok(header, 'the fixture holds an RPC header');
  assert.doesNotThrow(() => tempoHeaderFromJson(header));
  for (const bad of ['0x' + '1'.repeat(10 * 1024 * 1024), 'x'.repeat(10 * 1024 * 1024), ['0x1'.repeat(1000)]]) {
    const t0 = performance.now();
    assert.throws(
      () => tempoHeaderFromJson({ ...header, gasLimit: bad }),
      (err: Error) => err instanceof HeaderJsonError && err.message.length < 200 && !err.message.includes('\n'),
    );
    assert.ok(performance.now() - t0 < 1000, 'no BigInt of megabytes of hex');
  }
});
