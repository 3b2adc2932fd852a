/**
 * Kafka's text checkpoint files, written atomically.
 *
 * Format (Kafka's `CheckpointFile`):
 * ```
 * 0                      version
 * <count>                number of entry lines
 * <entry line>           `count` lines, fields separated by one space
 * ```
 * Offset checkpoints (recovery-point-offset-checkpoint, log-start-offset-checkpoint,
 * replication-offset-checkpoint) hold `<topic> <partition> <offset>` lines; the
 * leader-epoch-checkpoint holds `<epoch> <startOffset>` lines.
 *
 * Atomic write: write `<path>.tmp`, sync it, rename over `<path>`, syncDir the parent.
 * After a crash the file holds either the old or the new content, never a mix.
 * A stray `.tmp` is ignored on read (the rename never happened).
 */
import { FileSystemError, type FileSystem } from '@samsa/runtime';
import { CorruptCheckpointError, assertSafeInteger } from './errors.ts';
import { TEMP_FILE_SUFFIX, parentDir } from './file-names.ts';

export const CHECKPOINT_VERSION = 0;
/** Bound on lines parsed from one checkpoint file. */
export const CHECKPOINT_ENTRIES_MAX = 1_000_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes `lines` (without newlines) as a version-0 checkpoint, atomically. */
export async function writeCheckpointLines(fs: FileSystem, path: string, lines: readonly string[]): Promise<void> {
  const text = `${CHECKPOINT_VERSION}\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`;
  const tmp = path + TEMP_FILE_SUFFIX;
  const handle = await fs.open(tmp, 'read-write', { truncate: true });
  try {
    await handle.write(encoder.encode(text), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(parentDir(path));
}

/** The entry lines of a checkpoint, split on spaces; null when the file does not exist. */
export async function readCheckpointLines(fs: FileSystem, path: string, fieldsPerLine: number): Promise<string[][] | null> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path); // no stat first: one file operation fewer per log at startup
  } catch (e) {
    if (e instanceof FileSystemError && e.code === 'not-found') return null;
    throw e;
  }
  const text = decoder.decode(bytes);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const version = lines[0];
  if (version === undefined || version.trim() !== String(CHECKPOINT_VERSION)) throw new CorruptCheckpointError(path, `version ${JSON.stringify(version)}`);
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || count > CHECKPOINT_ENTRIES_MAX) throw new CorruptCheckpointError(path, `count ${JSON.stringify(lines[1])}`);
  if (lines.length !== count + 2) throw new CorruptCheckpointError(path, `expected ${count} entries, found ${lines.length - 2}`);
  const out: string[][] = [];
  for (let i = 0; i < count; i++) {
    const fields = (lines[i + 2] ?? '').split(' ');
    if (fields.length !== fieldsPerLine) throw new CorruptCheckpointError(path, `line ${i + 3} has ${fields.length} fields`);
    out.push(fields);
  }
  return out;
}

function parseInteger(path: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new CorruptCheckpointError(path, `not an integer: ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new CorruptCheckpointError(path, `beyond 2^53: ${text}`);
  return n;
}

/** `<topic>-<partition>` → offset, as stored in the per-log-dir offset checkpoints. */
export type OffsetCheckpoint = Map<string, number>;

/** Key of a partition in an {@link OffsetCheckpoint}. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export async function readOffsetCheckpoint(fs: FileSystem, path: string): Promise<OffsetCheckpoint> {
  const rows = await readCheckpointLines(fs, path, 3);
  const out: OffsetCheckpoint = new Map();
  for (const [topic, partition, offset] of rows ?? []) {
    out.set(topicPartitionKey(topic!, parseInteger(path, partition!)), parseInteger(path, offset!));
  }
  return out;
}

export async function writeOffsetCheckpoint(fs: FileSystem, path: string, entries: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
  const lines = entries.map((e) => {
    assertSafeInteger(e.offset, 'checkpoint offset');
    if (/\s/.test(e.topic)) throw new CorruptCheckpointError(path, `topic with whitespace: ${JSON.stringify(e.topic)}`);
    return `${e.topic} ${e.partition} ${e.offset}`;
  });
  await writeCheckpointLines(fs, path, lines);
}

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export async function readLeaderEpochCheckpoint(fs: FileSystem, path: string): Promise<EpochEntry[]> {
  const rows = await readCheckpointLines(fs, path, 2);
  return (rows ?? []).map(([epoch, startOffset]) => ({ epoch: parseInteger(path, epoch!), startOffset: parseInteger(path, startOffset!) }));
}

export async function writeLeaderEpochCheckpoint(fs: FileSystem, path: string, entries: readonly EpochEntry[]): Promise<void> {
  await writeCheckpointLines(fs, path, entries.map((e) => `${e.epoch} ${e.startOffset}`));
}
