/**
 * Keeps the brokers' output across kills and restarts (the harness keeps only the current
 * run's) and writes it to files when a test fails, so a replication failure can be read
 * from the brokers' own logs: `<os tmpdir>/samsa-<suite>-<time>/broker-<id>.log`, every
 * run of a broker one after the other, each headed by a line naming the run.
 *
 * Call `keep(broker)` after a broker exited (before its restart), and `write()` once at the
 * end (it adds the running brokers' current output). Bounded: each broker keeps at most
 * RUN_CHARS_MAX characters of each run (the newest).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, ClusterBroker } from './cluster-process.ts';

const RUN_CHARS_MAX = 2 * 1024 * 1024;

export class BrokerLogs {
  readonly #suite: string;
  readonly #runs = new Map<number, string[]>();
  readonly #attachments = new Map<string, string>();

  constructor(suite: string) {
    this.#suite = suite;
  }

  /** Keeps the output of `broker`'s last run (call after it exited, before restart). */
  keep(broker: ClusterBroker, why: string): void {
    const runs = this.#runs.get(broker.nodeId) ?? [];
    runs.push(`=== broker ${broker.nodeId}, run ${runs.length + 1} (ended: ${why}) ===\n${broker.output().slice(-RUN_CHARS_MAX)}`);
    this.#runs.set(broker.nodeId, runs);
  }

  /** Another file to write beside the logs (e.g. a client's timeline); bounded like a run. */
  attach(name: string, content: string): void {
    this.#attachments.set(name, content.slice(0, RUN_CHARS_MAX * 4));
  }

  /** Writes every kept run plus the current output of `cluster`'s brokers, and the attachments; returns the directory. */
  write(cluster: Cluster): string {
    const dir = join(tmpdir(), `samsa-${this.#suite}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    for (const b of cluster.brokers) {
      const runs = [...(this.#runs.get(b.nodeId) ?? []), `=== broker ${b.nodeId}, last run (${b.running ? 'running' : 'not running'}) ===\n${b.output().slice(-RUN_CHARS_MAX)}`];
      writeFileSync(join(dir, `broker-${b.nodeId}.log`), runs.join('\n'));
    }
    for (const [name, content] of this.#attachments) writeFileSync(join(dir, name), content);
    return dir;
  }
}
