// ConsumerOffsetsAppender against a fake write whose outcomes the test resolves by hand:
// one write in flight per partition, the rest coalesced into the next write in emission
// order, completions in emission order with the outcome of the write that carried them,
// partitions independent, and the queue bound refusing (in order) with
// COORDINATOR_NOT_AVAILABLE. Under replication (a write reports `appended` and then waits
// for its acks): the next write goes out meanwhile, completions still run in emission order
// whatever order the replication outcomes come in, at most REPLICATING_WRITES_MAX writes
// wait at once, and `idle` waits for them.
import { ErrorCode } from '@samsa/codec';
import type { RawRecord } from '@samsa/coordinator';
import { describe, expect, it } from 'vitest';
import { ConsumerOffsetsAppender, QUEUE_FULL_ERROR_CODE, RECORD_OVERHEAD_BYTES, REPLICATING_WRITES_MAX } from './consumer-offsets-appender.ts';

interface Write {
  readonly partition: number;
  readonly keys: string[];
  resolve(code: number): void;
  /** The batch is in the log; only replication is awaited now. */
  appended?: () => void;
}

function harness(options: { queuedRecordsMax?: number; queuedBytesMax?: number } = {}) {
  const writes: Write[] = [];
  const completed: Array<[number, number]> = [];
  const appender = new ConsumerOffsetsAppender({
    ...options,
    write: (partition, records, appended) =>
      new Promise<number>((resolve) => writes.push({ partition, keys: records.map((r) => new TextDecoder().decode(r.key)), resolve, appended })),
    complete: (id, code) => completed.push([id, code]),
  });
  return { appender, writes, completed };
}

function rec(key: string, valueBytes = 0): RawRecord {
  return { key: new TextEncoder().encode(key), value: new Uint8Array(valueBytes) };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('ConsumerOffsetsAppender', () => {
  it('idle(partition) resolves once nothing is queued or in flight for that partition, not before', async () => {
    const { appender, writes, completed } = harness();
    await appender.idle(0); // nothing there: at once
    appender.append(0, 1, [rec('a')]);
    appender.append(0, 2, [rec('b')]);
    appender.append(1, 3, [rec('c')]);
    let idle = false;
    void appender.idle(0).then(() => (idle = true));
    const writeOf = (key: string): Write => writes.find((w) => w.keys[0] === key)!;
    writeOf('a').resolve(0);
    await tick();
    expect(completed).toEqual([[1, 0]]);
    expect(idle).toBe(false); // the queued append went out next
    writeOf('b').resolve(0);
    await tick();
    expect(idle).toBe(true);
    expect(completed).toEqual([[1, 0], [2, 0]]); // partition 1's write is still in flight: independent
  });

  it('keeps one write in flight per partition and coalesces the queued appends into the next, in order', async () => {
    const { appender, writes, completed } = harness();
    appender.append(0, 1, [rec('a')]);
    appender.append(0, 2, [rec('b'), rec('c')]);
    appender.append(0, 3, [rec('d')]);
    expect(writes.map((w) => w.keys)).toEqual([['a']]);
    writes[0]!.resolve(0);
    await tick();
    expect(completed).toEqual([[1, 0]]);
    expect(writes.map((w) => w.keys)).toEqual([['a'], ['b', 'c', 'd']]);
    appender.append(0, 4, [rec('e')]);
    writes[1]!.resolve(0);
    await tick();
    expect(completed).toEqual([[1, 0], [2, 0], [3, 0]]);
    expect(writes[2]!.keys).toEqual(['e']);
    writes[2]!.resolve(0);
    await tick();
    expect(completed.map(([id]) => id)).toEqual([1, 2, 3, 4]);
    expect(appender.stats).toEqual({ appendsReceived: 4, writes: 3, refused: 0 });
  });

  it('a failed write fails exactly the completions it carried', async () => {
    const { appender, writes, completed } = harness();
    appender.append(0, 1, [rec('a')]);
    appender.append(0, 2, [rec('b')]);
    appender.append(0, 3, [rec('c')]);
    writes[0]!.resolve(0);
    await tick();
    appender.append(0, 4, [rec('d')]);
    writes[1]!.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
    await tick();
    writes[2]!.resolve(0);
    await tick();
    expect(completed).toEqual([[1, 0], [2, ErrorCode.KAFKA_STORAGE_ERROR], [3, ErrorCode.KAFKA_STORAGE_ERROR], [4, 0]]);
  });

  it('partitions are independent', async () => {
    const { appender, writes, completed } = harness();
    appender.append(0, 1, [rec('a')]);
    appender.append(1, 2, [rec('b')]);
    appender.append(0, 3, [rec('c')]);
    expect(writes.map((w) => [w.partition, w.keys])).toEqual([[0, ['a']], [1, ['b']]]);
    writes[1]!.resolve(0);
    await tick();
    expect(completed).toEqual([[2, 0]]);
    writes[0]!.resolve(0);
    await tick();
    expect(writes[2]).toMatchObject({ partition: 0, keys: ['c'] });
  });

  it('refuses appends beyond the record bound with COORDINATOR_NOT_AVAILABLE, completed in emission order', async () => {
    const { appender, writes, completed } = harness({ queuedRecordsMax: 3 });
    appender.append(0, 1, [rec('a')]); // in flight
    appender.append(0, 2, [rec('b'), rec('c')]);
    appender.append(0, 3, [rec('d')]); // 3 queued: full
    appender.append(0, 4, [rec('e')]); // refused
    appender.append(0, 5, []); // empty appends always fit
    writes[0]!.resolve(0);
    await tick();
    expect(writes[1]!.keys).toEqual(['b', 'c', 'd']);
    writes[1]!.resolve(0);
    await tick();
    expect(completed).toEqual([[1, 0], [2, 0], [3, 0], [4, QUEUE_FULL_ERROR_CODE], [5, 0]]);
    expect(QUEUE_FULL_ERROR_CODE).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(appender.stats.refused).toBe(1);
    expect(writes).toHaveLength(2);
  });

  it('refuses beyond the byte bound, but an oversized append into an empty queue goes out alone', async () => {
    const { appender, writes, completed } = harness({ queuedBytesMax: 100 });
    appender.append(0, 1, [rec('a')]); // in flight
    appender.append(0, 2, [rec('b', 500)]); // alone in an empty queue: accepted
    appender.append(0, 3, [rec('c')]); // refused: queue holds > 100 bytes
    writes[0]!.resolve(0);
    await tick();
    expect(writes[1]!.keys).toEqual(['b']);
    appender.append(0, 4, [rec('d', 100 - RECORD_OVERHEAD_BYTES - 1)]); // exactly 100 bytes: fits
    appender.append(0, 5, [rec('e')]); // refused
    writes[1]!.resolve(0);
    await tick();
    expect(writes[2]!.keys).toEqual(['d']);
    writes[2]!.resolve(0);
    await tick();
    expect(completed).toEqual([[1, 0], [2, 0], [3, QUEUE_FULL_ERROR_CODE], [4, 0], [5, QUEUE_FULL_ERROR_CODE]]);
  });

  it('appends emitted by a completion queue behind the ones already queued and go out in the next write', async () => {
    const writes: Write[] = [];
    const completed: number[] = [];
    const appender: ConsumerOffsetsAppender = new ConsumerOffsetsAppender({
      write: (partition, records) => new Promise<number>((resolve) => writes.push({ partition, keys: records.map((r) => new TextDecoder().decode(r.key)), resolve })),
      complete: (id) => {
        completed.push(id);
        if (id === 1) appender.append(0, 10, [rec('x')]);
      },
    });
    appender.append(0, 1, [rec('a')]);
    appender.append(0, 2, [rec('b')]);
    writes[0]!.resolve(0);
    await tick();
    // x was emitted (by completion 1) after b: both wait behind nothing and go out together.
    expect(writes.map((w) => w.keys)).toEqual([['a'], ['b', 'x']]);
    writes[1]!.resolve(0);
    await tick();
    expect(completed).toEqual([1, 2, 10]);
    expect(writes).toHaveLength(2);
  });

  it('under replication the next write goes out once the previous one is in the log; completions stay in emission order whatever order replication answers in', async () => {
    const { appender, writes, completed } = harness();
    appender.append(0, 1, [rec('a')]);
    appender.append(0, 2, [rec('b')]);
    expect(writes.map((w) => w.keys)).toEqual([['a']]);
    writes[0]!.appended!(); // a is in the log, waiting for its acks
    await tick();
    expect(writes.map((w) => w.keys)).toEqual([['a'], ['b']]); // b did not wait for a's replication
    appender.append(0, 3, [rec('c')]);
    appender.append(0, 4, [rec('d')]);
    writes[1]!.appended!();
    await tick();
    expect(writes.map((w) => w.keys)).toEqual([['a'], ['b'], ['c', 'd']]); // still coalesced behind the write going into the log
    let idle = false;
    void appender.idle(0).then(() => (idle = true));
    writes[2]!.resolve(0); // c, d replicated first
    writes[1]!.resolve(0);
    await tick();
    expect(completed).toEqual([]); // a is still waiting: nothing after it may complete
    expect(idle).toBe(false);
    writes[0]!.resolve(ErrorCode.REQUEST_TIMED_OUT);
    await tick();
    expect(completed).toEqual([[1, ErrorCode.REQUEST_TIMED_OUT], [2, 0], [3, 0], [4, 0]]);
    expect(idle).toBe(true);
    expect(appender.stats).toEqual({ appendsReceived: 4, writes: 3, refused: 0 });
  });

  it('at most REPLICATING_WRITES_MAX writes of a partition wait for replication; the next goes out once they completed', async () => {
    const { appender, writes, completed } = harness();
    for (let i = 0; i <= REPLICATING_WRITES_MAX; i++) {
      appender.append(0, i, [rec(`k${i}`)]);
      await tick();
      writes[i]?.appended!(); // each write reports "in the log" and keeps waiting for replication
      await tick();
    }
    expect(writes).toHaveLength(REPLICATING_WRITES_MAX); // the last append waits in the queue
    for (const w of writes) w.resolve(0);
    await tick();
    expect(writes).toHaveLength(REPLICATING_WRITES_MAX + 1);
    writes[REPLICATING_WRITES_MAX]!.resolve(0);
    await tick();
    expect(completed.map(([id]) => id)).toEqual(Array.from({ length: REPLICATING_WRITES_MAX + 1 }, (_, i) => i));
  });
});
