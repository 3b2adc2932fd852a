// OffsetCommit under power loss: the broker on @samsa/log over the MemoryFileSystem in its
// strict mode (file bytes durable only after sync, directory changes only after syncDir).
// With log.flush.interval.messages=1, `__consumer_offsets` syncs every append, so an
// acknowledged commit must survive a crash:
// - a crash is a clone of the file system with everything unsynced dropped, and a new
//   broker opened on the clone (the old one keeps running on the original, untouched);
// - after every acknowledged commit, the crashed copy returns exactly that offset;
// - a failure at every file-system operation of a commit (the first one, which creates
//   `__consumer_offsets`, and a later one), then a crash: the new broker returns the old
//   or the new offset, the new one whenever the commit was acknowledged, and takes
//   further commits.
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec, ErrorCode, OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '@samsa/codec';
import { ManualClock, MemoryFileSystem, MemoryTransport } from '@samsa/runtime/memory';
import type { FaultOp } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { Broker } from './broker.ts';
import { parseServerConfig } from './config/server-config.ts';
import { GroupTestClient } from './groups/group-test-client.ts';
import { KafkaTestClient } from './testing/kafka-test-client.ts';
import { createTopicsBody } from './testing/requests.ts';

const OVERRIDES = ['listeners=PLAINTEXT://127.0.0.1:0', 'log.dirs=/data', 'offsets.topic.num.partitions=1', 'group.initial.rebalance.delay.ms=0', 'log.flush.interval.messages=1'];
const GROUP = 'crashy';
const NO_OFFSET = -1;
const OPS: readonly FaultOp[] = ['read', 'append', 'write', 'sync', 'truncate', 'size', 'close', 'open', 'mkdirp', 'readDir', 'rename', 'remove', 'stat', 'syncDir', 'readFile'];
const STEPS_MAX = 300;

interface Running {
  readonly broker: Broker;
  readonly client: KafkaTestClient;
  readonly clock: ManualClock;
}

async function start(fs: MemoryFileSystem, clock: ManualClock): Promise<Running> {
  const broker = await Broker.open({ config: parseServerConfig({ overrides: OVERRIDES }), fs, clock });
  const transport = new MemoryTransport();
  const listener = await broker.listen(transport);
  const client = new KafkaTestClient(await transport.connect({ host: '127.0.0.1', port: listener.port }), 'crash-test');
  return { broker, client, clock };
}

/** A simple (member-less) commit of `offset` for events-0; the partition's error code, or null if the request failed. */
async function commit(r: Running, offset: number): Promise<number | null> {
  try {
    const res = await r.client.request(8, 2, OffsetCommitRequestCodec, {
      groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      topics: [{ name: 'events', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
    }, OffsetCommitResponseCodec);
    return res.topics[0]!.partitions[0]!.errorCode;
  } catch {
    return null;
  }
}

async function committed(r: Running): Promise<number> {
  await r.broker.groups.loaded;
  const got = await new GroupTestClient(r.client, r.clock, GROUP, { join: 9, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8 }).fetch('events', [0]);
  expect(got.errorCode).toBe(ErrorCode.NONE);
  return got.offsets[0]!;
}

/** Opens a broker on a crashed copy of `fs` (the running broker is left alone). */
function startCrashed(fs: MemoryFileSystem): Promise<Running> {
  const copy = fs.clone();
  copy.crash();
  return start(copy, new ManualClock());
}

const opsSoFar = (fs: MemoryFileSystem): number => OPS.reduce((n, op) => n + fs.opCount(op), 0);

async function withEventsTopic(): Promise<{ fs: MemoryFileSystem; live: Running }> {
  const clock = new ManualClock();
  const fs = new MemoryFileSystem({ clock });
  const live = await start(fs, clock);
  const res = await live.client.request(19, 5, CreateTopicsRequestCodec, createTopicsBody('events', 1), CreateTopicsResponseCodec);
  expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
  return { fs, live };
}

/**
 * Fails the n-th file-system operation of `commit(next)` for n = 1, 2, … until a commit
 * runs without reaching it; after each, checks a crashed copy. Returns the crash points.
 */
async function crashAtEveryStep(before: number[], next: number): Promise<number> {
  for (let nth = 1; nth <= STEPS_MAX; nth++) {
    const { fs, live } = await withEventsTopic();
    for (const offset of before) expect(await commit(live, offset)).toBe(ErrorCode.NONE);
    const old = before.length > 0 ? before[before.length - 1]! : NO_OFFSET;
    const opsBefore = opsSoFar(fs);
    fs.failOn({ op: 'any', nth });
    const code = await commit(live, next);
    const reached = opsSoFar(fs) - opsBefore >= nth;
    fs.clearFaults();
    const crashed = await startCrashed(fs);
    const got = await committed(crashed);
    const where = `crash at fs op ${nth} of commit(${next}), acknowledged: ${code === ErrorCode.NONE}`;
    expect({ where, ok: got === old || got === next }).toEqual({ where, ok: true });
    if (code === ErrorCode.NONE) expect({ where, got }).toEqual({ where, got: next });
    // The restarted broker takes commits again.
    expect(await commit(crashed, next + 100)).toBe(ErrorCode.NONE);
    expect(await committed(crashed)).toBe(next + 100);
    await crashed.broker.shutdown();
    await live.broker.shutdown().catch(() => undefined);
    if (!reached) {
      expect({ where, code }).toEqual({ where, code: ErrorCode.NONE });
      return nth - 1;
    }
  }
  throw new Error(`commit(${next}) did not finish within ${STEPS_MAX} file-system operations`);
}

describe('OffsetCommit and power loss (flush.messages=1)', () => {
  it('every acknowledged commit is there after a crash', async () => {
    const { fs, live } = await withEventsTopic();
    for (const offset of [3, 8, 21, 55]) {
      expect(await commit(live, offset)).toBe(ErrorCode.NONE);
      const crashed = await startCrashed(fs);
      expect(await committed(crashed)).toBe(offset);
      await crashed.broker.shutdown();
    }
    await live.broker.shutdown();
  });

  it('a crash at any step of the first commit (which creates __consumer_offsets) keeps nothing or the commit', async () => {
    expect(await crashAtEveryStep([], 5)).toBeGreaterThan(5);
  });

  it('a crash at any step of a later commit keeps the old or the new offset', async () => {
    expect(await crashAtEveryStep([5, 7], 9)).toBeGreaterThan(1);
  });
});
