import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '@samsa/codec';
import { ConnectionSession, FRAME_PROGRESS_BYTES } from './connection-session.ts';
import { RequestMemoryPool } from './request-memory-pool.ts';
import type { FrameOutcome, SessionSink } from './connection-session.ts';

function frame(payload: number[]): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}

function recordingSink() {
  const events: string[] = [];
  const sent: Uint8Array[] = [];
  const sink: SessionSink = {
    send: (b) => void sent.push(b instanceof Uint8Array ? b : new Uint8Array(b.flatMap((c) => [...c]))),
    setReading: (r) => void events.push(r ? 'resume' : 'pause'),
    close: (reason, graceful) => void events.push(`close:${reason}:${graceful}`),
  };
  return { sink, events, sent };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('FrameSplitter as the Kafka request splitter', () => {
  it('splits coalesced and fragmented chunks into frames', () => {
    const s = new FrameSplitter({ frameBytesMax: 100, api: 'RequestFrame' });
    const bytes = new Uint8Array([...frame([1, 2, 3]), ...frame([]), ...frame([9])]);
    const got: number[][] = [];
    for (let i = 0; i < bytes.length; i += 2) for (const f of s.push(bytes.subarray(i, i + 2))) got.push([...f]);
    expect(got).toEqual([[1, 2, 3], [], [9]]);
    expect(s.bufferedBytes).toBe(0);
    expect(s.push(bytes).map((f) => [...f])).toEqual([[1, 2, 3], [], [9]]);
  });

  it('holds only the bytes received for a large announced frame, not the announced size', () => {
    const s = new FrameSplitter({ frameBytesMax: 100 * 1024 * 1024, api: 'RequestFrame' });
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, 50 * 1024 * 1024);
    expect(s.push(new Uint8Array([...prefix, 1, 2, 3]))).toEqual([]);
    expect(s.bufferedBytes).toBe(4 + 3);
    expect(s.retainedBytes).toBeLessThan(64 * 1024);
  });

  it('rejects an oversized or negative length from the prefix alone', () => {
    const s = new FrameSplitter({ frameBytesMax: 10, api: 'RequestFrame' });
    expect(() => s.push(new Uint8Array([0, 0, 0, 11]))).toThrow(/too-large/);
    const t = new FrameSplitter({ frameBytesMax: 10, api: 'RequestFrame' });
    expect(() => t.push(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(/bad-length/);
    const u = new FrameSplitter({ frameBytesMax: 10, api: 'RequestFrame' });
    expect(u.push(new Uint8Array([0x7f, 0xff]))).toEqual([]);
    expect(() => u.push(new Uint8Array([0xff, 0xff]))).toThrow(/too-large/);
    expect(u.bufferedBytes).toBeLessThanOrEqual(4);
  });
});

describe('ConnectionSession', () => {
  it('answers in arrival order even when handlers finish out of order, and skips null responses', async () => {
    const { sink, sent } = recordingSink();
    const delays = [30, 0, 10];
    const session = new ConnectionSession(
      {
        frameBytesMax: 100,
        queuedBytesMax: 1000,
        queuedFramesMax: 100,
        handleFrame: async (f): Promise<FrameOutcome> => {
          await new Promise((r) => setTimeout(r, delays[f[0]!]));
          return { response: f[0] === 1 ? null : new Uint8Array([f[0]!]) };
        },
      },
      sink,
    );
    session.push(new Uint8Array([...frame([0]), ...frame([1]), ...frame([2])]));
    // A bounded poll, not a fixed sleep: on a loaded machine the 30 ms handler may take longer.
    for (let waitedMs = 0; sent.length < 2 && waitedMs < 10_000; waitedMs += 10) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20)); // nothing more comes (frame 1's null response is skipped)
    expect(sent.map((b) => b[0])).toEqual([0, 2]);
  });

  it('pauses reading while responses are not drained and resumes after', async () => {
    const { sink, events } = recordingSink();
    const session = new ConnectionSession(
      { frameBytesMax: 1000, queuedBytesMax: 250, queuedFramesMax: 1000, handleFrame: () => ({ response: new Uint8Array(100) }) },
      sink,
    );
    for (let i = 0; i < 10; i++) session.push(frame([i]));
    await tick();
    expect(events).toContain('pause');
    expect(session.bufferedBytes).toBeLessThanOrEqual(250 + 100 + 5 * 10);
    session.drained(1000);
    await tick();
    expect(events[events.length - 1]).toBe('resume');
  });

  it('counts the total length of chunked responses against queuedBytesMax', async () => {
    const { sink, sent } = recordingSink();
    const session = new ConnectionSession(
      { frameBytesMax: 1000, queuedBytesMax: 250, queuedFramesMax: 1000, handleFrame: () => ({ response: [new Uint8Array(60), new Uint8Array(40)] }) },
      sink,
    );
    for (let i = 0; i < 10; i++) session.push(frame([i]));
    await tick();
    expect(sent.map((b) => b.length)).toEqual([100, 100, 100]);
    session.drained(300);
    await tick();
    expect(sent.length).toBe(6);
  });

  it('ends on an oversized frame without calling the handler', () => {
    const { sink, events } = recordingSink();
    let calls = 0;
    const session = new ConnectionSession(
      { frameBytesMax: 8, queuedBytesMax: 100, queuedFramesMax: 10, handleFrame: () => (calls++, { response: null }) },
      sink,
    );
    session.push(new Uint8Array([0, 0, 1, 0, 1, 2, 3]));
    expect(events).toEqual(['close:frame-too-large:false']);
    expect(calls).toBe(0);
    expect(session.ended).toBe(true);
  });

  it('finish() lets the request in flight answer, drops queued ones, then closes gracefully', async () => {
    const { sink, events, sent } = recordingSink();
    let release!: () => void;
    const session = new ConnectionSession(
      {
        frameBytesMax: 100,
        queuedBytesMax: 1000,
        queuedFramesMax: 100,
        handleFrame: async (f) => {
          if (f[0] === 0) await new Promise<void>((r) => (release = r));
          return { response: new Uint8Array([f[0]!]) };
        },
      },
      sink,
    );
    session.push(new Uint8Array([...frame([0]), ...frame([1])]));
    await tick();
    const done = session.finish();
    release();
    await done;
    expect(sent.map((b) => b[0])).toEqual([0]);
    expect(events).toEqual(['pause', 'close:shutdown:true']);
  });

  it('overlaps frames marked canOverlap (started in order, answered in order); others wait for everything before them', async () => {
    const { sink, sent } = recordingSink();
    const log: string[] = [];
    const releases = new Map<number, () => void>();
    const session = new ConnectionSession(
      {
        frameBytesMax: 100,
        queuedBytesMax: 1000,
        queuedFramesMax: 100,
        inFlightMax: 4,
        canOverlap: (f) => f[1] === 1,
        handleFrame: async (f) => {
          log.push(`start ${f[0]}`);
          await new Promise<void>((r) => releases.set(f[0]!, r));
          log.push(`end ${f[0]}`);
          return { response: new Uint8Array([f[0]!]) };
        },
      },
      sink,
    );
    session.push(new Uint8Array([...frame([0, 1]), ...frame([1, 1]), ...frame([2, 0]), ...frame([3, 1])]));
    await tick();
    expect(log).toEqual(['start 0', 'start 1']);
    releases.get(1)!();
    await tick();
    expect(sent).toEqual([]); // 1 finished first but 0 answers first
    releases.get(0)!();
    await tick();
    expect(sent.map((b) => b[0])).toEqual([0, 1]);
    expect(log).toEqual(['start 0', 'start 1', 'end 1', 'end 0', 'start 2']);
    releases.get(2)!();
    await tick();
    expect(log[log.length - 1]).toBe('start 3');
    releases.get(3)!();
    await tick();
    expect(sent.map((b) => b[0])).toEqual([0, 1, 2, 3]);
  });

  describe('stall() (what PoolPressure closes under pressure)', () => {
    const prefix = (n: number) => {
      const p = new Uint8Array(4);
      new DataView(p.buffer).setInt32(0, n);
      return p;
    };

    it('reports unread-responses once responses went undrained (under FRAME_PROGRESS_BYTES drained) for the minimum while queued frames hold pool bytes', async () => {
      const { sink } = recordingSink();
      let now = 0;
      const pool = new RequestMemoryPool(1 << 20);
      const session = new ConnectionSession(
        { frameBytesMax: 1000, queuedBytesMax: 250, queuedFramesMax: 1000, pool, nowMs: () => now, handleFrame: () => ({ response: new Uint8Array(FRAME_PROGRESS_BYTES + 300) }) },
        sink,
      );
      for (let i = 0; i < 3; i++) session.push(frame([i, 0, 0]));
      await tick();
      // The first response (> 250 bytes) is undrained: the other two frames wait, reserved.
      expect(session.reservedUnhandledBytes).toBe(6);
      now = 4_999;
      expect(session.stall(now, 5_000)).toBe(null);
      now = 5_000;
      expect(session.stall(now, 5_000)).toBe('unread-responses');
      session.drained(FRAME_PROGRESS_BYTES - 1); // a trickle: not progress
      expect(session.stall(now, 5_000)).toBe('unread-responses');
      session.drained(1); // FRAME_PROGRESS_BYTES read: progress, 300 bytes still undrained
      expect(session.stall(now, 5_000)).toBe(null);
      expect(session.stall(now + 5_000, 5_000)).toBe('unread-responses');
      now = 20_000;
      session.drained(300); // all read: the next frame is handled, its response restarts the clock
      await tick();
      expect(session.reservedUnhandledBytes).toBe(3);
      expect(session.stall(24_999, 5_000)).toBe(null);
      expect(session.stall(25_000, 5_000)).toBe('unread-responses');
    });

    it('reports stalled-request for a reserved frame that gets less than FRAME_PROGRESS_BYTES in the minimum, not while the session itself paused reading', async () => {
      const { sink } = recordingSink();
      let now = 0;
      const pool = new RequestMemoryPool(1 << 30);
      let release!: () => void;
      const session = new ConnectionSession(
        {
          frameBytesMax: 1 << 24,
          queuedBytesMax: 1 << 24,
          queuedFramesMax: 2,
          pool,
          nowMs: () => now,
          handleFrame: async () => {
            await new Promise<void>((r) => (release = r));
            return { response: null };
          },
        },
        sink,
      );
      session.push(prefix(1 << 20));
      now = 4_000;
      session.push(new Uint8Array(FRAME_PROGRESS_BYTES - 1)); // a trickle: not progress
      now = 5_000;
      expect(session.stall(now, 5_000)).toBe('stalled-request');
      session.push(new Uint8Array(1)); // FRAME_PROGRESS_BYTES since the reservation: progress
      expect(session.stall(now, 5_000)).toBe(null);
      expect(session.stall(now + 5_000, 5_000)).toBe('stalled-request');
      // Two complete frames fill the queue (one in the handler, one queued): the session
      // pauses reading, so the next frame's silence is the broker's doing, not the client's.
      session.push(new Uint8Array((1 << 20) - FRAME_PROGRESS_BYTES));
      session.push(new Uint8Array([...frame([1]), ...frame([2]), ...prefix(1000), 7]));
      expect(session.stall(now + 60_000, 5_000)).toBe(null);
      now += 60_000;
      for (let i = 0; i < 2; i++) {
        release();
        await tick();
      }
      // Reading resumed at `now`: the client's clock restarts there.
      expect(session.stall(now + 4_999, 5_000)).toBe(null);
      expect(session.stall(now + 5_000, 5_000)).toBe('stalled-request');
    });

    it('never reports a session whose only pool bytes are in the handler (a long poll)', async () => {
      const { sink } = recordingSink();
      const pool = new RequestMemoryPool(1 << 20);
      const session = new ConnectionSession(
        { frameBytesMax: 1000, queuedBytesMax: 1000, queuedFramesMax: 10, pool, nowMs: () => 0, handleFrame: () => new Promise<FrameOutcome>(() => {}) },
        sink,
      );
      session.push(frame([1, 2, 3]));
      await tick();
      expect(session.reservedBytes).toBe(3);
      expect(session.reservedUnhandledBytes).toBe(0);
      expect(session.stall(60_000, 5_000)).toBe(null);
    });
  });
});

describe('ConnectionSession: release after the response is written', () => {
  async function sessionWith(outcomes: FrameOutcome[]) {
    const { sink, sent } = recordingSink();
    let next = 0;
    const session = new ConnectionSession({ frameBytesMax: 100, queuedBytesMax: 10_000, queuedFramesMax: 100, handleFrame: () => outcomes[next++]! }, sink);
    session.push(new Uint8Array(outcomes.flatMap((_, i) => [...frame([i])])));
    for (let waitedMs = 0; sent.length < outcomes.filter((o) => o.response !== null).length && waitedMs < 10_000; waitedMs += 5) await new Promise((r) => setTimeout(r, 5));
    return { session, sent };
  }

  it('calls each release once its own bytes drained, in send order, never early for an earlier response without one', async () => {
    const released: string[] = [];
    const { session } = await sessionWith([
      { response: new Uint8Array(10) },
      { response: [new Uint8Array(20), new Uint8Array(5)], release: () => void released.push('b') },
      { response: null },
      { response: new Uint8Array(7), release: () => void released.push('d') },
    ]);
    session.drained(10); // the first response (no release)
    expect(released).toEqual([]);
    session.drained(24); // all but one byte of the second
    expect(released).toEqual([]);
    session.drained(1);
    expect(released).toEqual(['b']);
    session.drained(7);
    expect(released).toEqual(['b', 'd']);
  });

  it('never calls a release once the session ended (the transport may hold the bytes)', async () => {
    const released: string[] = [];
    const { session } = await sessionWith([{ response: new Uint8Array(10), release: () => void released.push('a') }]);
    session.end('write-failed', false);
    session.drained(10);
    expect(released).toEqual([]);
  });
});
