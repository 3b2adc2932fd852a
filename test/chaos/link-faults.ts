/**
 * LinkMatrix: the chaos harness's book of fault proxies, one per directed link, keyed
 * `${from}->${to}` (the node that opens the connections first: broker i → etcd member j,
 * follower broker i → leader broker j). It turns partitions into proxy modes and keeps no
 * state of its own beyond the proxies: a link's mode is its proxy's mode.
 *
 * - `partition(a, b)`: every link between a node of `a` and a node of `b`, either way, goes
 *   to blackhole both and is cut, so nothing crosses and existing connections notice.
 *   Links inside a group are left as they are; partitions add up until `heal()`.
 * - `isolate(node)`: `partition([node], every other node)`.
 * - `heal()`: every link back to pass (held bytes flow on, in order).
 *
 * Invariants: node names are non-empty and contain no '->'; one proxy per directed link; a
 * partition's groups are disjoint, non-empty and name only nodes that have links — a typo
 * in a scenario must fail loudly, not partition nothing.
 */
import type { FaultProxy, ProxyMode } from './fault-proxy.ts';

export interface Link {
  readonly from: string;
  readonly to: string;
  readonly proxy: FaultProxy;
}

const LINKS_MAX = 4096;

export class LinkMatrix {
  readonly #links = new Map<string, Link>();

  /** Register the proxy of the link `from → to`. */
  add(from: string, to: string, proxy: FaultProxy): void {
    checkName(from);
    checkName(to);
    if (from === to) throw new Error(`link matrix: a link from ${from} to itself`);
    const key = linkKey(from, to);
    if (this.#links.has(key)) throw new Error(`link matrix: link ${key} added twice`);
    if (this.#links.size >= LINKS_MAX) throw new Error(`link matrix: more than ${LINKS_MAX} links`);
    this.#links.set(key, { from, to, proxy });
  }

  /** The proxy of `from → to`; throws if there is none. */
  get(from: string, to: string): FaultProxy {
    const link = this.#links.get(linkKey(from, to));
    if (link === undefined) throw new Error(`link matrix: no link ${linkKey(from, to)}`);
    return link.proxy;
  }

  links(): readonly Link[] {
    return [...this.#links.values()];
  }

  /** Every node that has a link, sorted. */
  nodes(): string[] {
    const nodes = new Set<string>();
    for (const { from, to } of this.#links.values()) {
      nodes.add(from);
      nodes.add(to);
    }
    return [...nodes].sort();
  }

  /** Set one link's mode (both directions of its connections). */
  set(from: string, to: string, mode: ProxyMode): void {
    this.get(from, to).set(mode);
  }

  /** Blackhole and cut every link between the groups, both ways. Returns the keys of the links faulted. */
  partition(groupA: readonly string[], groupB: readonly string[]): string[] {
    const a = this.#group(groupA, 'first');
    const b = this.#group(groupB, 'second');
    for (const node of a) if (b.has(node)) throw new Error(`link matrix: ${node} is on both sides of a partition`);
    const faulted: string[] = [];
    for (const [key, { from, to, proxy }] of this.#links) {
      if ((a.has(from) && b.has(to)) || (b.has(from) && a.has(to))) {
        proxy.set({ kind: 'blackhole', direction: 'both' });
        proxy.cut();
        faulted.push(key);
      }
    }
    return faulted.sort();
  }

  /** Cut `node` off from every other node. */
  isolate(node: string): string[] {
    return this.partition(
      [node],
      this.nodes().filter((other) => other !== node),
    );
  }

  /** Every link back to pass. */
  heal(): void {
    for (const { proxy } of this.#links.values()) proxy.set({ kind: 'pass' });
  }

  /** Links not in pass mode, as `key: mode` (for the nemesis log). */
  faults(): string[] {
    const faults: string[] = [];
    for (const [key, { proxy }] of this.#links) if (proxy.mode.kind !== 'pass') faults.push(`${key}: ${JSON.stringify(proxy.mode)}`);
    return faults.sort();
  }

  /** Close every proxy (idempotent, as FaultProxy.close is). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#links.values()].map(({ proxy }) => proxy.close()));
  }

  #group(names: readonly string[], which: string): Set<string> {
    if (names.length === 0) throw new Error(`link matrix: the ${which} group of a partition is empty`);
    const known = new Set(this.nodes());
    for (const name of names) if (!known.has(name)) throw new Error(`link matrix: unknown node ${name} (known: ${[...known].join(', ')})`);
    return new Set(names);
  }
}

export function linkKey(from: string, to: string): string {
  return `${from}->${to}`;
}

function checkName(name: string): void {
  if (name.length === 0 || name.includes('->')) throw new Error(`link matrix: bad node name ${JSON.stringify(name)}`);
}
