// LinkMatrix (link-faults.ts) over real fault proxies between three nodes a, b, c, each an
// echo server, with a proxy on each of the six directed links: isolating a node stops
// traffic on its links both ways and cuts their connections while the others' link still
// echoes; partitions add up and leave links inside a group alone; heal() lets held bytes on;
// bad groups and names fail loudly.
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultProxy } from './fault-proxy.ts';
import { LinkMatrix } from './link-faults.ts';
import { connectPeer, startPeerServer, waitFor } from './tcp-peer.ts';
import type { PeerServer, TcpPeer } from './tcp-peer.ts';

const WAIT_MS = 15_000;
const NODES = ['a', 'b', 'c'] as const;

let matrix = new LinkMatrix();
let servers = new Map<string, PeerServer>();
const clients: TcpPeer[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await matrix.closeAll();
  await Promise.all([...servers.values()].map((server) => server.close()));
});

/** Echo servers for a, b, c and a proxy on every directed link to them. */
async function threeNodes(): Promise<void> {
  matrix = new LinkMatrix();
  servers = new Map();
  for (const node of NODES) servers.set(node, await startPeerServer({ echo: true }));
  for (const from of NODES) {
    for (const to of NODES) {
      if (from === to) continue;
      const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: servers.get(to)!.port }, name: `${from}->${to}` });
      matrix.add(from, to, proxy);
    }
  }
}

async function dial(from: string, to: string): Promise<TcpPeer> {
  const peer = await connectPeer(matrix.get(from, to).port);
  clients.push(peer);
  return peer;
}

async function echoes(from: string, to: string, text: string): Promise<void> {
  const peer = await dial(from, to);
  peer.write(text);
  await waitFor(`the echo over ${from}->${to}`, WAIT_MS, () => peer.receivedBytes === text.length);
  expect(peer.received().toString()).toBe(text);
}

describe('LinkMatrix', () => {
  it('isolate(a) silences and cuts every link of a, both ways; b<->c still echoes; heal() delivers what was held', async () => {
    await threeNodes();
    const aToB = await dial('a', 'b');
    const bToC = await dial('b', 'c');
    expect(matrix.isolate('a')).toEqual(['a->b', 'a->c', 'b->a', 'c->a']);
    await waitFor('the a->b connection cut', WAIT_MS, () => aToB.closed);
    expect(bToC.closed).toBe(false);
    bToC.write('still');
    await waitFor('b->c echoing through the isolation', WAIT_MS, () => bToC.receivedBytes === 5);

    // New connections over a's links reach nothing: the proxies hold their bytes.
    const held = [await dial('c', 'a'), await dial('a', 'c')];
    for (const peer of held) peer.write('later');
    await waitFor('both proxies holding the bytes', WAIT_MS, () => matrix.get('c', 'a').stats().heldBytes === 5 && matrix.get('a', 'c').stats().heldBytes === 5);
    expect(servers.get('a')!.peers.length).toBe(0); // a never saw a connection
    expect(servers.get('c')!.peers.length).toBe(1); // only b's
    expect(matrix.faults()).toHaveLength(4);

    matrix.heal();
    expect(matrix.faults()).toEqual([]);
    for (const peer of held) await waitFor('the held bytes echoed after heal', WAIT_MS, () => peer.receivedBytes === 5);
    expect(held.map((peer) => peer.received().toString())).toEqual(['later', 'later']);
    await echoes('b', 'a', 'healed');
  });

  it('partitions add up and leave links inside a group alone', async () => {
    await threeNodes();
    expect(matrix.partition(['a'], ['b'])).toEqual(['a->b', 'b->a']);
    await echoes('a', 'c', 'ac');
    await echoes('c', 'b', 'cb');
    expect(matrix.partition(['c'], ['b'])).toEqual(['b->c', 'c->b']);
    expect(matrix.faults().map((fault) => fault.split(':')[0])).toEqual(['a->b', 'b->a', 'b->c', 'c->b']);
    await echoes('c', 'a', 'ca');
    const cToB = await dial('c', 'b');
    cToB.write('x');
    await waitFor('c->b holding the byte', WAIT_MS, () => matrix.get('c', 'b').stats().heldBytes === 1);
    expect(cToB.receivedBytes).toBe(0);
    matrix.set('c', 'b', { kind: 'delay', delayMs: 1 });
    await waitFor('c->b echoing once delayed instead', WAIT_MS, () => cToB.receivedBytes === 1);
  });

  it('rejects unknown nodes, overlapping or empty groups, duplicate links and bad names', async () => {
    await threeNodes();
    expect(() => matrix.partition(['a'], ['d'])).toThrow(/unknown node d/);
    expect(() => matrix.partition(['a', 'b'], ['b'])).toThrow(/b is on both sides/);
    expect(() => matrix.partition([], ['b'])).toThrow(/first group .* is empty/);
    expect(() => matrix.isolate('z')).toThrow(/unknown node z/);
    expect(() => matrix.get('a', 'd')).toThrow(/no link a->d/);
    const proxy = matrix.get('a', 'b');
    expect(() => matrix.add('a', 'b', proxy)).toThrow(/added twice/);
    expect(() => matrix.add('a', 'a', proxy)).toThrow(/to itself/);
    expect(() => matrix.add('x->y', 'b', proxy)).toThrow(/bad node name/);
    expect(matrix.nodes()).toEqual(['a', 'b', 'c']);
    expect(matrix.faults()).toEqual([]);
  });
});
