// reset-offsets planning: flag parsing (exit 2 on misuse) and the per-partition rule,
// checked against kafka-consumer-groups.sh's semantics.
import { describe, expect, it } from 'vitest';
import { CliError } from '@samsa/host/cli';
import { parseIsoDurationMs, parseResetTarget, parseTopicSpec, resetOffsetFor } from './reset-plan.ts';
import type { PartitionOffsets } from './reset-plan.ts';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const usageError = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof CliError ? e.exitCode : -1;
  }
  return 0;
};

describe('reset-offsets planning', () => {
  it('parses exactly one target', () => {
    expect(parseResetTarget({ toEarliest: true }, NOW)).toEqual({ kind: 'earliest' });
    expect(parseResetTarget({ toCurrent: true }, NOW)).toEqual({ kind: 'current' });
    expect(parseResetTarget({ toOffset: '42' }, NOW)).toEqual({ kind: 'offset', offset: 42 });
    expect(parseResetTarget({ shiftBy: '-5' }, NOW)).toEqual({ kind: 'shift', by: -5 });
    expect(parseResetTarget({ shiftBy: '+3' }, NOW)).toEqual({ kind: 'shift', by: 3 });
    expect(parseResetTarget({ toDatetime: '2026-11-26T11:00:00Z' }, NOW)).toEqual({ kind: 'timestamp', timestampMs: NOW - 3_600_000 });
    expect(parseResetTarget({ byDuration: 'PT30M' }, NOW)).toEqual({ kind: 'timestamp', timestampMs: NOW - 1_800_000 });
    expect(usageError(() => parseResetTarget({}, NOW))).toBe(2);
    expect(usageError(() => parseResetTarget({ toEarliest: true, shiftBy: '1' }, NOW))).toBe(2);
    expect(usageError(() => parseResetTarget({ shiftBy: '1.5' }, NOW))).toBe(2);
    expect(usageError(() => parseResetTarget({ toOffset: '-1' }, NOW))).toBe(2);
    expect(usageError(() => parseResetTarget({ byDuration: '30 minutes' }, NOW))).toBe(2);
  });

  it('reads ISO 8601 durations as Java Duration.parse does (days to seconds)', () => {
    expect(parseIsoDurationMs('P1D')).toBe(86_400_000);
    expect(parseIsoDurationMs('PT1H')).toBe(3_600_000);
    expect(parseIsoDurationMs('P2DT3H4M5.5S')).toBe(((2 * 24 + 3) * 60 + 4) * 60_000 + 5_500);
    expect(parseIsoDurationMs('pt15m')).toBe(900_000);
    for (const bad of ['P', 'PT', 'P1DT', '1D', 'P-1D', 'PT1.5M', '']) expect(usageError(() => parseIsoDurationMs(bad))).toBe(2);
  });

  it('reads topic scopes: a name, or a name with partitions', () => {
    expect(parseTopicSpec('orders')).toEqual({ topic: 'orders', partitions: null });
    expect(parseTopicSpec('orders:2,0,2')).toEqual({ topic: 'orders', partitions: [0, 2] });
    for (const bad of ['', 'orders:', 'orders:a', ':1', 'orders:1,-2']) expect(usageError(() => parseTopicSpec(bad))).toBe(2);
  });

  it('places each partition as Kafka does, always within [log start, log end]', () => {
    const p: PartitionOffsets = { partition: 0, low: 10, high: 50, committed: 30 };
    const none: PartitionOffsets = { ...p, committed: null };
    expect(resetOffsetFor({ kind: 'earliest' }, p, 't')).toBe(10);
    expect(resetOffsetFor({ kind: 'latest' }, p, 't')).toBe(50);
    expect(resetOffsetFor({ kind: 'current' }, p, 't')).toBe(30);
    expect(resetOffsetFor({ kind: 'current' }, none, 't')).toBe(50); // nothing committed: the log end
    expect(resetOffsetFor({ kind: 'offset', offset: 5 }, p, 't')).toBe(10);
    expect(resetOffsetFor({ kind: 'offset', offset: 99 }, p, 't')).toBe(50);
    expect(resetOffsetFor({ kind: 'shift', by: -5 }, p, 't')).toBe(25);
    expect(resetOffsetFor({ kind: 'shift', by: -100 }, p, 't')).toBe(10);
    expect(resetOffsetFor({ kind: 'shift', by: 100 }, p, 't')).toBe(50);
    expect(usageError(() => resetOffsetFor({ kind: 'shift', by: 1 }, none, 't'))).toBe(1);
    expect(resetOffsetFor({ kind: 'timestamp', timestampMs: 0 }, { ...p, atTimestamp: 17 }, 't')).toBe(17);
    expect(resetOffsetFor({ kind: 'timestamp', timestampMs: 0 }, { ...p, atTimestamp: -1 }, 't')).toBe(50); // no record that late
  });
});
