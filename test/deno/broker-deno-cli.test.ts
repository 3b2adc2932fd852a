// The Deno broker's command line (apps/broker-deno/src/main.ts as a child process): the
// same flags as `samsa broker` (--help lists them), and the exit-2 errors that name what
// to fix: an unknown config key, a bad flag value, a missing Deno permission.
import { describe, expect, it } from 'vitest';
import { DENO_MAIN, freePort, REPO_ROOT } from './broker-process.ts';

const ENV_SYS = ['--allow-env=SAMSA_LOG_LEVEL,NODE_V8_COVERAGE,MSGPACKR_NATIVE_ACCELERATION_DISABLED', '--allow-sys=hostname'];
const decoder = new TextDecoder();

async function runMain(permissions: readonly string[], args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), { args: ['run', ...permissions, ...ENV_SYS, DENO_MAIN, ...args], cwd: REPO_ROOT, stdin: 'null', stdout: 'piped', stderr: 'piped' }).spawn();
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

describe('Deno broker command line', () => {
  it('--help lists the samsa broker flags and exits 0', async () => {
    const r = await runMain([], ['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--config', '--override', '--port', '--host', '--data-dir', '--node-id', '--admin-port', '--log-level']) expect(r.stdout).toContain(flag);
  });

  it('exits 2 naming an unknown config key or a bad flag value', async () => {
    const dir = await Deno.makeTempDir({ prefix: 'samsa-deno-cli-' });
    try {
      const unknown = await runMain([`--allow-read=${dir}`, `--allow-write=${dir}`], ['--data-dir', dir, '--override', 'no.such.key=1']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('config error in "no.such.key"');
      const badPort = await runMain([], ['--port', 'abc']);
      expect(badPort.code).toBe(2);
      expect(badPort.stderr).toContain('--port must be an integer');
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  it('exits 2 with the permission flags to add when the data dir is not writable', async () => {
    const dir = await Deno.makeTempDir({ prefix: 'samsa-deno-cli-' });
    try {
      const r = await runMain(['--allow-net=127.0.0.1', `--allow-read=${dir}`], ['--port', '0', '--data-dir', dir, '--log-level', 'silent']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Deno permission missing');
      expect(r.stderr).toContain(`--allow-write=${dir}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  it('bin/start.mjs (npm run start:deno) runs the broker with the planned permissions and stops it on SIGTERM', async () => {
    const dir = await Deno.makeTempDir({ prefix: 'samsa-deno-start-' });
    const port = await freePort();
    const child = new Deno.Command('node', {
      args: [`${REPO_ROOT}apps/broker-deno/bin/start.mjs`, '--port', String(port), '--data-dir', dir, '--log-level', 'warn'],
      cwd: REPO_ROOT,
      stdin: 'null',
      stdout: 'piped',
      stderr: 'piped',
    }).spawn();
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = '';
      for (let reads = 0; !out.includes('listening on') && reads < 1_000; reads++) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      expect(out).toContain(`samsa broker listening on 127.0.0.1:${port} (data: ${dir})`);
      child.kill('SIGTERM');
      for (let reads = 0; reads < 1_000; reads++) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const status = await child.status;
      await child.stderr.cancel();
      expect(status.code).toBe(0);
      expect(out).toContain('samsa broker stopped cleanly');
    } finally {
      clearTimeout(timer);
      await Deno.remove(dir, { recursive: true });
    }
  });
});
