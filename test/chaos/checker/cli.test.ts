// The CLI end to end, as the harness runs it (`node --import tsx …/cli.ts`): a consistent model
// run exits 0 with a SAFE summary and a JSON report; the same run with a lost write exits 1
// and the report names it; a malformed history line or a missing --final exits 2 naming the
// problem.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneRun, deriveRun, historyTexts, type ModelParams, type RawRun } from './model-run.ts';
import { plantDefect } from './plant-defect.ts';

const root = new URL('../../../', import.meta.url).pathname;
const cli = join(root, 'test/chaos/checker/cli.ts');

const params: ModelParams = {
  partitions: 2,
  producers: 2,
  members: 1,
  sends: Array.from({ length: 10 }, (_, i) => ({ producer: i % 2, partition: i % 3 === 0 ? 1 : 0, fate: i === 4 ? 'info-written' : 'ok' })),
  generations: [{ owner: [0, 0], rewind: [0, 0], reads: [10, 10], chunk: 3 }],
};

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('checker CLI', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samsa-checker-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeRun(run: RawRun, name: string): Promise<string[]> {
    const files = [];
    for (const [file, text] of historyTexts(run)) {
      files.push(join(dir, `${name}-${file}`));
      await writeFile(files.at(-1)!, text);
    }
    await writeFile(join(dir, `${name}-final.json`), JSON.stringify(run.final));
    return files;
  }

  it('exits 0 on a safe run, 1 on a lost write, 2 on bad input, 3 when the report cannot be written', async () => {
    const clean = deriveRun(params);
    const cleanFiles = await writeRun(clean, 'clean');
    const safe = await runCli(['--final', join(dir, 'clean-final.json'), '--out', join(dir, 'clean-report.json'), ...cleanFiles]);
    expect(safe.stderr).toBe('');
    expect(safe.code).toBe(0);
    expect(safe.stdout).toMatch(/^checker: SAFE\n/);
    const report = JSON.parse(await readFile(join(dir, 'clean-report.json'), 'utf8'));
    expect(report).toMatchObject({ safe: true, counts: { sends: { invoked: 10, ok: 9, info: 1 } }, anomalies: { lost: { count: 0, examples: [] } } });
    expect(report.recovery).toHaveLength(1);

    const lossy = cloneRun(clean);
    const [value] = plantDefect(lossy, 'lost', 2)!.values;
    const lossyFiles = await writeRun(lossy, 'lossy');
    const unsafe = await runCli(['--final', join(dir, 'lossy-final.json'), '--out', join(dir, 'lossy-report.json'), ...lossyFiles]);
    expect(unsafe.code).toBe(1);
    expect(unsafe.stdout).toMatch(/^checker: UNSAFE \(lost\)\n/);
    expect(unsafe.stdout).toContain(`"value":"${value}"`);
    const lossyReport = JSON.parse(await readFile(join(dir, 'lossy-report.json'), 'utf8'));
    expect(lossyReport.anomalies.lost).toMatchObject({ count: 1, examples: [{ value }] });

    const broken = join(dir, 'broken.jsonl');
    await writeFile(broken, `${JSON.stringify({ type: 'invoke', f: 'send', process: 'p', time: 1, partition: 0, value: 'a' })}\n{"type":"ok","f":"fetch","process":"p","time":2}\n`);
    const bad = await runCli(['--final', join(dir, 'clean-final.json'), broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`checker: ${broken}:2: unknown op f="fetch"`);
    const unwritable = await runCli(['--final', join(dir, 'clean-final.json'), '--out', join(dir, 'no-such-dir', 'r.json'), ...cleanFiles]);
    expect(unwritable.code).toBe(3);
    expect(unwritable.stderr).toContain('checker: internal error');
    const usage = await runCli(cleanFiles);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: cli.ts --final final.json');
  });
});
