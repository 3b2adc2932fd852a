/**
 * Bounded I/O loops a HostProcess implementation needs on runtimes whose writes and reads
 * may be partial (Deno's `writeSync`, `read`): writing one whole line, and reading stdin to
 * its end for the launcher's lifeline. Runtime-free: the app passes its read/write calls.
 */
import type { StdinEnd } from './host-process.ts';

/** Write calls for one line before giving up (each writes at least one byte unless the fd is broken). */
export const WRITES_PER_LINE_MAX = 1_000;
/** Reads of stdin before the lifeline stops watching (the launcher never writes to it). */
export const STDIN_READS_MAX = 1_000_000;
const STDIN_BUFFER_BYTES = 4096;

const encoder = new TextEncoder();

/** Writes `text` and a newline through `writeSync` (which returns the bytes it wrote). */
export function writeLineSync(writeSync: (bytes: Uint8Array) => number, text: string): void {
  const bytes = encoder.encode(`${text}\n`);
  for (let done = 0, calls = 0; done < bytes.byteLength && calls < WRITES_PER_LINE_MAX; calls++) done += writeSync(bytes.subarray(done));
}

/** Reads and drops input until end of file ('eof'), a read error ('error') or STDIN_READS_MAX reads ('written'). */
export async function readUntilEnd(read: (buffer: Uint8Array) => Promise<number | null>): Promise<StdinEnd> {
  const buffer = new Uint8Array(STDIN_BUFFER_BYTES);
  try {
    for (let reads = 0; reads < STDIN_READS_MAX; reads++) {
      if ((await read(buffer)) === null) return 'eof';
    }
    return 'written';
  } catch {
    return 'error';
  }
}
