/**
 * `/stores/<query>/<keyHex>` finds the partition that holds a store key by the record key the
 * store's entries were partitioned by, not by the store key's own hash: the journal's keys are
 * (owner, epoch, …) tuples of records keyed by the 8-byte epoch, the follower's parked records
 * start with their epoch. With the store key hashed instead, most point lookups on a
 * multi-partition journal went to a partition that does not hold the key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queryPartitionKey } from '../../../src/app/processors.ts';
import { digestKey, floorKey, journalKey, stateKey } from '../../../src/processors/dkg-journal/stores.ts';
import { pendingKey } from '../../../src/processors/follow/stores.ts';
import { KafkajsPort } from '../../../src/runtime/kafka/kafkajs.ts';
import { epochKey } from '../../../src/topics/epoch-key.ts';
import { PROCESSOR_NAMES, STORES } from '../../../src/topics/names.ts';

const port = new KafkajsPort({ brokers: ['localhost:1'] }); // only its partitioner is used
const P = 4;
const partitionOf = (k: Buffer) => port.partitionFor(k, P);
// Owners with 0x00 bytes: the tuple encoding escapes them, so the epoch is not at a fixed offset.
const owners = [Buffer.alloc(32, 0x11), Buffer.alloc(32, 0), Buffer.from([...Buffer.alloc(16, 0), ...Buffer.alloc(16, 0xff)])];
const participant = Buffer.alloc(32, 0x22);

test('journal and states keys route to the partition of their epoch', () => {
  const journal = queryPartitionKey(PROCESSOR_NAMES.dkgJournal, STORES.journal);
  const states = queryPartitionKey(PROCESSOR_NAMES.dkgJournal, STORES.states);
  assert.ok(journal && states, 'the journal stores name their partition key');
  let differs = 0;
  for (const owner of owners) {
    for (let e = 0n; e < 40n; e++) {
      const want = partitionOf(epochKey(e));
      for (const key of [journalKey(owner, e, 'dealing', participant), journalKey(owner, e, 'ack', participant), digestKey(owner, e)]) {
        assert.equal(partitionOf(journal(key)), want, `journal key of epoch ${e}`);
        if (partitionOf(key) !== want) differs++;
      }
      assert.equal(partitionOf(states(stateKey(owner, e))), want, `states key of epoch ${e}`);
    }
  }
  assert.ok(differs > 0, 'the store key hashed as it is lands elsewhere (what the lookup did before)');
});

test('keys without an epoch route by their own bytes; follow pending keys by their leading epoch', () => {
  const journal = queryPartitionKey(PROCESSOR_NAMES.dkgJournal, STORES.journal)!;
  const floor = floorKey(owners[1]!);
  assert.deepEqual(journal(floor), floor, 'a floor key has no epoch');
  assert.deepEqual(journal(Buffer.from('not a tuple')), Buffer.from('not a tuple'), 'a key that is no tuple is looked up as it is (and not found)');
  const pending = queryPartitionKey(PROCESSOR_NAMES.follow, STORES.pending)!;
  const record = { topic: 't', partition: 0, offset: 9, key: null, value: null, timestamp: 0, headers: {} };
  assert.deepEqual(pending(pendingKey(record, 7n, 30n)), epochKey(7n));
  assert.equal(queryPartitionKey(PROCESSOR_NAMES.follow, STORES.followState), undefined, 'follow-state keys do not start with an epoch: not routed by one');
});
