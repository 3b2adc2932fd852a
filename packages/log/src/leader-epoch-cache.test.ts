import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '@samsa/runtime/memory';
import { readLeaderEpochCheckpoint, readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoint-file.ts';
import { CorruptCheckpointError } from './errors.ts';
import { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.ts';

describe('LeaderEpochCache (KIP-101/279 semantics)', () => {
  const cache = (): LeaderEpochCache => {
    const c = new LeaderEpochCache(new MemoryFileSystem(), '/leader-epoch-checkpoint');
    c.assign(2, 10);
    c.assign(4, 20);
    c.assign(7, 35);
    return c;
  };

  it('answers endOffsetFor like Kafka', () => {
    const c = cache();
    expect(c.endOffsetFor(7, 50)).toEqual({ leaderEpoch: 7, endOffset: 50 });
    expect(c.endOffsetFor(4, 50)).toEqual({ leaderEpoch: 4, endOffset: 35 });
    expect(c.endOffsetFor(5, 50)).toEqual({ leaderEpoch: 4, endOffset: 35 });
    expect(c.endOffsetFor(1, 50)).toEqual({ leaderEpoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(8, 50)).toEqual({ leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
    expect(c.endOffsetFor(UNDEFINED_EPOCH, 50)).toEqual({ leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
  });

  it('assign drops entries that would break monotonicity and ignores repeats', () => {
    const c = cache();
    c.assign(7, 40);
    expect(c.latestEntry()).toEqual({ epoch: 7, startOffset: 35 });
    c.assign(5, 30);
    expect(c.epochEntries()).toEqual([
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 20 },
      { epoch: 5, startOffset: 30 },
    ]);
  });

  it('truncates from the end and from the start', () => {
    const c = cache();
    c.truncateFromEnd(20);
    expect(c.epochEntries()).toEqual([{ epoch: 2, startOffset: 10 }]);
    const d = cache();
    d.truncateFromStart(25);
    expect(d.epochEntries()).toEqual([
      { epoch: 4, startOffset: 25 },
      { epoch: 7, startOffset: 35 },
    ]);
    expect(d.epochForOffset(30)).toBe(4);
    expect(d.epochForOffset(3)).toBeNull();
  });

  it('checkpoints in Kafka text format and reads it back', async () => {
    const fs = new MemoryFileSystem();
    const c = new LeaderEpochCache(fs, '/leader-epoch-checkpoint');
    c.assign(1, 0);
    c.assign(3, 17);
    await c.flush();
    expect(new TextDecoder().decode(await fs.readFile('/leader-epoch-checkpoint'))).toBe('0\n2\n1 0\n3 17\n');
    expect(await readLeaderEpochCheckpoint(fs, '/leader-epoch-checkpoint')).toEqual(c.epochEntries());
  });
});

describe('offset checkpoint files', () => {
  it('round-trip and are atomic (no .tmp left behind)', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdirp('/logs');
    await fs.syncDir('/');
    await writeOffsetCheckpoint(fs, '/logs/recovery-point-offset-checkpoint', [
      { topic: 'orders', partition: 0, offset: 42 },
      { topic: 'my-topic', partition: 12, offset: 2 ** 40 },
    ]);
    expect(new TextDecoder().decode(await fs.readFile('/logs/recovery-point-offset-checkpoint'))).toBe('0\n2\norders 0 42\nmy-topic 12 1099511627776\n');
    expect(await fs.readDir('/logs')).toEqual(['recovery-point-offset-checkpoint']);
    const read = await readOffsetCheckpoint(fs, '/logs/recovery-point-offset-checkpoint');
    expect([...read]).toEqual([
      ['orders-0', 42],
      ['my-topic-12', 2 ** 40],
    ]);
    fs.crash();
    expect((await readOffsetCheckpoint(fs, '/logs/recovery-point-offset-checkpoint')).get('orders-0')).toBe(42);
  });

  it('rejects a malformed file with CorruptCheckpointError', async () => {
    const fs = new MemoryFileSystem();
    const h = await fs.open('/bad', 'read-write');
    await h.write(new TextEncoder().encode('0\n3\na 0 1\n'), 0);
    await h.close();
    await expect(readOffsetCheckpoint(fs, '/bad')).rejects.toBeInstanceOf(CorruptCheckpointError);
  });

  it('does not rewrite a checkpoint whose entries it re-derived unchanged (crash recovery), but writes real changes', async () => {
    const fs = new MemoryFileSystem();
    const path = '/leader-epoch-checkpoint';
    const onDisk = [
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 20 },
    ];
    const c = new LeaderEpochCache(fs, path, onDisk, true);
    c.truncateFromEnd(15);
    c.assign(4, 20);
    expect(c.isDirty).toBe(true);
    await c.flush();
    expect(c.isDirty).toBe(false);
    expect(await fs.stat(path)).toBeNull(); // the same entries: nothing written
    c.assign(6, 30);
    await c.flush();
    expect(await readLeaderEpochCheckpoint(fs, path)).toEqual([...onDisk, { epoch: 6, startOffset: 30 }]);
  });
});
