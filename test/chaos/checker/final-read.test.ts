// The final-read reader accepts the workload's format (gaps allowed) and rejects, naming the
// file and the partition, every shape the checker could not trust.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFinalRead, readFinalRead } from './final-read.ts';

const ok = { topic: 't', partitions: { '0': { logStartOffset: 2, highWatermark: 6, records: [[2, 'a'], [4, 'b']] }, '1': { logStartOffset: 0, highWatermark: 0, records: [] } } };

describe('final read', () => {
  it('parses partitions with their bounds and records', () => {
    const read = parseFinalRead(ok, 'f.json');
    expect(read.topic).toBe('t');
    expect(read.partitions.get(0)).toEqual({ partition: 0, logStartOffset: 2, highWatermark: 6, records: [[2, 'a'], [4, 'b']] });
    expect(read.partitions.get(1)?.records).toEqual([]);
  });

  const broken: [string, unknown, string][] = [
    ['not an object', [], 'f.json: not a JSON object'],
    ['no topic', { partitions: {} }, '"topic" must be a non-empty string'],
    ['a non-numeric partition', { topic: 't', partitions: { x: ok.partitions['1'] } }, 'partition key "x" is not a decimal integer'],
    ['log start above the high watermark', { topic: 't', partitions: { '0': { logStartOffset: 3, highWatermark: 2, records: [] } } }, 'logStartOffset 3 above highWatermark 2'],
    ['a record at the high watermark', { topic: 't', partitions: { '0': { logStartOffset: 0, highWatermark: 1, records: [[1, 'a']] } } }, 'offset 1 outside [logStartOffset 0, highWatermark 1)'],
    ['offsets going back', { topic: 't', partitions: { '0': { logStartOffset: 0, highWatermark: 5, records: [[2, 'a'], [2, 'b']] } } }, 'offset 2 not above the previous 2'],
    ['a record without value', { topic: 't', partitions: { '0': { logStartOffset: 0, highWatermark: 5, records: [[0]] } } }, 'records[0] must be [offset, "value"]'],
    ['a negative watermark', { topic: 't', partitions: { '0': { logStartOffset: 0, highWatermark: -1, records: [] } } }, 'highWatermark must be an integer ≥ 0'],
  ];
  for (const [what, json, message] of broken) {
    it(`rejects ${what}`, () => {
      expect(() => parseFinalRead(json, 'f.json')).toThrow(message);
    });
  }

  it('reads a file and names it when it is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-checker-final-'));
    try {
      await writeFile(join(dir, 'good.json'), JSON.stringify(ok));
      expect((await readFinalRead(join(dir, 'good.json'))).partitions.size).toBe(2);
      await writeFile(join(dir, 'bad.json'), '{"topic":');
      await expect(readFinalRead(join(dir, 'bad.json'), 'bad.json')).rejects.toThrow(/^bad\.json: not JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
