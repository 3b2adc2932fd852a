/**
 * The values stored under the cluster's keys (layout in cluster-keys.ts): UTF-8 JSON
 * objects, each with `"v": 1` (the record's schema version). JSON, not msgpackr: the values
 * are small and written rarely, and `etcdctl get --prefix /samsa/` shows them as text.
 * Decoding validates every field and throws `ClusterRecordError` (code
 * `malformed-record`) naming the key's kind and the field, never a half-read record.
 *
 * Records and their invariants:
 * - ControllerRecord `{ v, brokerId, incarnation }` at `controller`: the broker that holds the
 *   key (with its lease). `incarnation` is a random hex string, new per campaign, so a
 *   broker that restarts and campaigns again is a different holder. The controller epoch
 *   is the key's createRevision (not stored: the store assigns it).
 * - BrokerRegistration `{ v, brokerId, host, port, rack, incarnation }` at `brokers/<id>`:
 *   the key is attached to the broker's lease; its deletion (expiry) fences the broker.
 *   The broker epoch is the key's createRevision. `rack` is null when `broker.rack` is unset.
 *   Optional `replicationPort` (issue 14): the port of the broker's replica-fetch listener
 *   (same host); absent in records written before it existed, which decode without it.
 * - TopicRecord `{ v, name, topicId, partitionCount }`: `topicId` is 22 chars of
 *   base64url (Kafka's Uuid string form) of 16 random bytes, never the zero uuid;
 *   partitionCount ≥ 1 and only grows. It is written last when a topic is created, so a
 *   topic key means every partition key below partitionCount exists.
 * - PartitionRecord `{ v, topicId, partition, replicas, isr, leader, leaderEpoch, partitionEpoch }`:
 *   replicas distinct, non-empty, the preferred leader first; ISR a non-empty subset of
 *   replicas; leader ∈ ISR or -1 (offline); epochs ≥ 0 and only grow: leaderEpoch +1 per
 *   leader change, partitionEpoch +1 per change of any field. `topicId` ties it to one
 *   incarnation of the topic name. During a reassignment (issue 14) it also has
 *   `addingReplicas` and `removingReplicas` (both ⊆ replicas, disjoint, not both empty):
 *   the target is `replicas` minus `removingReplicas`; a record without them (every record
 *   written before issue 14) has no reassignment in progress.
 * - ConfigRecord `{ v, configs }`: string → string overrides (topic level, per broker, or
 *   the cluster-wide broker default at `configs/brokers/default`; a broker's effective
 *   dynamic config is the default's keys overridden by its own).
 */

export class ClusterRecordError extends Error {
  override readonly name = 'ClusterRecordError';
  readonly code = 'malformed-record';
}

export interface ControllerRecord {
  readonly brokerId: number;
  readonly incarnation: string;
}
export interface BrokerRegistration {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  readonly incarnation: string;
  /** The replica-fetch listener's port (issue 14); absent when the broker has none (older records). */
  readonly replicationPort?: number;
}
export interface TopicRecord {
  readonly name: string;
  readonly topicId: string;
  readonly partitionCount: number;
}
export interface PartitionRecord {
  readonly topicId: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** Replicas a reassignment adds (not yet all in the ISR); absent: no reassignment. */
  readonly addingReplicas?: readonly number[];
  /** Replicas a reassignment removes once every target replica is in the ISR. */
  readonly removingReplicas?: readonly number[];
}
export interface ConfigRecord {
  readonly configs: Readonly<Record<string, string>>;
}

export const recordVersion = 1;
export const recordBytesMax = 1 << 20;
export const configEntriesMax = 1024;
export const replicasMax = 1024;
const zeroTopicId = 'AAAAAAAAAAAAAAAAAAAAAA';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function encode(record: object): Uint8Array {
  return encoder.encode(JSON.stringify({ v: recordVersion, ...record }));
}

/** Parses the JSON object and checks its version; `what` names the record in errors. */
function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > recordBytesMax) throw new ClusterRecordError(`${what}: ${bytes.length} bytes, more than ${recordBytesMax}`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new ClusterRecordError(`${what}: not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ClusterRecordError(`${what}: not a JSON object`);
  const o = value as Record<string, unknown>;
  if (o.v !== recordVersion) throw new ClusterRecordError(`${what}: unknown record version ${JSON.stringify(o.v)}`);
  return o;
}

function int(o: Record<string, unknown>, field: string, what: string, min: number, max = 0x7fffffff): number {
  const x = o[field];
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw new ClusterRecordError(`${what}: field '${field}' must be an integer in [${min}, ${max}], got ${JSON.stringify(x)}`);
  return x;
}
function str(o: Record<string, unknown>, field: string, what: string): string {
  const x = o[field];
  if (typeof x !== 'string' || x.length === 0 || x.length > 1024) throw new ClusterRecordError(`${what}: field '${field}' must be a non-empty string, got ${JSON.stringify(x)}`);
  return x;
}
function ids(o: Record<string, unknown>, field: string, what: string): number[] {
  const x = o[field];
  if (!Array.isArray(x) || x.length === 0 || x.length > replicasMax) throw new ClusterRecordError(`${what}: field '${field}' must be a non-empty array of broker ids`);
  for (const id of x) if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new ClusterRecordError(`${what}: field '${field}' holds ${JSON.stringify(id)}, not a broker id`);
  if (new Set(x).size !== x.length) throw new ClusterRecordError(`${what}: field '${field}' repeats a broker id`);
  return x as number[];
}

function reassignmentOf(adding: number[], removing: number[]): { addingReplicas?: number[]; removingReplicas?: number[] } {
  return adding.length + removing.length > 0 ? { addingReplicas: adding, removingReplicas: removing } : {};
}

/** An optional, possibly empty list of distinct broker ids (absent: empty). */
function maybeIds(o: Record<string, unknown>, field: string, what: string): number[] {
  const x = o[field];
  if (x === undefined) return [];
  if (Array.isArray(x) && x.length === 0) return [];
  return ids(o, field, what);
}

export function isLegalTopicId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id) && id !== zeroTopicId;
}

export function encodeControllerRecord(r: ControllerRecord): Uint8Array {
  return encode({ brokerId: r.brokerId, incarnation: r.incarnation });
}
export function decodeControllerRecord(bytes: Uint8Array): ControllerRecord {
  const w = 'controller record';
  const o = parse(bytes, w);
  return { brokerId: int(o, 'brokerId', w, 0), incarnation: str(o, 'incarnation', w) };
}

export function encodeBrokerRegistration(r: BrokerRegistration): Uint8Array {
  const replication = r.replicationPort === undefined ? {} : { replicationPort: r.replicationPort };
  return encode({ brokerId: r.brokerId, host: r.host, port: r.port, rack: r.rack, incarnation: r.incarnation, ...replication });
}
export function decodeBrokerRegistration(bytes: Uint8Array): BrokerRegistration {
  const w = 'broker registration';
  const o = parse(bytes, w);
  const replication = o.replicationPort === undefined ? {} : { replicationPort: int(o, 'replicationPort', w, 1, 65535) };
  return { brokerId: int(o, 'brokerId', w, 0), host: str(o, 'host', w), port: int(o, 'port', w, 1, 65535), rack: o.rack === null ? null : str(o, 'rack', w), incarnation: str(o, 'incarnation', w), ...replication };
}

export function encodeTopicRecord(r: TopicRecord): Uint8Array {
  return encode({ name: r.name, topicId: r.topicId, partitionCount: r.partitionCount });
}
export function decodeTopicRecord(bytes: Uint8Array): TopicRecord {
  const w = 'topic record';
  const o = parse(bytes, w);
  const topicId = str(o, 'topicId', w);
  if (!isLegalTopicId(topicId)) throw new ClusterRecordError(`${w}: field 'topicId' must be a non-zero 22-char base64url uuid, got '${topicId}'`);
  return { name: str(o, 'name', w), topicId, partitionCount: int(o, 'partitionCount', w, 1) };
}

export function encodePartitionRecord(r: PartitionRecord): Uint8Array {
  checkPartitionRecord(r, 'partition record');
  const moving = isReassigning(r) ? { addingReplicas: r.addingReplicas ?? [], removingReplicas: r.removingReplicas ?? [] } : {};
  return encode({ topicId: r.topicId, partition: r.partition, replicas: r.replicas, isr: r.isr, leader: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch, ...moving });
}

/** The record without its reassignment fields. */
export function withoutReassignment(r: PartitionRecord): PartitionRecord {
  return { topicId: r.topicId, partition: r.partition, replicas: r.replicas, isr: r.isr, leader: r.leader, leaderEpoch: r.leaderEpoch, partitionEpoch: r.partitionEpoch };
}

/** True while a reassignment is in progress (some replica is being added or removed). */
export function isReassigning(r: PartitionRecord): boolean {
  return (r.addingReplicas?.length ?? 0) + (r.removingReplicas?.length ?? 0) > 0;
}
export function decodePartitionRecord(bytes: Uint8Array): PartitionRecord {
  const w = 'partition record';
  const o = parse(bytes, w);
  const r: PartitionRecord = {
    topicId: str(o, 'topicId', w),
    partition: int(o, 'partition', w, 0),
    replicas: ids(o, 'replicas', w),
    isr: ids(o, 'isr', w),
    leader: int(o, 'leader', w, -1),
    leaderEpoch: int(o, 'leaderEpoch', w, 0),
    partitionEpoch: int(o, 'partitionEpoch', w, 0),
    // Absent in records written before reassignments existed: no reassignment then.
    ...reassignmentOf(maybeIds(o, 'addingReplicas', w), maybeIds(o, 'removingReplicas', w)),
  };
  checkPartitionRecord(r, w);
  return r;
}

/** The cross-field invariants of a partition record (also asserted before every write). */
export function checkPartitionRecord(r: PartitionRecord, what: string): void {
  if (!isLegalTopicId(r.topicId)) throw new ClusterRecordError(`${what}: illegal topic id '${r.topicId}'`);
  if (r.isr.length === 0 || new Set(r.replicas).size !== r.replicas.length) throw new ClusterRecordError(`${what}: empty ISR or repeated replica`);
  for (const b of r.isr) if (!r.replicas.includes(b)) throw new ClusterRecordError(`${what}: ISR member ${b} is not a replica`);
  if (r.leader !== -1 && !r.isr.includes(r.leader)) throw new ClusterRecordError(`${what}: leader ${r.leader} is not in the ISR [${r.isr.join(',')}]`);
  const adding = r.addingReplicas ?? [];
  const removing = r.removingReplicas ?? [];
  for (const b of [...adding, ...removing]) if (!r.replicas.includes(b)) throw new ClusterRecordError(`${what}: reassigned broker ${b} is not a replica`);
  if (adding.some((b) => removing.includes(b)) || new Set(adding).size !== adding.length || new Set(removing).size !== removing.length) throw new ClusterRecordError(`${what}: adding [${adding.join(',')}] and removing [${removing.join(',')}] overlap or repeat`);
  if (removing.length >= r.replicas.length) throw new ClusterRecordError(`${what}: a reassignment may not remove every replica`);
}

export function encodeConfigRecord(r: ConfigRecord): Uint8Array {
  return encode({ configs: r.configs });
}
export function decodeConfigRecord(bytes: Uint8Array): ConfigRecord {
  const w = 'config record';
  const o = parse(bytes, w);
  const c = o.configs;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new ClusterRecordError(`${w}: field 'configs' must be an object`);
  const entries = Object.entries(c);
  if (entries.length > configEntriesMax) throw new ClusterRecordError(`${w}: more than ${configEntriesMax} entries`);
  const configs: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new ClusterRecordError(`${w}: config '${k}' must be a string, got ${JSON.stringify(v)}`);
    configs[k] = v;
  }
  return { configs };
}

/** A topic id: 16 random bytes (never all zero), as Kafka prints a Uuid (base64url, no padding). */
export function newTopicId(random: { fill(bytes: Uint8Array): Uint8Array }): string {
  const bytes = new Uint8Array(16);
  for (let attempt = 0; attempt < 8; attempt++) {
    random.fill(bytes);
    if (bytes.some((b) => b !== 0)) return base64url(bytes);
  }
  throw new RangeError('the random source gave only zero topic ids');
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
