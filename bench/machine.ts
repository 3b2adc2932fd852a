/**
 * What a bench reads about the machine it shares: the load average, the share of the CPUs left
 * idle (/proc/stat), a bounded wait for a quieter moment before a round, and the CPU time a
 * process used (/proc/<pid>/stat), so a figure can say how much of the 2 shared cores the
 * servers took. Linux only. Imported by replication/ and broker/tail-latency.ts.
 *
 * Bounds: `untilQuiet` waits at most its `waitMs`, sampling every QUIET_SAMPLE_MS.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sleep } from '@samsa/bench';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;
const QUIET_SAMPLE_MS = 500;

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

export function totalCpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** Idle and total jiffies of all CPUs so far (/proc/stat's first line). */
function cpuJiffies(): { readonly idle: number; readonly total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

/** Share of the CPUs left idle over `ms`. */
async function idleShare(ms: number): Promise<number> {
  const a = cpuJiffies();
  await sleep(ms);
  const b = cpuJiffies();
  return b.total > a.total ? (b.idle - a.idle) / (b.total - a.total) : 1;
}

/** Waits (at most `waitMs`) until at least `idleMin` of the CPUs are idle; returns the last idle share. */
export async function untilQuiet(idleMin: number, waitMs: number): Promise<number> {
  const deadline = performance.now() + waitMs;
  let idle = await idleShare(QUIET_SAMPLE_MS);
  while (idle < idleMin && performance.now() < deadline) idle = await idleShare(QUIET_SAMPLE_MS);
  return idle;
}
