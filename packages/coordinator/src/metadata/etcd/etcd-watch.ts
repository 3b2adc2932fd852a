/**
 * A watch over the gateway's streaming `/v3/watch`, resumed across dropped streams.
 *
 * Invariants:
 * - Batches are delivered in revision order, each revision once: after a drop the watch is
 *   re-created from the last delivered revision + 1 (or the requested start if nothing was
 *   delivered yet), and any batch at or below the last delivered revision is skipped.
 * - etcd's `compact_revision` (the start is compacted away) fails the watch with
 *   `CompactedError`; the caller re-reads.
 * - Reconnects are bounded: more than `reconnectsMax` consecutive failed attempts fail the
 *   watch with `unavailable`. An attempt counts as good (the count restarts) once it
 *   delivered a batch, or its stream stayed up `STREAM_STABLE_MS` after etcd's `created`
 *   (so a member that accepts and at once cancels every watch cannot loop forever, while a
 *   quiet watch dropped now and then over days lives on). Each reconnect waits a jittered
 *   backoff first and goes to the client's current endpoint (failover included).
 * - Bounded memory: the stream is read only when the consumer pulls (etcd keeps a slow
 *   watcher's backlog in its own store, as an unsynced watcher), so what is held is one
 *   line (`lineCharsMax`) and that line's batches (`batchesMax`, above etcd's 1000
 *   revisions per response); past either the watch fails with `unavailable`.
 * - Aborting `signal` ends the iteration (no error) and cancels the stream.
 */
import { CompactedError, MetadataStoreError } from '../metadata-store.ts';
import type { WatchBatch } from '../metadata-store.ts';
import { int64, prefixRange } from './etcd-bytes.ts';
import type { EtcdGatewayClient } from './etcd-gateway-client.ts';
import { toWatchBatches } from './etcd-json.ts';
import type { JsonWatchLine } from './etcd-json.ts';
import { JsonLineSplitter, JsonLineTooLongError } from './json-lines.ts';

export interface EtcdWatchOptions {
  readonly reconnectsMax: number;
  readonly lineCharsMax: number;
  readonly batchesMax: number;
}

/** How long a created stream must stay up before its drop no longer counts as a failure. */
const STREAM_STABLE_MS = 10_000;

/** Why one stream ended without failing the watch: reconnect from `next`. */
class StreamDropped extends Error {
  override readonly name = 'StreamDropped';
}

export async function* etcdWatch(
  client: EtcdGatewayClient,
  prefix: string,
  fromRevision: number,
  signal: AbortSignal,
  options: EtcdWatchOptions,
): AsyncGenerator<WatchBatch> {
  if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) throw new MetadataStoreError('invalid-argument', `watch fromRevision ${fromRevision} is not a revision`);
  const range = prefixRange(prefix);
  let next = fromRevision;
  let failures = 0;
  let lastProblem = '';
  while (!signal.aborted) {
    if (client.closed) throw new MetadataStoreError('unavailable', 'etcd store is closed');
    if (failures > options.reconnectsMax) {
      throw new MetadataStoreError('unavailable', `etcd watch on ${JSON.stringify(prefix)}: ${failures} reconnects failed; last: ${lastProblem}`);
    }
    if (failures > 0) await client.backoff(failures);
    if (signal.aborted) return;
    const body = { create_request: { key: range.key, range_end: range.rangeEnd, start_revision: String(Math.max(next, 0)) } };
    const connection = new AbortController();
    const onAbort = (): void => connection.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let stream: Awaited<ReturnType<EtcdGatewayClient['openStream']>> | null = null;
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    let opening = true;
    let createdAtMs: number | null = null;
    try {
      stream = await client.openStream('/v3/watch', body, connection.signal);
      opening = false;
      reader = stream.response.body!.getReader();
      const splitter = new JsonLineSplitter(options.lineCharsMax);
      for (;;) {
        const chunk = await reader.read();
        const lines = chunk.done ? splitter.end() : splitter.push(chunk.value);
        for (const line of lines) {
          const result = parseWatchLine(line);
          if (result.created === true) createdAtMs = client.monotonicMs();
          const compactRevision = int64(result.compact_revision);
          if (compactRevision > 0) throw new CompactedError(compactRevision, next);
          if (result.canceled === true) throw new StreamDropped(`watch canceled by etcd: ${result.cancel_reason ?? 'no reason given'}`);
          const batches = toWatchBatches(result.events ?? []);
          if (batches.length > options.batchesMax) {
            throw new MetadataStoreError('unavailable', `etcd watch: one response holds ${batches.length} revisions, above the bound ${options.batchesMax}`);
          }
          for (const batch of batches) {
            if (batch.revision < next) continue; // already delivered before a reconnect
            if (signal.aborted) return;
            next = batch.revision + 1;
            failures = 0;
            yield batch;
          }
        }
        if (chunk.done) throw new StreamDropped('the watch stream ended');
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof JsonLineTooLongError) throw new MetadataStoreError('unavailable', `etcd watch: ${error.message}`, { cause: error });
      // Reconnect after a dropped stream or a failed open; anything else ends the watch.
      const dropped = error instanceof StreamDropped || (opening && error instanceof MetadataStoreError && error.code === 'unavailable');
      if (!dropped && (error instanceof CompactedError || error instanceof MetadataStoreError)) throw error;
      if (createdAtMs !== null && client.monotonicMs() - createdAtMs >= STREAM_STABLE_MS) failures = 0;
      failures++;
      lastProblem = error instanceof Error ? error.message : String(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      connection.abort();
      reader?.cancel().catch(() => {});
      stream?.release();
    }
  }
}

function parseWatchLine(line: string): NonNullable<JsonWatchLine['result']> {
  let parsed: JsonWatchLine;
  try {
    parsed = JSON.parse(line) as JsonWatchLine;
  } catch {
    throw new StreamDropped(`not JSON on the watch stream: ${line.slice(0, 200)}`);
  }
  if (parsed.error !== undefined) throw new StreamDropped(`watch stream error: ${parsed.error.message ?? JSON.stringify(parsed.error)}`);
  if (parsed.result === undefined) throw new StreamDropped(`unexpected watch line: ${line.slice(0, 200)}`);
  return parsed.result;
}
