// startBrokerOn in a cluster (metadata.store=etcd) on the memory runtime, with a simulated
// metadata store in place of etcd:
// - two brokers register with their advertised endpoints, share one view, and the broker's
//   context carries the member (BrokerContext.cluster);
// - shutdown asks for the controlled shutdown before draining, leaves the cluster (the
//   registration is gone at once, not after the TTL) and closes the store;
// - a store that never answers fails the start after the bound, reported first, and
//   everything opened is released (the member, the store, the port and the data-dir lock).
import { parseServerConfig, silentLogger } from '@samsa/broker';
import type { Logger } from '@samsa/broker';
import { ClusterKeys, SimulatedMetadataStore, decodeBrokerRegistration } from '@samsa/coordinator';
import type { MetadataStore } from '@samsa/coordinator';
import { createRandom } from '@samsa/runtime';
import { memoryRuntime } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { startBrokerOn } from './start-broker-on.ts';
import { explainStartFailure } from './start-failure.ts';
import type { RunningBroker } from './start-broker-on.ts';

const keys = new ClusterKeys('samsa');

function clusterConfig(nodeId: number, port: number) {
  return parseServerConfig({
    overrides: [`listeners=PLAINTEXT://127.0.0.1:${port}`, `log.dirs=/data-${nodeId}`, `node.id=${nodeId}`, 'metadata.store=etcd', 'etcd.endpoints=http://127.0.0.1:2379', 'cluster.id=samsa'],
  });
}

/** The shared simulated store, seen through a handle whose close is counted (and does not close the shared one). */
function handle(store: SimulatedMetadataStore, closes: { count: number }): MetadataStore {
  return new Proxy(store, {
    get: (target, key) => (key === 'close' ? async () => void closes.count++ : Reflect.get(target, key, target)),
  });
}

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = { debug: () => {}, info: (_o, m) => lines.push(m ?? ''), warn: (_o, m) => lines.push(m ?? ''), error: (_o, m) => lines.push(m ?? ''), child: () => logger };
  return logger;
}

async function until(what: string, done: () => boolean, roundsMax = 3000): Promise<void> {
  for (let i = 0; i < roundsMax; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`not reached: ${what}`);
}

describe('startBrokerOn: cluster membership', () => {
  it('registers with the advertised endpoint, shares the view, and leaves the cluster at once on shutdown', async () => {
    const runtime = memoryRuntime();
    const store = new SimulatedMetadataStore({ clock: runtime.clock, random: createRandom(13) });
    const closes = { count: 0 };
    const lines: string[] = [];
    const running: RunningBroker[] = [];
    try {
      for (const [id, port] of [[1, 9092], [2, 9093]] as const) {
        running.push(await startBrokerOn(runtime, { config: clusterConfig(id, port), logger: id === 2 ? recordingLogger(lines) : silentLogger, createMetadataStore: () => handle(store, closes) }));
      }
      const [one, two] = running as [RunningBroker, RunningBroker];
      expect(one.cluster).not.toBeNull();
      expect(one.broker.context.cluster).toBe(one.cluster);
      const reg = await store.get(keys.broker(2));
      expect(decodeBrokerRegistration(reg!.value)).toMatchObject({ brokerId: 2, host: '127.0.0.1', port: 9093, rack: null });
      await until('both views list both brokers and one controller', () => [one, two].every((r) => r.cluster!.view().brokers.size === 2 && r.cluster!.view().controllerId !== -1));
      expect(one.cluster!.view().controllerId).toBe(two.cluster!.view().controllerId);

      await two.shutdown();
      expect(await store.get(keys.broker(2))).toBeNull(); // revoked, not left to expire
      expect(closes.count).toBe(1);
      const shutdownLine = lines.findIndex((l) => l.startsWith('controlled shutdown'));
      const leftLine = lines.indexOf('left the cluster');
      expect(shutdownLine).toBeGreaterThanOrEqual(0);
      expect(leftLine).toBeGreaterThan(shutdownLine);
      await until('broker 1 sees broker 2 leave', () => !one.cluster!.view().brokers.has(2));
    } finally {
      for (const r of running) await r.shutdown();
    }
  });

  it('a store that never answers fails the start after the bound, reported first, and releases everything', async () => {
    const runtime = memoryRuntime();
    const store = new SimulatedMetadataStore({ clock: runtime.clock, random: createRandom(14), faults: { unavailableProbability: 1 } });
    const closes = { count: 0 };
    const reported: unknown[] = [];
    let failure: unknown = null;
    void startBrokerOn(runtime, {
      config: clusterConfig(1, 9092),
      logger: silentLogger,
      createMetadataStore: () => handle(store, closes),
      clusterStartTimeoutMs: 3000,
      onStartFailure: (e) => reported.push(e),
    }).catch((e: unknown) => (failure = e));
    for (let i = 0; i < 100 && failure === null; i++) await runtime.clock.advanceAsync(100);
    expect(failure).not.toBeNull();
    expect((failure as Error).name).toBe('ClusterMemberStartError');
    expect((failure as Error).message).toMatch(/could not register in etcd http:\/\/127\.0\.0\.1:2379 within 3000 ms/);
    expect(reported).toEqual([failure]);
    expect(closes.count).toBe(1);
    // The CLI prints the member's own explanation, exit 1.
    const explained = explainStartFailure(failure, clusterConfig(1, 9092), undefined);
    expect([explained.exitCode, explained.message]).toEqual([1, (failure as Error).message]);
    // The port and the data-dir lock are free again: the same broker starts once the store answers.
    store.configureFaults({});
    const again = await startBrokerOn(runtime, { config: clusterConfig(1, 9092), logger: silentLogger, createMetadataStore: () => handle(store, closes) });
    expect(again.cluster!.leaseValid).toBe(true);
    await again.shutdown();
  });
});
