// The history reader: every line shape parses; bad input (malformed JSON, unknown op or type,
// a mistyped field, a stray completion, a second invoke of one value, an over-long line)
// fails with a CheckerInputError naming file:line; files merge by time; invokes pair with
// their completions per process, and an invoke without one is indeterminate.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_LINE_BYTES_MAX, mergeHistories, pairOperations, parseHistoryLine, parseHistoryText, readHistoryFile } from './history.ts';
import { CheckerInputError } from './input-error.ts';

const where = { file: 'h.jsonl', line: 7 };
const T = 1_700_000_000_000;

function parse(o: unknown) {
  return parseHistoryLine(JSON.stringify(o), where);
}

function failure(fn: () => unknown): CheckerInputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CheckerInputError) return e;
    throw e;
  }
  throw new Error('expected a CheckerInputError');
}

describe('parseHistoryLine', () => {
  it('parses every op of the format', () => {
    expect(parse({ type: 'ok', f: 'send', process: 'p', time: T, partition: 2, value: 'v', offset: 5 })).toMatchObject({ f: 'send', offset: 5, partition: 2 });
    expect(parse({ type: 'ok', f: 'send', process: 'p', time: T, partition: 2, value: 'v', offset: -1001 })).toMatchObject({ offset: undefined });
    expect(parse({ type: 'info', f: 'send', process: 'p', time: T, partition: 0, value: 'v', error: 'MSG_TIMED_OUT' })).toMatchObject({ error: 'MSG_TIMED_OUT' });
    expect(parse({ type: 'ok', f: 'poll', process: 'c', time: T, member: 'm', generation: 3, records: [[0, 1, 'a']] })).toMatchObject({ records: [[0, 1, 'a']] });
    expect(parse({ type: 'invoke', f: 'poll', process: 'c', time: T, member: 'm', generation: 3 })).toMatchObject({ records: [] });
    expect(parse({ type: 'ok', f: 'revoke', process: 'c', time: T, member: 'm', generation: 3, partitions: [0, 2] })).toMatchObject({ f: 'revoke', partitions: [0, 2] });
    expect(parse({ type: 'ok', f: 'commit', process: 'c', time: T, generation: 3, offsets: [[0, 4]] })).toMatchObject({ group: 'default', offsets: [[0, 4]] });
    expect(parse({ type: 'info', f: 'nemesis', process: 'nemesis', time: T, fault: 'kill-leader', phase: 'start', detail: { broker: 2 } })).toMatchObject({
      fault: 'kill-leader',
      detail: { broker: 2 },
    });
  });

  it('names the file and line of a malformed line', () => {
    expect(failure(() => parseHistoryLine('{"type":"ok",', where)).message).toMatch(/^h\.jsonl:7: not JSON/);
    expect(failure(() => parseHistoryLine('[1,2]', where)).message).toBe('h.jsonl:7: not a JSON object');
    const e = failure(() => parseHistoryText('{"type":"invoke","f":"send","process":"p","time":1,"partition":0,"value":"a"}\n\nnot json\n', 'x.jsonl'));
    expect(e.code).toBe('BAD_HISTORY');
    expect(e.message).toMatch(/^x\.jsonl:3: not JSON/);
  });

  it('rejects an unknown op or type and a mistyped field', () => {
    expect(failure(() => parse({ type: 'ok', f: 'transfer', process: 'p', time: T })).message).toBe(
      'h.jsonl:7: unknown op f="transfer" (send | poll | assign | revoke | commit | nemesis)',
    );
    expect(failure(() => parse({ type: 'done', f: 'send', process: 'p', time: T })).message).toContain('unknown type "done"');
    expect(failure(() => parse({ type: 'ok', f: 'send', process: 'p', time: 'now', partition: 0, value: 'v' })).message).toContain('"time" must be a finite number');
    expect(failure(() => parse({ type: 'ok', f: 'send', process: 'p', time: T, partition: -1, value: 'v' })).message).toContain('"partition" must be an integer ≥ 0');
    expect(failure(() => parse({ type: 'ok', f: 'send', process: '', time: T, partition: 0, value: 'v' })).message).toContain('"process" must be a non-empty string');
    expect(failure(() => parse({ type: 'ok', f: 'poll', process: 'c', time: T, member: 'm', generation: 1, records: [[0, 1]] })).message).toContain('records[0] must be');
    expect(failure(() => parse({ type: 'info', f: 'nemesis', process: 'n', time: T, fault: 'x', phase: 'middle' })).message).toContain('"phase"');
  });
});

describe('pairing and merging', () => {
  const line = (o: object) => JSON.stringify(o);
  const send = (type: string, value: string, time: number, extra: object = {}) => line({ type, f: 'send', process: 'p', time, partition: 0, value, ...extra });

  it('pairs sends by value (several in flight), commits in order, and leaves a dead invoke indeterminate', () => {
    const text = [
      send('invoke', 'a', T),
      send('invoke', 'b', T + 1),
      send('ok', 'b', T + 2, { offset: 0 }),
      send('info', 'a', T + 3, { error: 'timeout' }),
      send('invoke', 'c', T + 4),
      line({ type: 'invoke', f: 'commit', process: 'c', time: T, generation: 1, offsets: [[0, 1]] }),
      line({ type: 'invoke', f: 'commit', process: 'c', time: T + 1, generation: 1, offsets: [[0, 2]] }),
      line({ type: 'ok', f: 'commit', process: 'c', time: T + 2, generation: 1 }),
    ].join('\n');
    const ops = pairOperations(mergeHistories([parseHistoryText(text, 'h.jsonl')]));
    expect(ops.sends.map((s) => [s.value, s.outcome, s.offset])).toEqual([
      ['a', 'info', undefined],
      ['b', 'ok', 0],
      ['c', 'indeterminate', undefined],
    ]);
    expect(ops.commits.map((c) => [c.invoke.offsets, c.outcome])).toEqual([
      [[[0, 1]], 'ok'],
      [[[0, 2]], 'indeterminate'],
    ]);
  });

  it('rejects a completion without invoke, a second completion and a second invoke of one value', () => {
    const pair = (...lines: string[]) => () => pairOperations(mergeHistories([parseHistoryText(lines.join('\n'), 'h.jsonl')]));
    expect(failure(pair(send('ok', 'a', T, { offset: 1 }))).message).toBe('h.jsonl:1: send ok of value "a" without an invoke from process p');
    expect(failure(pair(send('invoke', 'a', T), send('ok', 'a', T, { offset: 1 }), send('info', 'a', T))).message).toContain('h.jsonl:3: second completion');
    expect(failure(pair(send('invoke', 'a', T), send('invoke', 'a', T))).message).toContain('h.jsonl:2: second invoke of send value "a"');
    expect(failure(pair(line({ type: 'ok', f: 'commit', process: 'c', time: T, generation: 1 }))).message).toBe('h.jsonl:1: commit ok without an invoke from process c');
  });

  it('merges files by time, keeping file order on ties', () => {
    const a = parseHistoryText([send('invoke', 'a1', T + 10), send('invoke', 'a2', T + 30)].join('\n'), 'a.jsonl');
    const b = parseHistoryText(line({ type: 'info', f: 'nemesis', process: 'n', time: T + 10, fault: 'x', phase: 'start' }), 'b.jsonl');
    const merged = mergeHistories([a, b]);
    expect(merged.byTime.map((e) => e.where.file + ':' + e.where.line)).toEqual(['a.jsonl:1', 'b.jsonl:1', 'a.jsonl:2']);
    expect(merged.inFileOrder.map((e) => e.where.file + ':' + e.where.line)).toEqual(['a.jsonl:1', 'a.jsonl:2', 'b.jsonl:1']);
  });
});

describe('readHistoryFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-checker-history-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads lines across chunk boundaries, with or without a final newline', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ type: 'invoke', f: 'send', process: 'p', time: T + i, partition: 0, value: `v-${i}-${'x'.repeat(i % 50)}` }));
    const path = join(dir, 'many.jsonl');
    await writeFile(path, lines.join('\r\n'));
    const events = await readHistoryFile(path);
    expect(events).toHaveLength(3000);
    expect(events[2999]).toMatchObject({ value: `v-2999-${'x'.repeat(2999 % 50)}`, where: { file: path, line: 3000 } });
  });

  it('names the line of a malformed line and refuses a line above the limit', async () => {
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, `${JSON.stringify({ type: 'invoke', f: 'send', process: 'p', time: T, partition: 0, value: 'a' })}\n{"type":\n`);
    await expect(readHistoryFile(bad, 'bad.jsonl')).rejects.toThrow(/^bad\.jsonl:2: not JSON/);
    const long = join(dir, 'long.jsonl');
    await writeFile(long, `${JSON.stringify({ type: 'invoke', f: 'send', process: 'p', time: T, partition: 0, value: 'a' })}\n${'x'.repeat(HISTORY_LINE_BYTES_MAX + 10)}\n`);
    await expect(readHistoryFile(long, 'long.jsonl')).rejects.toThrow(`long.jsonl:2: line longer than ${HISTORY_LINE_BYTES_MAX} bytes`);
    await expect(readHistoryFile(join(dir, 'missing.jsonl'), 'missing.jsonl')).rejects.toThrow(/^missing\.jsonl: cannot read/);
  });
});
