// The watch loop over a scripted gateway (no etcd): resume from the last delivered
// revision + 1 with duplicates skipped, CompactedError, the line bound, the reconnect bound,
// and abort. Real etcd: test/cluster/etcd-store.test.ts.
import { describe, expect, it } from 'vitest';
import { createRandom, systemClock } from '@samsa/runtime';
import { CompactedError, MetadataStoreError } from '../metadata-store.ts';
import type { WatchBatch } from '../metadata-store.ts';
import { keyToBase64 } from './etcd-bytes.ts';
import { EtcdGatewayClient } from './etcd-gateway-client.ts';
import type { FetchFunction } from './etcd-gateway-client.ts';
import { etcdWatch } from './etcd-watch.ts';

const OPTIONS = { reconnectsMax: 3, lineCharsMax: 10_000, batchesMax: 10 };

const created = JSON.stringify({ result: { header: { revision: '1' }, created: true } });
function events(...revisions: number[]): string {
  return JSON.stringify({ result: { events: revisions.map((r) => ({ kv: { key: keyToBase64(`w/${r}`), mod_revision: String(r), create_revision: String(r), version: '1' } })) } });
}

/** Each watch request gets the next script entry: lines to stream, then the stream ends. */
function scripted(scripts: (readonly string[] | 'refuse')[]): { client: EtcdGatewayClient; starts: number[] } {
  const starts: number[] = [];
  const fetch: FetchFunction = async (_url, init) => {
    starts.push(Number((JSON.parse(String(init.body)) as { create_request: { start_revision: string } }).create_request.start_revision));
    const script = scripts.shift();
    if (script === undefined || script === 'refuse') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const line of script) controller.enqueue(new TextEncoder().encode(`${line}\n`));
        controller.close();
      },
    });
    return new Response(body, { status: 200 });
  };
  return { client: new EtcdGatewayClient({ endpoints: ['http://a:1'], clock: systemClock, random: createRandom(3), backoffBaseMs: 1, backoffMaxMs: 2, fetch }), starts };
}

async function collect(iterable: AsyncIterable<WatchBatch>, count: number): Promise<number[]> {
  const revisions: number[] = [];
  for await (const batch of iterable) {
    revisions.push(batch.revision);
    if (revisions.length === count) break;
  }
  return revisions;
}

describe('etcdWatch', () => {
  it('resumes from the last delivered revision + 1 and skips what was already delivered', async () => {
    const { client, starts } = scripted([[created, events(5, 6)], 'refuse', [created, events(6, 7), events(8)]]);
    const revisions = await collect(etcdWatch(client, 'w/', 5, new AbortController().signal, OPTIONS), 4);
    expect(revisions).toEqual([5, 6, 7, 8]);
    expect(starts).toEqual([5, 7, 7]);
  });

  it('groups one revision’s events into one batch', async () => {
    const { client } = scripted([[created, events(3, 3, 4)]]);
    const batches: WatchBatch[] = [];
    for await (const batch of etcdWatch(client, 'w/', 3, new AbortController().signal, OPTIONS)) {
      batches.push(batch);
      if (batches.length === 2) break;
    }
    expect(batches.map((b) => [b.revision, b.events.length])).toEqual([[3, 2], [4, 1]]);
  });

  it('fails with CompactedError on compact_revision', async () => {
    const { client } = scripted([[created, JSON.stringify({ result: { canceled: true, compact_revision: '9' } })]]);
    const error = await collect(etcdWatch(client, 'w/', 2, new AbortController().signal, OPTIONS), 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompactedError);
    expect((error as CompactedError).compactRevision).toBe(9);
  });

  it('fails unavailable after reconnectsMax consecutive failed reconnects', async () => {
    const { client, starts } = scripted([]);
    const error = await collect(etcdWatch(client, 'w/', 2, new AbortController().signal, OPTIONS), 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetadataStoreError);
    expect((error as MetadataStoreError).code).toBe('unavailable');
    expect(starts).toHaveLength(OPTIONS.reconnectsMax + 1);
  });

  it('does not loop forever on a member that creates every watch and cancels it at once', async () => {
    const cancel = JSON.stringify({ result: { canceled: true, cancel_reason: 'etcdserver: no leader' } });
    const { client, starts } = scripted(Array.from({ length: 20 }, () => [created, cancel]));
    const error = await collect(etcdWatch(client, 'w/', 2, new AbortController().signal, OPTIONS), 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(starts).toHaveLength(OPTIONS.reconnectsMax + 1);
  });

  it('fails unavailable on a line past the bound and on more revisions in one response than batchesMax', async () => {
    const long = scripted([[created, `{"result":{"pad":"${'x'.repeat(20_000)}"}}`]]);
    const e1 = await collect(etcdWatch(long.client, 'w/', 1, new AbortController().signal, OPTIONS), 1).catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: 'unavailable' });
    const many = scripted([[created, events(...Array.from({ length: 11 }, (_, i) => i + 1))]]);
    const e2 = await collect(etcdWatch(many.client, 'w/', 1, new AbortController().signal, OPTIONS), 1).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: 'unavailable' });
  });

  it('ends without an error when the signal aborts', async () => {
    const abort = new AbortController();
    abort.abort();
    const { client } = scripted([[created, events(1)]]);
    expect(await collect(etcdWatch(client, 'w/', 1, abort.signal, OPTIONS), 1)).toEqual([]);
  });
});
