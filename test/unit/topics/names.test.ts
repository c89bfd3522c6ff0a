import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../../src/paths.ts';
import { loadTopology } from '../../../src/runtime/topology.ts';
import { PROCESSOR_NAMES, STORES, TOPICS, topicSpec } from '../../../src/topics/names.ts';

// The code names topics, processors and stores only through src/topics/names.ts; topology.yaml is
// the source of truth. Equal sets both ways: a name added, renamed or dropped on one side fails.
const topology = loadTopology(join(REPO_ROOT, 'topology.yaml'), { schemasDir: join(REPO_ROOT, 'schemas') });
const sorted = (xs: Iterable<string>) => [...xs].sort();

test('the topic names of the code are the topics of topology.yaml', () => {
  // Changelog topics are derived from the stores (their names are the runtime's), not declared.
  const declared = [...topology.topics.values()].filter((t) => t.changelogOf === undefined).map((t) => t.logical);
  assert.deepEqual(sorted(Object.values(TOPICS)), sorted(declared));
});

test('the processor names of the code are the processors of topology.yaml', () => {
  assert.deepEqual(sorted(Object.values(PROCESSOR_NAMES)), sorted(topology.processors.keys()));
});

test('the store names of the code are the stores of topology.yaml', () => {
  const declared = [...topology.processors.values()].flatMap((p) => p.stores.map((s) => s.name));
  assert.equal(new Set(declared).size, declared.length, 'store names are unique across processors (the constants are flat)');
  assert.deepEqual(sorted(Object.values(STORES)), sorted(declared));
});

test('topicSpec gives the prefixed broker name and refuses a topic the topology lacks', () => {
  const prefixed = loadTopology(join(REPO_ROOT, 'topology.yaml'), { schemasDir: join(REPO_ROOT, 'schemas'), prefix: 'staging.' });
  assert.equal(topicSpec(prefixed, TOPICS.verified).name, 'staging.finalizations.verified');
  prefixed.topics.delete(TOPICS.epochs);
  assert.throws(() => topicSpec(prefixed, TOPICS.epochs), /topology has no topic 'epochs'/);
});
