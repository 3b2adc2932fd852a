/**
 * What `samsa topics describe` shows of one partition, and how it prints — pure
 * functions, no client (the command gathers Metadata, ListOffsets and the brokers'
 * DescribeLogDirs answers and hands them here).
 *
 * Per replica: whether it is in the ISR and its lag, the DescribeLogDirs `offsetLag` its
 * own broker reported for the partition, or null ('-' when printed) when that broker did
 * not answer (down, unreachable, timed out) or did not list the partition (no usable log
 * there: missing, or offline after an I/O error). Per partition: `offline` when it has no
 * leader (Kafka's offline / unavailable partition), `underReplicated` when its ISR is
 * smaller than its replica set (Kafka's under-replicated partition). Offsets (log start ..
 * high watermark) print as '-' when unknown (no leader, or it did not answer).
 */

/** Per broker id: the offset lag of each partition it listed, by `partitionKey`. */
export type LagsByBroker = ReadonlyMap<number, ReadonlyMap<string, number>>;

export interface ReplicaState {
  readonly broker: number;
  readonly inIsr: boolean;
  /** Null: unknown (the broker did not answer or does not hold a usable log of it). */
  readonly lag: number | null;
}

export interface PartitionFacts {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Null: unknown (no leader, or the leader did not answer ListOffsets). */
  readonly logStartOffset: number | null;
  readonly highWatermark: number | null;
}

/** What the describe shows of a partition: its Metadata and offsets, plus each replica's state. */
export interface PartitionDescription extends PartitionFacts {
  readonly replicaStates: readonly ReplicaState[];
  readonly underReplicated: boolean;
  readonly offline: boolean;
}

export interface TopicDescription {
  readonly topic: string;
  readonly partitions: readonly PartitionDescription[];
  readonly configs: Readonly<Record<string, string>>;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function describePartition(topic: string, facts: PartitionFacts, lags: LagsByBroker): PartitionDescription {
  const isr = new Set(facts.isr);
  const key = partitionKey(topic, facts.partition);
  const replicaStates = facts.replicas.map((broker) => ({ broker, inIsr: isr.has(broker), lag: lags.get(broker)?.get(key) ?? null }));
  return {
    ...facts,
    replicaStates,
    underReplicated: facts.isr.length < facts.replicas.length,
    offline: facts.leader < 0,
  };
}

/** `1(isr)=0 3(out)=-`: each replica, in the ISR or out of it, and its lag. */
export function formatReplicaStates(states: readonly ReplicaState[]): string {
  return states.map((s) => `${s.broker}(${s.inIsr ? 'isr' : 'out'})=${s.lag ?? '-'}`).join(' ');
}

/** `ok`, or the markers that apply: `offline`, `under-replicated`. */
export function partitionStatus(p: PartitionDescription): string {
  const markers = [...(p.offline ? ['offline'] : []), ...(p.underReplicated ? ['under-replicated'] : [])];
  return markers.length === 0 ? 'ok' : markers.join(',');
}

/** The text `samsa topics describe` prints: a line per topic, then a tab-separated line per partition. */
export function formatTopicDescriptions(topics: readonly TopicDescription[]): string {
  let out = '';
  for (const t of topics) {
    const configs = Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(',') || '(defaults)';
    out += `Topic: ${t.topic}\tPartitions: ${t.partitions.length}\tConfigs: ${configs}\n`;
    for (const p of t.partitions) {
      out +=
        `\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}` +
        `\tOffsets: ${p.logStartOffset === null || p.highWatermark === null ? '-' : `${p.logStartOffset}..${p.highWatermark}`}\tLag: ${formatReplicaStates(p.replicaStates)}\tStatus: ${partitionStatus(p)}\n`;
    }
  }
  return out;
}
