/**
 * Preload for profiling a broker started by the conformance harness: Node refuses
 * `--cpu-prof` in NODE_OPTIONS, but accepts `--import`, so
 *
 *   NODE_OPTIONS="--import <this file>" SAMSA_CPU_PROF_DIR=<dir>
 *
 * starts the V8 profiler through node:inspector at start-up and writes
 * `<dir>/broker-<pid>.cpuprofile` when the process exits (the broker exits on SIGTERM).
 * Plain .mjs because it runs inside the built broker, without a TypeScript loader.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SAMSA_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.SAMSA_CPU_PROF_INTERVAL_US ?? 500) });
  session.post('Profiler.start');
  process.once('exit', () => {
    // Same-thread inspector sessions answer synchronously, so this runs inside 'exit'.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `broker-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
