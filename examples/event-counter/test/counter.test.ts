// Runs the example as a user would (a fresh process per command, the built packages) and
// checks that the count is replayed from the events and that the notifier cursor survives
// restarts: each event is announced once.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'samsa-counter-'));
const script = new URL('../counter.mjs', import.meta.url).pathname;
const counter = (...args: string[]): string =>
  execFileSync(process.execPath, [script, ...args], { env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30_000 }).trim();

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the event-sourced counter example', () => {
  it('replays the count and announces each event once across restarts', () => {
    expect(counter('inc', '2')).toBe('event 0: increment by 2');
    expect(counter('inc', '3')).toBe('event 1: increment by 3');
    expect(counter('show')).toBe('count 5');
    expect(counter('notify').split('\n')).toEqual(['new event 0: {"type":"increment","by":2}', 'new event 1: {"type":"increment","by":3}']);
    expect(counter('notify')).toBe('');
    counter('reset');
    counter('inc', '4');
    expect(counter('show')).toBe('count 4');
    expect(counter('notify').split('\n')).toEqual(['new event 2: {"type":"reset"}', 'new event 3: {"type":"increment","by":4}']);
  });
});
