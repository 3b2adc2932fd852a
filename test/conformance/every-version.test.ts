/**
 * Every version ApiVersions advertises works (issue 16): against the broker process on Node
 * and on Deno, one connection sends each advertised API at each advertised version and
 * expects an answer with its correlation id that decodes at that version — never a closed
 * connection. The request bodies start from the spec's defaults (`arbDefault_*Request`,
 * generated with the codecs) with the few fields that would otherwise make an answer
 * wait or vanish set by hand (acks=0 produce has no answer; long polls, joins and
 * controlled shutdown must not park the connection). Also: the advertised list is exactly
 * the served table (a version above the top is refused by closing, a version-5 ApiVersions
 * gets KIP-511's answer), and the table of served ranges is printed for the closing note.
 */
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as defaults from '../../packages/codec/test/generated/arbitraries.ts';
import { apiByKey, ApiVersionsRequestCodec, ApiVersionsResponseCodec, decodeResponseFrame, encodeRequestFrame, ErrorCode } from '../../packages/codec/src/index.ts';
import type { MessageCodec } from '../../packages/codec/src/index.ts';
import { closedWithin, connect, readFrame, RUNTIMES, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';

const FRAME_TIMEOUT_MS = 15_000;
const CLIENT_ID = 'every-version';

/** Fields set by hand so that every request is answered at once (see the file comment). */
const OVERRIDES: Readonly<Record<string, Record<string, unknown>>> = {
  Produce: { acks: 1, timeoutMs: 1000 },
  Fetch: { maxWaitMs: 0, minBytes: 0, replicaId: -1, sessionEpoch: -1 },
  ControlledShutdown: { brokerId: 999_999 },
  JoinGroup: { groupId: 'every-version-no-such-group', memberId: 'not-a-member', sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000, protocolType: 'consumer' },
  SyncGroup: { groupId: 'every-version-no-such-group', memberId: 'not-a-member' },
  Heartbeat: { groupId: 'every-version-no-such-group', memberId: 'not-a-member' },
  LeaveGroup: { groupId: 'every-version-no-such-group' },
  ListOffsets: { replicaId: -1 },
};

function defaultRequest(name: string): Record<string, unknown> {
  const make = (defaults as Record<string, unknown>)[`arbDefault_${name}Request`] as (() => Record<string, unknown>) | undefined;
  if (make === undefined) throw new Error(`no default for ${name}Request`);
  return { ...make(), ...(OVERRIDES[name] ?? {}) };
}

interface Range {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

for (const runtime of RUNTIMES) {
  describe(`every advertised API version on ${runtime}`, () => {
    const dir = tempDir(`every-version-${runtime}`);
    let broker: BrokerProcess;
    let socket: Socket;
    let correlationId = 1;

    const roundTrip = async <Req, Res>(apiKey: number, version: number, request: MessageCodec<Req>, response: MessageCodec<Res>, body: Req): Promise<Res> => {
      const id = correlationId++;
      socket.write(encodeRequestFrame({ requestApiKey: apiKey, requestApiVersion: version, correlationId: id, clientId: CLIENT_ID }, request, body));
      const frame = await readFrame(socket, FRAME_TIMEOUT_MS);
      const decoded = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), apiKey, version, response);
      if (decoded.correlationId !== id) throw new Error(`correlation id ${decoded.correlationId}, expected ${id}`);
      return decoded.body;
    };

    beforeAll(async () => {
      broker = await startBroker({ dataDir: join(dir.path, 'data'), runtime });
      socket = await connect(broker.port);
    });

    afterAll(async () => {
      socket?.destroy();
      await broker?.stop();
      dir.remove();
    });

    it('answers each advertised API at each advertised version on one connection', async () => {
      const advertised = await roundTrip(18, 3, ApiVersionsRequestCodec, ApiVersionsResponseCodec, { clientSoftwareName: CLIENT_ID, clientSoftwareVersion: '1' });
      expect(advertised.errorCode).toBe(ErrorCode.NONE);
      const ranges: Range[] = advertised.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion }));
      const failures: string[] = [];
      let answered = 0;
      for (const range of ranges) {
        const api = apiByKey.get(range.apiKey);
        if (api === undefined) {
          failures.push(`advertised unknown API key ${range.apiKey}`);
          continue;
        }
        // The served range lies inside the spec's.
        if (range.minVersion < api.minVersion || range.maxVersion > api.maxVersion) failures.push(`${api.name} ${range.minVersion}-${range.maxVersion} outside the spec's ${api.minVersion}-${api.maxVersion}`);
        for (let v = range.minVersion; v <= Math.min(range.maxVersion, api.maxVersion); v++) {
          try {
            await roundTrip(range.apiKey, v, api.request as MessageCodec<unknown>, api.response as MessageCodec<unknown>, defaultRequest(api.name));
            answered++;
          } catch (error) {
            failures.push(`${api.name} v${v}: ${error instanceof Error ? error.message : String(error)}`);
            if (socket.destroyed || socket.readableEnded) socket = await connect(broker.port);
          }
        }
      }
      console.log(JSON.stringify({ suite: 'every-version', runtime, answered, served: ranges.map((r) => `${apiByKey.get(r.apiKey)?.name ?? r.apiKey} ${r.minVersion}-${r.maxVersion}`) }));
      expect(failures).toEqual([]);
      expect(answered).toBeGreaterThan(150);
    });

    it('closes on the version above an API’s top, and answers ApiVersions v5 per KIP-511', async () => {
      const other = await connect(broker.port);
      try {
        const future = encodeRequestFrame({ requestApiKey: 18, requestApiVersion: 4, correlationId: 9, clientId: CLIENT_ID }, ApiVersionsRequestCodec, { clientSoftwareName: CLIENT_ID, clientSoftwareVersion: '1' });
        new DataView(future.buffer, future.byteOffset).setInt16(6, 5);
        other.write(future);
        const frame = await readFrame(other, FRAME_TIMEOUT_MS);
        const res = decodeResponseFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), 18, 0, ApiVersionsResponseCodec);
        expect(res.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
        // Metadata one above the served top: the broker cannot parse it and closes.
        const metadataTop = res.body.apiKeys.find((k) => k.apiKey === 3)!.maxVersion;
        const above = encodeRequestFrame({ requestApiKey: 3, requestApiVersion: metadataTop, correlationId: 10, clientId: CLIENT_ID }, apiByKey.get(3)!.request as MessageCodec<unknown>, defaultRequest('Metadata'));
        new DataView(above.buffer, above.byteOffset).setInt16(6, metadataTop + 1);
        other.write(above);
        expect(await closedWithin(other, FRAME_TIMEOUT_MS)).toBe(true);
      } finally {
        other.destroy();
      }
    });
  });
}
