// SimNetwork and SimClock, the simulator's parts on their own:
// - SimClock fires one timer per runNext, in (due time, creation) order; a killed
//   NodeClock's timers never fire;
// - a connection delivers its chunks in order although each has a random delay, and
//   chunks of different connections interleave;
// - a partition resets a connection that crosses it (after a stall) and fails a connect
//   across it; healing lets new connections through;
// - a killed node's peers see the reset, and its transport's calls never settle.
import { createRandom, type Connection } from '@samsa/runtime';
import { describe, expect, it } from 'vitest';
import { NodeClock, SimClock } from './sim-clock.ts';
import { calmNetwork, SimNetwork } from './sim-network.ts';
import { Trace } from './trace.ts';

const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function runAll(clock: SimClock, untilMs: number): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    await drain();
    if (!clock.runNext(untilMs)) break;
  }
  clock.jumpTo(untilMs);
  await drain();
}

function setup(seed: number) {
  const clock = new SimClock();
  const trace = new Trace(() => clock.monotonicMs());
  const net = new SimNetwork(clock, createRandom(seed), trace, { ...calmNetwork, delayMsMax: 20 });
  return { clock, trace, net };
}

describe('SimClock', () => {
  it('fires one timer per step in due order, ties in creation order; a dead NodeClock fires nothing', () => {
    const clock = new SimClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 5);
    clock.setTimeout(() => fired.push('a'), 1);
    clock.setTimeout(() => fired.push('c'), 5);
    const node = new NodeClock(clock);
    node.setTimeout(() => fired.push('dead'), 2);
    node.setInterval(() => fired.push('dead-interval'), 1);
    node.kill();
    node.setTimeout(() => fired.push('after-death'), 0);
    expect(clock.runNext(100)).toBe(true);
    expect(fired).toEqual(['a']);
    expect(clock.monotonicMs()).toBe(1);
    while (clock.runNext(100));
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('SimNetwork', () => {
  it('delivers each connection in order and interleaves connections', async () => {
    const { clock, net } = setup(7);
    const server = net.transportFor('server');
    const received = new Map<number, number[]>();
    const arrivals: number[] = [];
    await server.listen({ host: '127.0.0.1', port: 9000 }, (c) => c.start({ onData: (chunk) => {
      for (const byte of chunk) {
        const list = received.get(byte >> 4) ?? [];
        list.push(byte & 15);
        received.set(byte >> 4, list);
        arrivals.push(byte >> 4);
      }
    }, onClose: () => {} }));
    const clients: Connection[] = [];
    const connecting = [1, 2].map((i) => net.transportFor(`client-${i}`).connect({ host: '127.0.0.1', port: 9000 }).then((c) => (clients[i - 1] = c)));
    await runAll(clock, 100);
    await Promise.all(connecting);
    for (let k = 0; k < 16; k++) for (const [i, c] of clients.entries()) void c.write(Uint8Array.of(((i + 1) << 4) | k));
    await runAll(clock, 1000);
    expect(received.get(1)).toEqual([...Array(16).keys()]);
    expect(received.get(2)).toEqual([...Array(16).keys()]);
    // Not one connection after the other: the random delays interleave them.
    expect(arrivals.slice(0, 16)).not.toEqual(Array(16).fill(arrivals[0]));
  });

  it('a partition resets a connection across it and fails connects; healing lets them through', async () => {
    const { clock, net } = setup(8);
    await net.transportFor('b').listen({ host: '127.0.0.1', port: 9001 }, (c) => c.start({ onData: () => {}, onClose: () => {} }));
    const a = net.transportFor('a');
    let connection: Connection | null = null;
    void a.connect({ host: '127.0.0.1', port: 9001 }).then((c) => (connection = c));
    await runAll(clock, 50);
    let closed: Error | undefined | null = null;
    connection!.start({ onData: () => {}, onClose: (e) => (closed = e) });
    net.partition(['a'], ['b']);
    void connection!.write(Uint8Array.of(1));
    await runAll(clock, 50 + calmNetwork.stallMsMax + 10);
    expect(closed).toBeInstanceOf(Error);
    let refused: unknown = null;
    void a.connect({ host: '127.0.0.1', port: 9001 }).catch((e: unknown) => (refused = e));
    await runAll(clock, clock.monotonicMs() + calmNetwork.connectTimeoutMs + 100);
    expect(String(refused)).toMatch(/timed out/);
    net.heal();
    let again: Connection | null = null;
    void a.connect({ host: '127.0.0.1', port: 9001 }).then((c) => (again = c));
    await runAll(clock, clock.monotonicMs() + 100);
    expect(again).not.toBeNull();
  });

  it("a killed node's peers see the reset at once and its transport never answers again", async () => {
    const { clock, net } = setup(9);
    const server = net.transportFor('server');
    await server.listen({ host: '127.0.0.1', port: 9002 }, (c) => c.start({ onData: () => {}, onClose: () => {} }));
    let connection: Connection | null = null;
    void net.transportFor('client').connect({ host: '127.0.0.1', port: 9002 }).then((c) => (connection = c));
    await runAll(clock, 50);
    let closed: Error | undefined | null = null;
    connection!.start({ onData: () => {}, onClose: (e) => (closed = e) });
    net.kill('server');
    await runAll(clock, 100);
    expect(String(closed)).toMatch(/process died/);
    let settled = false;
    void server.listen({ host: '127.0.0.1', port: 9003 }, () => {}).finally(() => (settled = true));
    await runAll(clock, 10_000);
    expect(settled).toBe(false);
    // A new incarnation of the node gets a working transport.
    const reborn = net.transportFor('server');
    expect((await reborn.listen({ host: '127.0.0.1', port: 9002 }, () => {})).port).toBe(9002);
  });
});
