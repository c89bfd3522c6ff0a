import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../../src/paths.ts';
import { checkProcessorAgainstTopology, describeTopology, loadTopology, parseTopology, TopologyError } from '../../../src/runtime/topology.ts';

const schemasDir = join(REPO_ROOT, 'schemas');
const repoTopology = () => loadTopology(join(REPO_ROOT, 'topology.yaml'), { schemasDir });

const minimal = (body: string) => `version: 1\n${body}`;
const problemsOf = (text: string, opts = { schemasDir }): string[] => {
  try {
    parseTopology(text, 'test.yaml', opts);
  } catch (err) {
    assert.ok(err instanceof TopologyError, `expected TopologyError, got ${err}`);
    return err.problems;
  }
  assert.fail('topology was accepted');
};

test('topology.yaml declares every topic of the design with a schema', () => {
  const t = repoTopology();
  for (const name of ['dkg.events', 'dkg.states', 'consensus.finalizations', 'epochs', 'finalizations.verified', 'dlq']) {
    const topic = t.topics.get(name);
    assert.ok(topic, `missing topic ${name}`);
    assert.ok(topic.value, `${name} has no value schema`);
  }
  assert.equal(t.topics.get('epochs')?.cleanup, 'compact');
  assert.deepEqual([...t.processors.keys()].sort(), ['dkg-journal', 'follow']);
});

test('every store gets a compacted changelog with its processor partition count', () => {
  const t = repoTopology();
  for (const p of t.processors.values()) {
    for (const s of p.stores) {
      const cl = [...t.topics.values()].find((x) => x.name === s.changelog);
      assert.ok(cl, `no changelog for ${p.name}.${s.name}`);
      assert.equal(cl.cleanup, 'compact');
      assert.equal(cl.partitions, p.partitions);
      assert.equal(cl.changelogOf, `${p.name}.${s.name}`);
    }
  }
  assert.equal(t.queries.get('journal')?.processor, 'dkg-journal');
});

test('a prefix is applied to every broker-side name, including changelogs', () => {
  const t = loadTopology(join(REPO_ROOT, 'topology.yaml'), { schemasDir, prefix: 'staging.', applicationId: 'app1' });
  for (const topic of t.topics.values()) assert.ok(topic.name.startsWith('staging.'), topic.name);
  assert.equal(t.processors.get('follow')?.stores[0]?.changelog, 'staging.app1-follow-pending-changelog');
});

test('unknown topics, schemas and stores are all reported together', () => {
  const problems = problemsOf(
    minimal(`
topics:
  a: { partitions: 2, key: epoch, value: no-such-schema }
processors:
  p:
    inputs: [a, missing-input]
    outputs: [missing-output]
    stores: { s: {} }
queries:
  q: p.nope
`),
  );
  assert.ok(
    problems.some((p) => p.includes("unknown schema 'no-such-schema'")),
    problems.join('\n'),
  );
  assert.ok(problems.some((p) => p.includes("unknown topic 'missing-input'")));
  assert.ok(problems.some((p) => p.includes("unknown topic 'missing-output'")));
  assert.ok(problems.some((p) => p.includes('unknown store "p.nope"')));
});

test('inputs that are not co-partitioned are rejected', () => {
  const problems = problemsOf(
    minimal(`
topics:
  a: { partitions: 2, key: epoch, value: dlq }
  b: { partitions: 3, key: epoch, value: dlq }
processors:
  p: { inputs: [a, b] }
`),
  );
  assert.ok(
    problems.some((p) => p.includes('not co-partitioned')),
    problems.join('\n'),
  );
});

test('bad field values, unknown fields, bad YAML and wrong version are rejected with readable messages', () => {
  const problems = problemsOf(
    `version: 2
topics:
  a: { partitions: 0, key: banana, value: dlq, cleanup: sometimes, retentionMs: 0, colour: red }
processors:
  p: { inputs: [a] }
`,
  );
  for (const needle of ['version must be 1', 'partitions must be', 'key must be one of', 'cleanup must be', 'retentionMs must be', "unknown field 'colour'"]) {
    assert.ok(
      problems.some((p) => p.includes(needle)),
      `no problem mentions '${needle}':\n${problems.join('\n')}`,
    );
  }
  assert.throws(
    () => parseTopology('topics: [unclosed', 'bad.yaml'),
    (err: unknown) => err instanceof TopologyError && err.message.includes('not valid YAML'),
  );
  assert.throws(
    () => loadTopology('/nonexistent/topology.yaml'),
    (err: unknown) => err instanceof TopologyError && err.message.includes('cannot read file'),
  );
});

test('describe shows inputs, globals, stores and outputs of each processor', () => {
  const text = describeTopology(repoTopology());
  assert.match(text, /Processor follow/);
  assert.match(text, /<-- consensus\.finalizations/);
  assert.match(text, /<== epochs \(global table\)/);
  assert.match(text, /\[store pending\] <-> dkg-stream-follow-pending-changelog/);
  assert.match(text, /--> finalizations\.verified/);
});

test('every implemented processor declares exactly what topology.yaml declares for it (plain and prefixed)', async () => {
  const { PROCESSORS } = await import('../../../src/app/processors.ts');
  const { Keyring } = await import('../../../src/state/seal.ts');
  for (const prefix of ['', 'staging.']) {
    const topology = loadTopology(join(REPO_ROOT, 'topology.yaml'), { schemasDir, prefix });
    // The factories only capture serde and codec; the check reads the declared names.
    const env = { topology, serde: {}, codec: {}, port: {} } as never;
    const settings = { keyring: new Keyring([Buffer.alloc(32, 1)]), follow: { epochLength: 10n } as never };
    assert.deepEqual([...PROCESSORS.keys()].sort(), [...topology.processors.keys()].sort());
    for (const entry of PROCESSORS.values()) checkProcessorAgainstTopology(topology, entry.def(env, { secretKeyFile: null }, settings));
  }
});

test('a processor whose code disagrees with topology.yaml is refused, naming each difference', () => {
  const t = repoTopology();
  const follow = { name: 'follow', inputs: ['consensus.finalizations'], outputs: ['finalizations.verified', 'epochs', 'dkg.events'], stores: ['pending', 'follow-state'], globals: ['epochs'] };
  checkProcessorAgainstTopology(t, follow); // agrees (the DLQ is implicit)
  const err = (def: typeof follow) => {
    try {
      checkProcessorAgainstTopology(t, def, 'topology.yaml');
    } catch (e) {
      assert.ok(e instanceof TopologyError);
      return e.problems;
    }
    assert.fail('accepted');
  };
  assert.deepEqual(err({ ...follow, outputs: ['finalizations.verified', 'epochs', 'dlq', 'extra.topic'] }), [
    "processor 'follow': the topology declares output dkg.events that the code does not use",
    "processor 'follow': the code uses output extra.topic that the topology does not declare",
  ]);
  assert.deepEqual(err({ ...follow, stores: ['pending'], globals: [] }), [
    "processor 'follow': the topology declares global table epochs that the code does not use",
    "processor 'follow': the topology declares store follow-state that the code does not use",
  ]);
  assert.deepEqual(err({ ...follow, name: 'nope' }), ["processor 'nope' is not declared in the topology (declared: dkg-journal, follow)"]);
});
