// Pipelined OffsetCommits from several groups that share one `__consumer_offsets`
// partition (offsets.topic.num.partitions=1), sent without awaiting over two connections
// in a random interleaving, while the partition's appends take a random number of event
// loop turns (so coalesced batches form differently on every run). Each group commits
// over one connection only, so its commits have a defined order: the order sent.
// Invariants:
//   1. every commit succeeds and every connection's responses come back in request order;
//   2. OffsetFetch of each group returns, per partition, the offset of the last commit
//      sent for it — the sequential model (a Map updated in send order);
//   3. the log holds exactly the commits sent, each group's in send order, in fewer record
//      batches than commits whenever a connection had more than one commit outstanding
//      (checked over the whole run: batches ≤ commits);
//   4. no coordinator append is left pending.
import { ErrorCode, iterateRecords, OffsetCommitRequestCodec, OffsetCommitResponseCodec, splitRecordBatches, CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '@samsa/codec';
import type { OffsetCommitRequest } from '@samsa/codec';
import { decodeConsumerOffsetsRecord } from '@samsa/coordinator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONSUMER_OFFSETS_TOPIC } from './groups/consumer-offsets-log.ts';
import { GroupTestClient } from './groups/group-test-client.ts';
import type { SentRequest } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';
import { startTestBroker } from './testing/test-broker.ts';

const GROUPS = ['ga', 'gb', 'gc', 'gd'];
const TOPIC_PARTITIONS = 3;
const NEWEST = { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 };

interface Commit {
  readonly group: number;
  readonly partition: number;
  readonly offset: number;
}

const commitArb = fc.record({ group: fc.nat(GROUPS.length - 1), partition: fc.nat(TOPIC_PARTITIONS - 1), offset: fc.nat(1_000_000) });

function commitBody(c: Commit): OffsetCommitRequest {
  return {
    groupId: GROUPS[c.group]!,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'events', partitions: [{ partitionIndex: c.partition, committedOffset: c.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
  };
}

async function run(commits: readonly Commit[], delays: readonly number[]): Promise<void> {
  let appends = 0;
  const t = await startTestBroker({
    overrides: ['offsets.topic.num.partitions=1'],
    offsetsAppendHook: async (log, batches) => {
      const turns = delays.length === 0 ? 0 : delays[appends % delays.length]!;
      appends++;
      for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
      return log.append(batches);
    },
  });
  const { broker, clock } = t;
  try {
    const clients = [await t.connect(), await t.connect()];
    const created = await clients[0]!.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('events', TOPIC_PARTITIONS), CreateTopicsResponseCodec);
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    // Group g commits over connection g % 2; the interleaving across connections is the generated order.
    const sent: SentRequest[][] = [[], []];
    for (const c of commits) sent[c.group % 2]!.push(clients[c.group % 2]!.send(8, 8, OffsetCommitRequestCodec, commitBody(c)));
    const received = await Promise.all(
      clients.map(async (client, i) => {
        const codes: number[] = [];
        for (const s of sent[i]!) {
          const r = await client.receive(s, OffsetCommitResponseCodec); // checks the correlation id: request order
          codes.push(...r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)));
        }
        return codes;
      }),
    );
    expect(received.flat().filter((c) => c !== ErrorCode.NONE)).toEqual([]);
    expect(received.flat()).toHaveLength(commits.length);

    const model = new Map<number, Map<number, number>>();
    for (const c of commits) {
      const parts = model.get(c.group) ?? new Map<number, number>();
      parts.set(c.partition, c.offset);
      model.set(c.group, parts);
    }
    for (let g = 0; g < GROUPS.length; g++) {
      const expected: Record<number, number> = {};
      for (let p = 0; p < TOPIC_PARTITIONS; p++) expected[p] = model.get(g)?.get(p) ?? -1;
      const fetched = await new GroupTestClient(clients[0]!, clock, GROUPS[g]!, NEWEST).fetch('events', [0, 1, 2]);
      expect(fetched).toEqual({ errorCode: 0, offsets: expected });
    }

    const part = broker.registry.partition(CONSUMER_OFFSETS_TOPIC, 0)!;
    const { batches } = splitRecordBatches((await part.log.read(part.log.logStartOffset, 16 << 20)).records);
    const logged: string[][] = GROUPS.map(() => []);
    for (const b of batches) {
      for (const r of iterateRecords(b, 0)) {
        const d = decodeConsumerOffsetsRecord(r.key!, r.value);
        if (d.kind === 'offset' && d.value) logged[GROUPS.indexOf(d.key.group)]!.push(`${d.key.partition}@${d.value.offset}`);
      }
    }
    for (let g = 0; g < GROUPS.length; g++) {
      expect(logged[g]).toEqual(commits.filter((c) => c.group === g).map((c) => `${c.partition}@${c.offset}`));
    }
    expect(batches.length).toBeLessThanOrEqual(commits.length);
    expect(broker.groups.appendStats.writes).toBe(batches.length);
    expect(broker.groups.coordinator.pendingAppends).toBe(0);
  } finally {
    await t.stop();
  }
}

describe('pipelined OffsetCommits across groups sharing a __consumer_offsets partition (property)', () => {
  it('final offsets equal the sequential model; the log keeps each group’s send order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commitArb, { minLength: 1, maxLength: 60 }), fc.array(fc.nat(3), { maxLength: 8 }), (commits, delays) => run(commits, delays)),
      { numRuns: 30 },
    );
  }, 60_000);
});
