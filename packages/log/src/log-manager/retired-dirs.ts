/**
 * Names of retired partition directories (Kafka's): `<topic>-<partition>.<uuid hex>-delete`
 * for a log being deleted (removed after file.delete.delay.ms, or at the next start) and
 * `…-stray` for one set aside (never loaded, never removed). The 32 hex digits come from
 * the manager's seeded Random, so one seed reproduces a run's names.
 */
import type { Random } from '@samsa/runtime';
import { partitionDirName } from '../file-names.ts';

/** Suffix of a partition directory being deleted (Kafka's `-delete`). */
export const DELETE_DIR_SUFFIX = '-delete';
/** Suffix of a partition directory set aside by `setAsideLog` (Kafka's `-stray`); never loaded. */
export const STRAY_DIR_SUFFIX = '-stray';

/** The retired name of (topic, partition)'s directory with `suffix` (DELETE_DIR_SUFFIX or STRAY_DIR_SUFFIX). */
export function retiredDirName(topic: string, partition: number, suffix: string, random: Random): string {
  return `${partitionDirName(topic, partition)}.${uuidHex(random)}${suffix}`;
}

/** 32 hex digits of a random version-4 UUID, dashes dropped (Kafka's retired-dir suffix). */
function uuidHex(random: Random): string {
  const bytes = random.fill(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}
