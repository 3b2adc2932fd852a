/**
 * A fetcher and a server under random faults (memory runtime, ManualClock): fetches
 * started whenever the fetcher is idle, handler answers, handler failures, connection
 * resets and clock jumps, in random order. Invariants checked:
 * - every fetch settles (once the faults stop, the handler answers and time passes):
 *   nothing hangs;
 * - a fetch resolves only with the answer to its own request (the handler echoes the
 *   request's fetchOffset as highWatermark), with the records the handler gave, or
 *   rejects with a ReplicaFetchError of an expected code, never anything else;
 * - the server never holds more than one connection from this fetcher;
 * - a handler whose connection went away sees its signal aborted.
 */
import { ErrorCode } from '@samsa/codec';
import { ManualClock, MemoryTransport } from '@samsa/runtime/memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReplicaFetchResponse } from './replica-fetch-messages.ts';
import { ReplicaFetchServer } from './replica-fetch-server.ts';
import { ReplicaFetchError, ReplicaFetcherConnection } from './replica-fetcher-connection.ts';
import { batchBytes, fetchRequestOf, ScriptedHandler, turns } from './testing/replica-fetch-fixtures.ts';

type Op = { readonly kind: 'fetch' } | { readonly kind: 'answer' } | { readonly kind: 'throw' } | { readonly kind: 'reset' } | { readonly kind: 'advance'; readonly ms: number } | { readonly kind: 'turns'; readonly n: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'fetch' }) },
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'answer' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'throw' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'reset' }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40_000 }).map<Op>((ms) => ({ kind: 'advance', ms })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 10 }).map<Op>((n) => ({ kind: 'turns', n })) },
);

const SOCKET_TIMEOUT_MS = 30_000;
const EXPECTED_CODES = new Set(['timeout', 'connection-closed', 'connect-failed']);

function responseFor(fetchOffset: number): ReplicaFetchResponse {
  return { errorCode: ErrorCode.NONE, partitions: [{ topic: 't', partition: 0, errorCode: 0, highWatermark: fetchOffset, logStartOffset: 0, divergingEpoch: null, records: batchBytes(fetchOffset % 97, fetchOffset) }] };
}

describe('replica fetch under faults (property)', () => {
  it('every fetch settles with its own answer or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const transport = new MemoryTransport();
        const clock = new ManualClock();
        const handler = new ScriptedHandler();
        const server = await ReplicaFetchServer.start({ transport, clock, clusterId: 'c', brokerId: 1, host: '127.0.0.1', port: 0, handler: handler.handler });
        const fetcher = new ReplicaFetcherConnection({ transport, clock, clusterId: 'c', brokerId: 2, leader: { brokerId: 1, host: '127.0.0.1', port: server.port }, socketTimeoutMs: SOCKET_TIMEOUT_MS, backoffMs: 1000, responseFrameBytesMax: 1 << 20 });
        const outcomes: { offset: number; result: 'pending' | 'ok' | string }[] = [];
        let answered = 0;
        let nextOffset = 1;
        const answerOldest = (how: 'answer' | 'throw'): void => {
          const call = handler.calls[answered];
          if (call === undefined) return;
          answered++;
          if (how === 'throw') call.fail(new Error('injected'));
          else call.answer(responseFor(call.request.partitions[0]!.fetchOffset));
        };
        try {
          for (const o of ops) {
            if (o.kind === 'fetch' && !fetcher.isBusy) {
              const offset = nextOffset++;
              const outcome = { offset, result: 'pending' as string };
              outcomes.push(outcome);
              const request = { ...fetchRequestOf(2), partitions: [{ ...fetchRequestOf(2).partitions[0]!, fetchOffset: offset }] };
              fetcher.fetch(request).then(
                (r) => {
                  const p = r.partitions[0];
                  const own = r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR || (p !== undefined && p.highWatermark === offset && p.records.length === offset % 97);
                  outcome.result = own ? 'ok' : `someone else's answer: ${JSON.stringify(r.partitions.map((x) => x.highWatermark))}`;
                },
                (e: unknown) => {
                  outcome.result = e instanceof ReplicaFetchError && EXPECTED_CODES.has(e.code) ? 'ok' : `unexpected error ${String(e)}`;
                },
              );
            } else if (o.kind === 'answer' || o.kind === 'throw') answerOldest(o.kind);
            else if (o.kind === 'reset') transport.resetAll();
            else if (o.kind === 'advance') clock.advance(o.ms);
            else if (o.kind === 'turns') await turns(o.n);
            expect(server.connectionCount).toBeLessThanOrEqual(1);
          }
          // Faults stop: answer everything, let time pass, until every fetch settled (bounded).
          for (let i = 0; i < 50 && outcomes.some((x) => x.result === 'pending'); i++) {
            while (answered < handler.calls.length) answerOldest('answer');
            await turns(5);
            clock.advance(SOCKET_TIMEOUT_MS);
            await turns(5);
          }
          expect(outcomes.filter((x) => x.result !== 'ok')).toEqual([]);
          // Once the fetcher is gone, every handler's connection went away, and each was told so.
          await fetcher.close();
          for (let i = 0; i < 100 && server.connectionCount > 0; i++) await turns(1);
          expect(server.connectionCount).toBe(0);
          for (const call of handler.calls) expect(call.signal.aborted).toBe(true);
        } finally {
          while (answered < handler.calls.length) answerOldest('throw');
          await fetcher.close();
          await server.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
