// Routing and retries: a transport in the middle answers chosen requests itself (the
// broker never sees them), so the tests can hand the admin NOT_COORDINATOR,
// COORDINATOR_LOAD_IN_PROGRESS, NOT_CONTROLLER or NOT_LEADER_OR_FOLLOWER and count what it
// sends next. Calls here are sequential, so a connection has one request in flight and an
// answer made up at once keeps the FIFO order.
import {
  ApiKey,
  CreateTopicsResponseCodec,
  DescribeGroupsResponseCodec,
  ErrorCode,
  FindCoordinatorResponseCodec,
  ListOffsetsResponseCodec,
  OffsetCommitResponseCodec,
  apiByKey,
  decodeRequest,
  encodeResponseFrame,
  peekRequestHeader,
  ZERO_UUID,
} from '@samsa/codec/wire';
import type { MessageCodec } from '@samsa/codec/wire';
import type { Connection, ListenOptions, Listener, Transport } from '@samsa/runtime';
import { ManualClock } from '@samsa/runtime/memory';
import { describe, expect, it } from 'vitest';
import { drive } from '../../test/support/drive.ts';
import { useAdminFixture } from '../../test/support/admin-fixture.ts';
import type { AdminSetup } from '../../test/support/admin-fixture.ts';
import { KafkaError, KafkaTimeoutError } from '../errors.ts';
import { Retrier, failed, ok } from './retry.ts';
import { resolveAdminOptions } from './admin-options.ts';

interface Injection {
  remaining: number;
  readonly codec: MessageCodec<unknown>;
  readonly body: (request: unknown, version: number) => unknown;
}

/** A Transport that counts requests by API and answers armed ones itself. */
class InterceptingTransport implements Transport {
  readonly #inner: Transport;
  readonly #injections = new Map<number, Injection>();
  readonly seen = new Map<number, unknown[]>();

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  inject<Res>(apiKey: number, count: number, codec: MessageCodec<Res>, body: (request: never, version: number) => Res): void {
    this.#injections.set(apiKey, { remaining: count, codec: codec as MessageCodec<unknown>, body: body as Injection['body'] });
  }

  count(apiKey: number): number {
    return this.seen.get(apiKey)?.length ?? 0;
  }

  listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
    return this.#inner.listen(options, onConnection);
  }

  async connect(options: { readonly host: string; readonly port: number }): Promise<Connection> {
    const inner = await this.#inner.connect(options);
    let onData: ((chunk: Uint8Array) => void) | null = null;
    return {
      remoteAddress: inner.remoteAddress,
      remotePort: inner.remotePort,
      localPort: inner.localPort,
      start: (handlers) => {
        onData = handlers.onData;
        inner.start(handlers);
      },
      write: (chunks) => {
        const frame = chunks instanceof Uint8Array ? chunks : chunks[0]!;
        const ids = peekRequestHeader(frame.subarray(4));
        if (ids !== null) {
          const codec = apiByKey.get(ids.apiKey)!.request;
          const request = decodeRequest(frame.subarray(4), codec as MessageCodec<unknown>).body;
          this.seen.set(ids.apiKey, [...(this.seen.get(ids.apiKey) ?? []), request]);
          const injection = this.#injections.get(ids.apiKey);
          if (injection !== undefined && injection.remaining > 0) {
            injection.remaining--;
            const response = encodeResponseFrame(ids.apiKey, ids.apiVersion, ids.correlationId, injection.codec, injection.body(request, ids.apiVersion));
            queueMicrotask(() => onData?.(response));
            return Promise.resolve();
          }
        }
        return inner.write(chunks);
      },
      pause: () => inner.pause(),
      resume: () => inner.resume(),
      close: () => inner.close(),
      destroy: () => inner.destroy(),
    };
  }
}

const fixture = useAdminFixture();

async function setup(retriesMax = 5): Promise<AdminSetup & { net: InterceptingTransport }> {
  let net!: InterceptingTransport;
  const { tb, admin } = await fixture.start({ overrides: ['offsets.topic.num.partitions=3'], admin: { retriesMax }, transport: (inner) => (net = new InterceptingTransport(inner)) });
  await drive(tb.clock, admin.createTopics([{ name: 'events', partitions: 2 }]));
  return { tb, admin, net };
}

const describeGroupsError = (errorCode: number) => (request: { groups: string[] }) => ({
  throttleTimeMs: 0,
  groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 })),
});

describe('Admin routing to the group coordinator', () => {
  it('NOT_COORDINATOR forgets the coordinator, looks it up again and retries at the new one', async () => {
    const { tb, admin, net } = await setup();
    await drive(tb.clock, admin.describeGroups(['g']));
    expect(net.count(ApiKey.FindCoordinator)).toBe(1);
    await drive(tb.clock, admin.describeGroups(['g']));
    expect(net.count(ApiKey.FindCoordinator)).toBe(1); // cached
    net.inject(ApiKey.DescribeGroups, 1, DescribeGroupsResponseCodec, describeGroupsError(ErrorCode.NOT_COORDINATOR));
    const [g] = await drive(tb.clock, admin.describeGroups(['g']));
    expect(g!.state).toBe('Dead');
    expect(net.count(ApiKey.FindCoordinator)).toBe(2);
    expect(net.count(ApiKey.DescribeGroups)).toBe(4);
  });

  it('FindCoordinator answering COORDINATOR_LOAD_IN_PROGRESS is retried after a backoff', async () => {
    const { tb, admin, net } = await setup();
    net.inject(ApiKey.FindCoordinator, 2, FindCoordinatorResponseCodec, (_request: unknown, version: number) => ({
      throttleTimeMs: 0, errorCode: version >= 4 ? 0 : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, errorMessage: null, nodeId: 0, host: '', port: 0,
      coordinators: version >= 4 ? [{ key: 'g', nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, errorMessage: null }] : [],
    }));
    await drive(tb.clock, admin.alterConsumerGroupOffsets('g', [{ topic: 'events', partition: 0, offset: 3 }]));
    expect(net.count(ApiKey.FindCoordinator)).toBe(3);
    const [offsets] = await drive(tb.clock, admin.listConsumerGroupOffsets(['g']));
    expect(offsets!.offsets.map((o) => o.offset)).toEqual([3]);
  });

  it('an OffsetCommit partition answered COORDINATOR_LOAD_IN_PROGRESS is committed again', async () => {
    const { tb, admin, net } = await setup();
    net.inject(ApiKey.OffsetCommit, 1, OffsetCommitResponseCodec, (request: { topics: { name: string; partitions: { partitionIndex: number }[] }[] }) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS })) })),
    }));
    await drive(tb.clock, admin.alterConsumerGroupOffsets('g', [{ topic: 'events', partition: 1, offset: 7 }]));
    expect(net.count(ApiKey.OffsetCommit)).toBe(2);
    expect((await drive(tb.clock, admin.listConsumerGroupOffsets(['g'])))[0]!.offsets.map((o) => o.offset)).toEqual([7]);
  });

  it('retries are bounded: a coordinator that never stops answering NOT_COORDINATOR fails the call with a retriable KafkaError', async () => {
    const { tb, admin, net } = await setup(2);
    net.inject(ApiKey.DescribeGroups, 100, DescribeGroupsResponseCodec, describeGroupsError(ErrorCode.NOT_COORDINATOR));
    const error = await drive(tb.clock, admin.describeGroups(['g'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect([(error as KafkaError).errorCode, (error as KafkaError).retriable]).toEqual([ErrorCode.NOT_COORDINATOR, true]);
    expect(net.count(ApiKey.DescribeGroups)).toBe(3);
  });
});

describe('Admin routing to the controller and to leaders', () => {
  it('NOT_CONTROLLER refreshes the metadata and resends only the topics it named', async () => {
    const { tb, admin, net } = await setup();
    net.inject(ApiKey.CreateTopics, 1, CreateTopicsResponseCodec, (request: { topics: { name: string }[] }) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name, topicId: ZERO_UUID, errorCode: t.name === 'b' ? ErrorCode.NOT_CONTROLLER : ErrorCode.NONE, errorMessage: null,
        topicConfigErrorCode: 0, numPartitions: 1, replicationFactor: 1, configs: [],
      })),
    }));
    const metadataBefore = net.count(ApiKey.Metadata);
    await drive(tb.clock, admin.createTopics([{ name: 'a', partitions: 1 }, { name: 'b', partitions: 1 }]));
    const sent = net.seen.get(ApiKey.CreateTopics)!.slice(-2) as { topics: { name: string }[] }[];
    expect(sent.map((r) => r.topics.map((t) => t.name))).toEqual([['a', 'b'], ['b']]);
    expect(net.count(ApiKey.Metadata)).toBeGreaterThan(metadataBefore);
    expect(tb.broker.registry.topic('b')).toBeDefined();
  });

  it('NOT_LEADER_OR_FOLLOWER from a leader fetches metadata again and retries the partition', async () => {
    const { tb, admin, net } = await setup();
    net.inject(ApiKey.ListOffsets, 1, ListOffsetsResponseCodec, (request: { topics: { name: string; partitions: { partitionIndex: number }[] }[] }) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 })) })),
    }));
    const metadataBefore = net.count(ApiKey.Metadata);
    const [latest] = await drive(tb.clock, admin.listOffsets([{ topic: 'events', partition: 1, spec: 'latest' }]));
    expect(latest!.offset).toBe(0);
    expect(net.count(ApiKey.ListOffsets)).toBe(2);
    expect(net.count(ApiKey.Metadata) - metadataBefore).toBe(2);
  });
});

describe('Retrier', () => {
  it('backs off retryBackoffMs · 2^n up to the max, on the Clock', async () => {
    const clock = new ManualClock();
    const retrier = new Retrier(clock, resolveAdminOptions({ transport: null as never, clock, bootstrap: [], retriesMax: 4, retryBackoffMs: 100, retryBackoffMaxMs: 300 }));
    const startedMs: number[] = [];
    const call = retrier.retrying(async () => {
      startedMs.push(clock.monotonicMs());
      throw new KafkaTimeoutError('slow');
    }, undefined);
    const error = await drive(clock, call, { stepMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaTimeoutError);
    const gapsMs = startedMs.slice(1).map((t, i) => Math.round((t - startedMs[i]!) / 10) * 10);
    expect(gapsMs).toEqual([100, 200, 300, 300]);
  });

  it('settleEach retries only the items that failed retriably; a final error is not retried', async () => {
    const clock = new ManualClock();
    const retrier = new Retrier(clock, resolveAdminOptions({ transport: null as never, clock, bootstrap: [], retryBackoffMs: 1 }));
    const rounds: string[][] = [];
    const done = await drive(clock, retrier.settleEach(['a', 'b', 'c'], async (pending) => {
      rounds.push([...pending]);
      return new Map(pending.map((k) => [k, k === 'b' && rounds.length < 3 ? failed<number>(new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE)) : ok(k.charCodeAt(0))]));
    }, undefined));
    expect(rounds).toEqual([['a', 'b', 'c'], ['b'], ['b']]);
    expect([...done]).toEqual([['a', 97], ['c', 99], ['b', 98]]);
    let calls = 0;
    const final = await drive(clock, retrier.settleEach(['x'], async () => {
      calls++;
      return new Map([['x', failed<number>(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), true)]]);
    }, undefined)).catch((e: unknown) => e);
    expect((final as KafkaError).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(calls).toBe(1);
  });
});
