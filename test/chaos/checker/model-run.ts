/**
 * Test support: a model run of the workloads, as raw history lines and a raw final read,
 * consistent by construction, and planters that put exactly one defect into such a run.
 *
 * The model: producers (one process each) take turns sending unique values ("pP-i") to the
 * partitions of a model log; each send ends ok (appended, ack names its offset), fail (not
 * appended), info or no completion at all (appended or not, chosen per send). Then the
 * consumer group runs generations: each generation assigns every partition to one member,
 * the owner polls a contiguous range from the group's committed offset (possibly rewound,
 * at-least-once after a rebalance) in chunks, commits after each poll (offset = last + 1),
 * and every member is revoked at the generation's end. A nemesis fault brackets the sends.
 * Times: a send every 100 ms from T0, its completion 50 ms later; consumer events 10 ms
 * apart after the sends. Everything is plain JSON so tests exercise the parsers too.
 */
import fc from 'fast-check';
import type { FinalRead } from './final-read.ts';
import { parseFinalRead } from './final-read.ts';
import { type History, mergeHistories, parseHistoryText } from './history.ts';

export const T0_MS = 1_700_000_000_000;

export type SendFate = 'ok' | 'fail' | 'info-written' | 'info-lost' | 'crash-written' | 'crash-lost';

export interface ModelParams {
  readonly partitions: number;
  readonly producers: number;
  readonly members: number;
  readonly sends: readonly { readonly producer: number; readonly partition: number; readonly fate: SendFate }[];
  readonly generations: readonly { readonly owner: readonly number[]; readonly rewind: readonly number[]; readonly reads: readonly number[]; readonly chunk: number }[];
}

export type Line = Record<string, unknown>;

/** process name → its history lines in order; the final read as the workload writes it. */
export interface RawRun {
  readonly histories: Map<string, Line[]>;
  final: { topic: string; partitions: Record<string, { logStartOffset: number; highWatermark: number; records: [number, string][] }> };
}

const fate = fc.constantFrom<SendFate>('ok', 'ok', 'ok', 'ok', 'ok', 'fail', 'info-written', 'info-lost', 'crash-written', 'crash-lost');

export const modelParams: fc.Arbitrary<ModelParams> = fc
  .record({ partitions: fc.integer({ min: 1, max: 3 }), producers: fc.integer({ min: 1, max: 3 }), members: fc.integer({ min: 1, max: 3 }) })
  .chain(({ partitions, producers, members }) =>
    fc.record({
      partitions: fc.constant(partitions),
      producers: fc.constant(producers),
      members: fc.constant(members),
      sends: fc.array(fc.record({ producer: fc.nat(producers - 1), partition: fc.nat(partitions - 1), fate }), { minLength: 8, maxLength: 60 }),
      generations: fc.array(
        fc.record({
          owner: fc.array(fc.nat(members - 1), { minLength: partitions, maxLength: partitions }),
          rewind: fc.array(fc.nat(3), { minLength: partitions, maxLength: partitions }),
          reads: fc.array(fc.nat(25), { minLength: partitions, maxLength: partitions }),
          chunk: fc.integer({ min: 1, max: 4 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    }),
  );

function lines(histories: Map<string, Line[]>, process: string): Line[] {
  let list = histories.get(process);
  if (list === undefined) histories.set(process, (list = []));
  return list;
}

/** The consistent history and final read of a model run. */
export function deriveRun(params: ModelParams): RawRun {
  const histories = new Map<string, Line[]>();
  const logs: string[][] = Array.from({ length: params.partitions }, () => []);
  const nemesis = lines(histories, 'nemesis');
  nemesis.push({ type: 'info', f: 'nemesis', process: 'nemesis', time: T0_MS + 120, fault: 'kill-leader', phase: 'start', detail: { broker: 1 } });
  params.sends.forEach((s, i) => {
    const process = `producer-${s.producer}`;
    const value = `p${s.producer}-${i}`;
    const time = T0_MS + i * 100;
    const out = lines(histories, process);
    out.push({ type: 'invoke', f: 'send', process, time, partition: s.partition, value });
    const log = logs[s.partition]!;
    if (s.fate === 'ok' || s.fate.endsWith('-written')) log.push(value);
    const done = time + 50;
    if (s.fate === 'ok') out.push({ type: 'ok', f: 'send', process, time: done, partition: s.partition, value, offset: log.length - 1 });
    else if (s.fate === 'fail') out.push({ type: 'fail', f: 'send', process, time: done, partition: s.partition, value, error: 'NOT_ENOUGH_REPLICAS' });
    else if (s.fate.startsWith('info')) out.push({ type: 'info', f: 'send', process, time: done, partition: s.partition, value, error: 'MSG_TIMED_OUT' });
  });
  nemesis.push({ type: 'info', f: 'nemesis', process: 'nemesis', time: T0_MS + 420, fault: 'kill-leader', phase: 'end', detail: { broker: 1 } });
  let time = T0_MS + params.sends.length * 100 + 1000;
  const committed = new Array<number>(params.partitions).fill(0);
  params.generations.forEach((g, gi) => {
    const generation = gi + 1;
    for (let m = 0; m < params.members; m++) {
      const partitions = g.owner.flatMap((owner, p) => (owner === m ? [p] : []));
      lines(histories, `consumer-${m}`).push({ type: 'ok', f: 'assign', process: `consumer-${m}`, time: (time += 10), member: `member-${m}`, generation, partitions });
    }
    g.owner.forEach((m, p) => {
      const process = `consumer-${m}`;
      const out = lines(histories, process);
      const log = logs[p]!;
      let next = Math.max(0, committed[p]! - g.rewind[p]!);
      const end = Math.min(log.length, next + g.reads[p]!);
      while (next < end) {
        const upTo = Math.min(end, next + g.chunk);
        const records = log.slice(next, upTo).map((value, k) => [p, next + k, value]);
        out.push({ type: 'ok', f: 'poll', process, time: (time += 10), member: `member-${m}`, generation, records });
        next = upTo;
        const offsets = [[p, next]];
        out.push({ type: 'invoke', f: 'commit', process, time: (time += 10), group: 'g', member: `member-${m}`, generation, offsets });
        out.push({ type: 'ok', f: 'commit', process, time: (time += 10), group: 'g', member: `member-${m}`, generation, offsets });
        committed[p] = next;
      }
    });
    for (let m = 0; m < params.members; m++) {
      const partitions = g.owner.flatMap((owner, p) => (owner === m ? [p] : []));
      lines(histories, `consumer-${m}`).push({ type: 'ok', f: 'revoke', process: `consumer-${m}`, time: (time += 10), member: `member-${m}`, generation, partitions });
    }
  });
  const partitions: RawRun['final']['partitions'] = {};
  logs.forEach((log, p) => {
    partitions[String(p)] = { logStartOffset: 0, highWatermark: log.length, records: log.map((value, o) => [o, value]) };
  });
  return { histories, final: { topic: 'chaos', partitions } };
}

/** One JSONL text per process, as the workloads write them. */
export function historyTexts(run: RawRun): Map<string, string> {
  const texts = new Map<string, string>();
  for (const [process, list] of run.histories) texts.set(`${process}.jsonl`, list.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return texts;
}

export function toHistory(run: RawRun): History {
  return mergeHistories([...historyTexts(run)].map(([file, text]) => parseHistoryText(text, file)));
}

export function toFinalRead(run: RawRun): FinalRead {
  return parseFinalRead(JSON.parse(JSON.stringify(run.final)), 'final.json');
}

export function cloneRun(run: RawRun): RawRun {
  return { histories: new Map([...run.histories].map(([k, v]) => [k, structuredClone(v)])), final: structuredClone(run.final) };
}
