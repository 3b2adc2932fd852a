// The Deno broker's V8 flags (apps/broker-deno/bin/v8-flags.mjs, passed by bin/start.mjs)
// keep ArrayBuffer churn out of full collections: run with them, a broker-like buffer
// pattern after a start-up-like full GC (fixtures/external-memory-churn.ts: 60 MiB of
// held views, 2.5 GiB of 64 KiB buffers) is collected by scavenges, with at most the
// forced mark-compact and one more. Without them Deno's V8 (2.9, V8 15) runs a
// mark-compact every ~100 MiB of churn (about 25 here), and their main-thread marking
// steps were the Deno broker's produce p99 tail (issue 12,
// bench/broker/tail-latency.ts). Counted from V8's --trace-gc lines.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const DENO_BIN = existsSync(join(REPO_ROOT, 'node_modules/deno/deno')) ? join(REPO_ROOT, 'node_modules/deno/deno') : 'deno';
const FIXTURE = join(REPO_ROOT, 'test/runtime/fixtures/external-memory-churn.ts');
const RUN_TIMEOUT_MS = 90_000;
/** Full collections tolerated with the flags (the fixture forces one, start-up may run one). */
const MARK_COMPACTS_MAX = 3;

interface GcCounts {
  readonly scavenges: number;
  readonly markCompacts: number;
  readonly output: string;
}

/** Runs the fixture under deno with `v8Flags` plus --trace-gc; counts the collections it reports. */
function runChurn(v8Flags: string): Promise<GcCounts> {
  return new Promise((resolve, reject) => {
    const child = spawn(DENO_BIN, ['run', '--no-prompt', `--v8-flags=${v8Flags ? `${v8Flags},` : ''}--expose-gc,--trace-gc`, FIXTURE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-1_000_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 || !output.includes('after a full gc, churned 40000 buffers')) {
        reject(new Error(`deno exited ${code}:\n${output.slice(-4000)}`));
        return;
      }
      resolve({ scavenges: (output.match(/: Scavenge /g) ?? []).length, markCompacts: (output.match(/Mark-Compact/g) ?? []).length, output });
    });
  });
}

/** `--v8-flags=a,b` → 'a,b' (the launcher's own module, loaded at run time: plain JavaScript). */
async function launcherV8Flags(): Promise<string> {
  const modulePath = join(REPO_ROOT, 'apps/broker-deno/bin/v8-flags.mjs');
  const mod = (await import(modulePath)) as { v8FlagsArg(): string };
  return mod.v8FlagsArg().replace(/^--v8-flags=/, '');
}

describe('Deno broker V8 flags', () => {
  it('ArrayBuffer churn beside 60 MiB of held views is collected by scavenges, not mark-compacts', async () => {
    const flags = await launcherV8Flags();
    const counts = await runChurn(flags);
    expect(counts.scavenges).toBeGreaterThan(0);
    expect(counts.markCompacts).toBeLessThanOrEqual(MARK_COMPACTS_MAX);
  });
});
