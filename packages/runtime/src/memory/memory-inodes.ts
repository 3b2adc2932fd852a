/**
 * The inodes of the memory file system and what a crash does to each.
 *
 * A file inode keeps two contents: `content` (what reads see, every write applied) and
 * `durable` (what survives a crash), plus `pending`, the operations applied to `content`
 * but not yet to `durable`, in call order. Invariant: replaying `pending` on `durable`
 * gives `content`. `sync()` replays them and empties the list.
 *
 * A directory inode keeps two child maps the same way: `children` (current) and
 * `durableChildren` (as of its last syncDir). A crash makes every directory reachable
 * from the root through durable entries take its durable children back.
 *
 * Pending operations are bounded by the bytes written (empty writes are not recorded,
 * consecutive shrinking truncates coalesce) and those by the file system's capacity.
 */

import type { Random } from '../random.ts';
import { GrowableBytes } from './growable-bytes.ts';

export type PendingOp =
  | { readonly kind: 'write'; readonly position: number; readonly bytes: Uint8Array }
  | { readonly kind: 'truncate'; readonly sizeBytes: number };

export interface FileInode {
  readonly kind: 'file';
  content: GrowableBytes;
  durable: GrowableBytes;
  pending: PendingOp[];
  mtimeMs: number;
  /** Directory entries (current) naming this inode; its bytes count as used while > 0. */
  links: number;
}

export interface DirInode {
  readonly kind: 'dir';
  children: Map<string, Inode>;
  durableChildren: Map<string, Inode>;
  mtimeMs: number;
}

export type Inode = FileInode | DirInode;

/**
 * How a crash treats the writes not yet synced:
 * - 'prefix' (default): a seeded prefix of each file's pending operations survives, the
 *   last surviving write cut at a seeded byte (an append-only file ends at a random byte
 *   past its last sync: the classic torn tail).
 * - 'last': only the last pending operation of each file may survive, torn, on top of
 *   the durable content (earlier unsynced bytes are lost: holes of zeros are possible).
 */
export type TearMode = 'prefix' | 'last';

export function newFileInode(capacityMax: number, mtimeMs: number): FileInode {
  return {
    kind: 'file',
    content: new GrowableBytes(capacityMax),
    durable: new GrowableBytes(capacityMax),
    pending: [],
    mtimeMs,
    links: 0,
  };
}

export function newDirInode(mtimeMs: number): DirInode {
  return { kind: 'dir', children: new Map(), durableChildren: new Map(), mtimeMs };
}

export function applyOp(target: GrowableBytes, op: PendingOp): void {
  if (op.kind === 'write') target.write(op.position, op.bytes);
  else target.truncate(op.sizeBytes);
}

export function recordOp(inode: FileInode, op: PendingOp): void {
  const last = inode.pending[inode.pending.length - 1];
  if (op.kind === 'write' && op.bytes.byteLength === 0) return;
  // truncate(a) then truncate(b <= a) is truncate(b); a growing one must stay apart (it zero-fills).
  if (op.kind === 'truncate' && last?.kind === 'truncate' && op.sizeBytes <= last.sizeBytes) {
    inode.pending[inode.pending.length - 1] = op;
  } else {
    inode.pending.push(op);
  }
}

/** Makes every pending operation durable (fdatasync). */
export function syncFile(inode: FileInode): void {
  for (const op of inode.pending) applyOp(inode.durable, op);
  inode.pending = [];
}

/** Replaces the content by what a crash leaves: the durable bytes plus, with `tear`, part of the pending ones. */
export function crashFile(inode: FileInode, tear: { random: Random; mode: TearMode } | null): void {
  const pending = inode.pending;
  if (tear && pending.length > 0) {
    const tornIndex = tear.mode === 'last' ? pending.length - 1 : tear.random.int(0, pending.length);
    if (tear.mode === 'prefix') for (let i = 0; i < tornIndex; i++) applyOp(inode.durable, pending[i]!);
    const torn = pending[tornIndex]!;
    if (torn.kind === 'write') {
      const cut = tear.random.int(0, torn.bytes.byteLength + 1);
      if (cut > 0) inode.durable.write(torn.position, torn.bytes.subarray(0, cut));
    } else if (tear.random.int(0, 2) === 1) {
      applyOp(inode.durable, torn);
    }
  }
  inode.pending = [];
  inode.content = inode.durable.clone();
}
