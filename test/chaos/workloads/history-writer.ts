/**
 * The JSONL history writer of the Node workloads (issue 15): the same format and the same
 * write discipline as history.py (format: test/chaos/README.md, "Workloads").
 *
 * One JSON object per line `{type, f, process, time, ...fields}`, appended to the file with
 * one synchronous write on an append-mode descriptor (looping only on a short write), so a
 * killed process never leaves a torn line behind a complete one and a line is in the file
 * before `write` returns. `time` is wall-clock milliseconds since the epoch (float), so
 * files from different processes merge on one axis. A line over LINE_BYTES_MAX is a bug
 * in the workload and throws.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const LINE_BYTES_MAX = 4 * 1024 * 1024;

export type HistoryType = 'invoke' | 'ok' | 'fail' | 'info';

/** Wall-clock ms since the epoch with sub-ms resolution. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export class HistoryWriter {
  readonly #fd: number;
  #closed = false;
  lines = 0;

  constructor(path: string) {
    this.#fd = openSync(path, 'a');
  }

  write(type: HistoryType, f: string, process: string, fields: Record<string, unknown>): void {
    if (this.#closed) throw new Error(`history write after close: ${type} ${f} ${process}`);
    const line = Buffer.from(`${JSON.stringify({ type, f, process, time: wallMs(), ...fields })}\n`, 'utf8');
    if (line.length > LINE_BYTES_MAX) throw new Error(`history line of ${line.length} bytes exceeds ${LINE_BYTES_MAX}`);
    let at = 0;
    while (at < line.length) at += writeSync(this.#fd, line, at, line.length - at);
    this.lines += 1;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}
