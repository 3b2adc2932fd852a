/**
 * The verdicts of the replication suites, as pure functions over what the clients reported
 * (no I/O), so a failure lists every problem at once with the offsets involved.
 *
 * `checkAckedLog` (the failover test): the producer's delivery reports against a full read
 * of every partition from offset 0 to the high watermark. Values are "p<partition>-<n>", n
 * counting per partition in the order they were produced. Problems:
 * - an acknowledged value not read at the offset its delivery report named (lost, or moved);
 * - two acknowledgements naming one offset;
 * - a value read twice (idempotence broken across a failover), or out of order (n not
 *   strictly increasing along the offsets), or in the wrong partition, or never sent;
 * - offsets read not contiguous from 0 (a hole below the high watermark).
 * Values read but never acknowledged (their delivery failed or timed out, yet they were
 * written) are counted, not problems: Kafka allows them. An acknowledgement without an
 * offset (librdkafka's "implicit ack": a request whose answer was lost with the old leader,
 * known persisted because a later one with higher sequence numbers succeeded; its delivery
 * report carries no offset) must still be read exactly once, at any offset.
 *
 * `checkGroupCommits` (the groups test): reads and successful commits of a group member on
 * one timeline. Problems: a record read again at an offset below an offset that member had
 * already committed successfully for its partition (the commit was lost), and values never
 * read. Re-reads above the last commit (at-least-once after a rebalance) are counted only.
 *
 * Reports are bounded: at most PROBLEMS_MAX problems are listed, then a count of the rest.
 */

const PROBLEMS_MAX = 40;

/** Problem lines, bounded; optionally counted by kind, so a long list opens with a summary. */
class Problems {
  readonly list: string[] = [];
  readonly #kinds = new Map<string, number>();
  #more = 0;

  add(problem: string, kind?: string): void {
    if (kind !== undefined) this.#kinds.set(kind, (this.#kinds.get(kind) ?? 0) + 1);
    if (this.list.length < PROBLEMS_MAX) this.list.push(problem);
    else this.#more++;
  }

  done(): string[] {
    if (this.list.length === 0) return [];
    const summary = this.#kinds.size > 0 ? [`summary: ${[...this.#kinds].map(([k, n]) => `${k} ×${n}`).join(', ')}`] : [];
    return [...summary, ...this.list, ...(this.#more > 0 ? [`… and ${this.#more} more problems`] : [])];
  }
}

export interface AckedLogCounts {
  readonly sent: number;
  readonly acked: number;
  /** Acknowledged without an offset (librdkafka's implicit acks). */
  readonly ackedOffsetUnknown: number;
  readonly read: number;
  /** Read but never acknowledged (allowed). */
  readonly readNotAcked: number;
  /** Sent, not acknowledged, not read (allowed). */
  readonly unackedMissing: number;
}

export interface AckedLogVerdict {
  readonly problems: string[];
  readonly counts: AckedLogCounts;
}

/** See the file comment. `acked[p]` = [offset or null, n]; `read[p]` = [offset, value]; `sent[p]` = how many were produced. */
export function checkAckedLog(acked: ReadonlyArray<ReadonlyArray<readonly [number | null, number]>>, read: ReadonlyArray<ReadonlyArray<readonly [number, string]>>, sent: readonly number[]): AckedLogVerdict {
  const problems = new Problems();
  let ackedCount = 0;
  let readCount = 0;
  let readNotAcked = 0;
  let unackedMissing = 0;
  let ackedOffsetUnknown = 0;
  const partitions = Math.max(acked.length, read.length, sent.length);
  for (let p = 0; p < partitions; p++) {
    const records = read[p] ?? [];
    const acks = acked[p] ?? [];
    readCount += records.length;
    ackedCount += acks.length;
    const atOffset = new Map<number, string>();
    const offsetOfN = new Map<number, number>();
    let lastN = -1;
    records.forEach(([offset, value], i) => {
      if (offset !== i) problems.add(`p${p}: offset ${offset} read at position ${i} (offsets not contiguous from 0)`, `p${p} hole`);
      atOffset.set(offset, value);
      const m = /^p(\d+)-(\d+)$/.exec(value);
      if (m === null || Number(m[1]) !== p) {
        problems.add(`p${p}@${offset}: value ${JSON.stringify(value)} does not belong to this partition`, `p${p} foreign value`);
        return;
      }
      const n = Number(m[2]);
      if (n >= (sent[p] ?? 0)) problems.add(`p${p}@${offset}: ${value} was never sent (${sent[p] ?? 0} sent)`, `p${p} never sent`);
      const earlier = offsetOfN.get(n);
      if (earlier !== undefined) problems.add(`p${p}: ${value} read twice, at offsets ${earlier} and ${offset} (duplicate)`, `p${p} duplicate`);
      else if (n < lastN) problems.add(`p${p}@${offset}: ${value} after p${p}-${lastN} (reordered)`, `p${p} reordered`);
      if (earlier === undefined) offsetOfN.set(n, offset);
      lastN = Math.max(lastN, n);
    });
    const ackedN = new Set<number>();
    const ackedOffsets = new Map<number, number>();
    for (const [offset, n] of acks) {
      ackedN.add(n);
      if (offset === null || offset < 0) {
        // librdkafka's implicit ack (see the file comment): the value must be there, anywhere.
        ackedOffsetUnknown++;
        if (!offsetOfN.has(n)) problems.add(`p${p}-${n} acknowledged (offset unknown) is lost`, `p${p} acknowledged lost`);
        continue;
      }
      const other = ackedOffsets.get(offset);
      if (other !== undefined) problems.add(`p${p}@${offset}: acknowledged for both p${p}-${other} and p${p}-${n}`, `p${p} offset acknowledged twice`);
      ackedOffsets.set(offset, n);
      const found = atOffset.get(offset);
      if (found === `p${p}-${n}`) continue;
      const where = offsetOfN.get(n);
      if (where === undefined) problems.add(`p${p}-${n} acknowledged at offset ${offset} is lost (offset ${offset} holds ${found === undefined ? 'nothing' : found})`, `p${p} acknowledged lost`);
      else problems.add(`p${p}-${n} acknowledged at offset ${offset} was read at offset ${where}`, `p${p} acknowledged moved`);
    }
    for (const n of offsetOfN.keys()) if (!ackedN.has(n)) readNotAcked++;
    for (let n = 0; n < (sent[p] ?? 0); n++) if (!ackedN.has(n) && !offsetOfN.has(n)) unackedMissing++;
  }
  const sentCount = sent.reduce((a, b) => a + b, 0);
  return { problems: problems.done(), counts: { sent: sentCount, acked: ackedCount, ackedOffsetUnknown, read: readCount, readNotAcked, unackedMissing } };
}

export interface GroupVerdict {
  readonly problems: string[];
  /** Records read more than once (at-least-once; allowed above the last commit). */
  readonly duplicates: number;
  /** Highest successfully committed offset per partition over the whole run. */
  readonly committedMax: ReadonlyMap<number, number>;
}

/**
 * See the file comment. `reads` = [partition, offset, value] in read order; `commits` =
 * [reads before it, [[partition, next offset], …], …] (more fields ignored); `expected` = every
 * value that must be read.
 */
export function checkGroupCommits(reads: ReadonlyArray<readonly [number, number, string]>, commits: ReadonlyArray<readonly [number, ReadonlyArray<readonly [number, number]>, ...unknown[]]>, expected: readonly string[]): GroupVerdict {
  const problems = new Problems();
  const committed = new Map<number, number>();
  const seen = new Set<string>();
  /** Per partition: how many reads fell below a commit, and the first of them. */
  const reReads = new Map<number, { count: number; first: string }>();
  let duplicates = 0;
  let c = 0;
  reads.forEach(([partition, offset, value], i) => {
    while (c < commits.length && commits[c]![0] <= i) {
      for (const [p, o] of commits[c]![1]) committed.set(p, Math.max(committed.get(p) ?? 0, o));
      c++;
    }
    const floor = committed.get(partition) ?? 0;
    if (offset < floor) {
      const r = reReads.get(partition) ?? { count: 0, first: `read #${i}: offset ${offset} (${value}) after offset ${floor} was committed` };
      reReads.set(partition, { count: r.count + 1, first: r.first });
    }
    if (seen.has(value)) duplicates++;
    seen.add(value);
  });
  for (; c < commits.length; c++) for (const [p, o] of commits[c]![1]) committed.set(p, Math.max(committed.get(p) ?? 0, o));
  const missing = expected.filter((v) => !seen.has(v));
  if (missing.length > 0) problems.add(`${missing.length} values never read, e.g. ${missing.slice(0, 10).join(', ')}`);
  for (const [partition, r] of [...reReads].sort((a, b) => a[0] - b[0])) {
    problems.add(`partition ${partition}: ${r.count} records read again below an offset already committed (lost commit); first: ${r.first}`);
  }
  return { problems: problems.done(), duplicates, committedMax: committed };
}
