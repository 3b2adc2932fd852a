/**
 * ConnectionLog on a ManualClock: one line per reason per 10 s window, then one summary
 * line with the count; each reason its own message; close() writes pending counts.
 */
import { ManualClock } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../observability/logger.ts';
import { ConnectionLog } from './connection-log.ts';

function recording(): { logger: Logger; lines: Array<{ obj: object; msg?: string }> } {
  const lines: Array<{ obj: object; msg?: string }> = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => void lines.push({ obj, msg }),
    error: (obj, msg) => void lines.push({ obj, msg }),
    child: () => logger,
  };
  return { logger, lines };
}

describe('ConnectionLog', () => {
  it('writes one line per reason, then "N more connections closed for <reason> in the last 10 s"', () => {
    const clock = new ManualClock();
    const { logger, lines } = recording();
    const log = new ConnectionLog(logger, clock);
    for (let i = 0; i < 2_095; i++) log.badFrame('frame-too-large', `127.0.0.1:${i}`, 1000);
    expect(lines.map((l) => l.msg)).toEqual(['closing connection: request frame larger than socket.request.max.bytes']);
    clock.advance(9_999);
    expect(lines).toHaveLength(1);
    clock.advance(1);
    expect(lines.map((l) => l.msg)).toEqual([
      'closing connection: request frame larger than socket.request.max.bytes',
      '2094 more connections closed for frame-too-large in the last 10 s',
    ]);
    // The flood goes on: one summary per window.
    for (let i = 0; i < 30; i++) log.badFrame('frame-too-large', 'p', 1000);
    clock.advance(10_000);
    expect(lines.at(-1)?.msg).toBe('30 more connections closed for frame-too-large in the last 10 s');
    // A quiet window ends it; the next event gets its own line again.
    clock.advance(10_000);
    expect(lines).toHaveLength(3);
    log.badFrame('frame-too-large', 'p', 1000);
    expect(lines).toHaveLength(4);
    expect(lines[3]!.msg).toBe(lines[0]!.msg);
  });

  it('gives each reason its own message and window', () => {
    const clock = new ManualClock();
    const { logger, lines } = recording();
    const log = new ConnectionLog(logger, clock);
    log.badFrame('frame-too-large', 'a', 1000);
    log.badFrame('bad-frame', 'b', 1000);
    log.refused('max-connections-per-ip', 'c', 5, 2);
    log.refused('max-connections', 'd', 10, 1);
    log.badFrame('bad-frame', 'e', 1000);
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toHaveLength(4);
    expect(new Set(msgs).size).toBe(4);
    expect(msgs[1]).toMatch(/negative/);
    expect(msgs.some((m) => m?.includes('too large'))).toBe(false);
    log.close();
    expect(lines.at(-1)?.msg).toBe('1 more connections closed for bad-frame in the last 10 s');
    // No timer left behind.
    expect(clock.advanceToNext()).toBe(false);
  });
});
