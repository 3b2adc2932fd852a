/**
 * @platformatic/kafka, a pure-JavaScript client that needs Node ≥ 22 and negotiates the
 * newest versions (Fetch v13+ with topic ids, fetch sessions), installed by the suite itself
 * from npm together with Node 22 (the `node@22` package) into a directory outside the
 * workspace (issue 16). Nothing here is a workspace dependency: the repo's Node stays 20.
 *
 * `ensurePlatformatic()` installs once per machine (idempotent: a marker file names the
 * versions) and returns the Node 22 binary and the directory the script runs in.
 * PLATFORMATIC_SCENARIO: argv = bootstrap topic group count groupProtocol
 *   admin createTopics (3 partitions) + metadata; a producer sends `count` keyed records;
 *   a consumer in group `group` (groupProtocol 'classic' or 'consumer', KIP-848) reads
 *   them with autocommit; admin listGroups (the group's type and state while the member is
 *   live), listOffsets (latest) and the group's committed offsets.
 *   Prints one JSON line.
 * PLATFORMATIC_MEMBER (mixed-group.test.ts): argv = bootstrap topic group
 *   a KIP-848 consumer (groupProtocol 'consumer', committed offsets, earliest when none,
 *   autocommit) that prints one JSON line per record ({"r":[partition, offset, value]})
 *   until a line "close" arrives on stdin; then it closes the stream and the consumer
 *   (committing what it read) and prints {"closed":true,"errors":[...]}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './harness.ts';

export const PLATFORMATIC_VERSION = '1.35.0';
export const NODE22_VERSION = '22.23.3';
const DIR = join(tmpdir(), `samsa-platformatic-${PLATFORMATIC_VERSION}-node-${NODE22_VERSION}`);
const MARKER = join(DIR, 'installed.json');

export interface PlatformaticClient {
  readonly node: string;
  readonly dir: string;
  /** PLATFORMATIC_SCENARIO as an .mjs file in `dir`, so its imports resolve there. */
  readonly script: string;
  /** PLATFORMATIC_MEMBER as an .mjs file in `dir`. */
  readonly member: string;
}

export async function ensurePlatformatic(): Promise<PlatformaticClient> {
  const node = join(DIR, 'node_modules', 'node', 'bin', 'node');
  const want = JSON.stringify({ platformatic: PLATFORMATIC_VERSION, node: NODE22_VERSION });
  const script = join(DIR, 'scenario.mjs');
  const member = join(DIR, 'member.mjs');
  if (existsSync(MARKER) && readFileSync(MARKER, 'utf8') === want && existsSync(node)) {
    writeFileSync(script, PLATFORMATIC_SCENARIO);
    writeFileSync(member, PLATFORMATIC_MEMBER);
    return { node, dir: DIR, script, member };
  }
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'package.json'), JSON.stringify({ name: 'samsa-platformatic-conformance', private: true, type: 'module' }));
  const result = await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', DIR, `node@${NODE22_VERSION}`, `@platformatic/kafka@${PLATFORMATIC_VERSION}`], { timeoutMs: 300_000 });
  if (result.code !== 0 || !existsSync(node)) throw new Error(`installing @platformatic/kafka and node@22 failed (exit ${result.code}):\n${result.stderr.toString().slice(-3000)}`);
  const version = await run(node, ['--version'], { timeoutMs: 30_000 });
  if (!version.stdout.toString().startsWith('v22.')) throw new Error(`node@22 from npm answers ${version.stdout.toString()} ${version.stderr.toString()}`);
  writeFileSync(MARKER, want);
  writeFileSync(script, PLATFORMATIC_SCENARIO);
  writeFileSync(member, PLATFORMATIC_MEMBER);
  return { node, dir: DIR, script, member };
}

export const PLATFORMATIC_SCENARIO = `
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
const [bootstrap, topic, group, countText, groupProtocol] = process.argv.slice(2);
const count = Number(countText);
const report = { topics: [], group: null, sent: 0, produced: [], records: [], latest: {}, committed: {}, errors: [] };
const bootstrapBrokers = [bootstrap];
const admin = new Admin({ clientId: 'samsa-conformance-admin', bootstrapBrokers });
try {
  await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
  const metadata = await admin.metadata({ topics: [topic] });
  report.topics = [...metadata.topics.keys()];
  const producer = new Producer({ clientId: 'samsa-conformance-producer', bootstrapBrokers, serializers: stringSerializers });
  for (let i = 0; i < count; i += 10) {
    const sent = await producer.send({ messages: Array.from({ length: 10 }, (_, j) => ({ topic, key: 'k' + ((i + j) % 7), value: 'pv-' + (i + j) })) });
    // One entry per partition of the batch: its base offset.
    for (const o of sent.offsets ?? []) report.produced.push([o.partition, Number(o.offset)]);
    report.sent += 10;
  }
  await producer.close();
  const consumer = new Consumer({ groupId: group, clientId: 'samsa-conformance-consumer', bootstrapBrokers, deserializers: stringDeserializers, groupProtocol,
    sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTime: 500 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 100 });
  // Events, not for-await: leaving a for-await destroys the stream before autocommit runs.
  await new Promise((resolve) => {
    const deadline = setTimeout(resolve, 30000);
    stream.on('data', (m) => {
      report.records.push([m.partition, Number(m.offset), m.key, m.value]);
      if (report.records.length >= count) {
        clearTimeout(deadline);
        resolve();
      }
    });
    stream.on('error', (e) => report.errors.push('stream: ' + String(e)));
  });
  // Two autocommit intervals, then close (which commits what is left).
  await new Promise((r) => setTimeout(r, 300));
  // While the member is live: the group's type (KIP-848 ListGroups v5) and state.
  const groups = await admin.listGroups({ types: ['classic', 'consumer'] });
  const listedGroup = groups.get(group);
  report.group = listedGroup ? { type: listedGroup.groupType, state: listedGroup.state } : null;
  await stream.close();
  await consumer.close(true);
  const listed = await admin.listOffsets({ topics: [{ name: topic, partitions: [0, 1, 2].map((p) => ({ partitionIndex: p, timestamp: -1n })) }] });
  for (const t of listed) for (const p of t.partitions) report.latest[p.partitionIndex] = Number(p.offset);
  const fetched = await admin.listConsumerGroupOffsets({ groups: [group] });
  for (const g of fetched) for (const t of g.topics ?? []) for (const p of t.partitions) report.committed[p.partitionIndex] = Number(p.committedOffset);
} catch (e) {
  report.errors.push(String(e && e.stack || e) + (e && e.errors ? ' ' + JSON.stringify(e.errors.map(String)) : ''));
} finally {
  await admin.close().catch(() => {});
}
console.log(JSON.stringify(report));
process.exit(0);
`;

export const PLATFORMATIC_MEMBER = `
import { createInterface } from 'node:readline';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
const [bootstrap, topic, group] = process.argv.slice(2);
const errors = [];
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const consumer = new Consumer({ groupId: group, clientId: 'samsa-mixed-consumer', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers,
  groupProtocol: 'consumer', sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTime: 300 });
const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: 100 });
stream.on('data', (m) => say({ r: [m.partition, Number(m.offset), m.value] }));
stream.on('error', (e) => errors.push('stream: ' + String(e)));
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'close') continue;
  try {
    await stream.close();
    await consumer.close(true);
  } catch (e) {
    errors.push(String(e && e.stack || e));
  }
  say({ closed: true, errors });
  process.exit(0);
}
process.exit(1);
`;
