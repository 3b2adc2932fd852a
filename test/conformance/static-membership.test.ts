/**
 * Static membership (KIP-345) with a real client (issue 11, defect D): three
 * python3-confluent-kafka consumers (Debian's librdkafka 2.0.x) with a group.instance.id
 * each share a 3-partition topic; then each is restarted in turn (closed, which sends no
 * LeaveGroup for a static member, and created again with the same instance id), as a
 * rolling restart does. One of them is the group's leader. No restart may rebalance the
 * group: the consumers that keep running see no revoke and no new assignment, and every
 * new incarnation gets the partitions its instance had.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, expectOk, python, startBroker, tempDir } from './harness.ts';
import type { BrokerProcess } from './harness.ts';
import { lastJson } from './python-scripts.ts';

/** argv: bootstrap topic. Prints {stable, events (up to the final closes), restarts} or {error}; every wait is bounded. */
const PY_STATIC_ROLLING = `
import json, sys, time
from confluent_kafka import Consumer
bootstrap, topic = sys.argv[1], sys.argv[2]
INSTANCES = 3
events = []
consumers = {}

def make(i, inc):
    name = 'inst-%d#%d' % (i, inc)
    def on_assign(c, parts):
        events.append([name, 'assign', sorted(p.partition for p in parts)])
    def on_revoke(c, parts):
        events.append([name, 'revoke', sorted(p.partition for p in parts)])
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'static-rolling', 'group.instance.id': 'inst-%d' % i,
                  'session.timeout.ms': 30000, 'heartbeat.interval.ms': 300, 'enable.auto.commit': False,
                  'auto.offset.reset': 'earliest', 'topic.metadata.refresh.interval.ms': 600000})
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    consumers[i] = (name, c)

def poll_all(seconds):
    end = time.time() + seconds
    while time.time() < end:
        for _, c in list(consumers.values()):
            c.poll(0.02)

def owned():
    cur = {}
    for name, kind, parts in events:
        cur[name] = parts if kind == 'assign' else []
    return cur

def fail(msg):
    print(json.dumps({'error': msg, 'events': events}), flush=True)
    sys.exit(0)

for i in range(INSTANCES):
    make(i, 0)
deadline = time.time() + 40
while True:
    poll_all(0.5)
    cur = owned()
    names = [consumers[i][0] for i in range(INSTANCES)]
    if all(cur.get(n) for n in names) and sorted(p for n in names for p in cur[n]) == [0, 1, 2]:
        break
    if time.time() > deadline:
        fail('the group never became stable')
poll_all(2.0)  # quiet period: nothing else should happen
stable = len(events)
before = {i: owned()[consumers[i][0]] for i in range(INSTANCES)}
restarts = []
for i in range(INSTANCES):
    name, c = consumers.pop(i)
    closed_at = len(events)
    c.close()
    make(i, 1)
    new = consumers[i][0]
    deadline = time.time() + 30
    while not owned().get(new):
        poll_all(0.2)
        if time.time() > deadline:
            fail('%s got no assignment' % new)
    poll_all(1.5)  # let any rebalance the restart caused reach the others
    restarts.append({'instance': i, 'closed': name, 'new': new, 'assigned': owned()[new], 'before': before[i], 'closedAt': closed_at})
end = len(events)
for _, c in consumers.values():
    c.close()
print(json.dumps({'stable': stable, 'events': events[:end], 'restarts': restarts}), flush=True)
`;

interface Report {
  readonly error?: string;
  readonly stable: number;
  readonly events: Array<[string, 'assign' | 'revoke', number[]]>;
  readonly restarts: Array<{ instance: number; closed: string; new: string; assigned: number[]; before: number[]; closedAt: number }>;
}

describe('static membership with python3-confluent-kafka', () => {
  const dir = tempDir('static-membership');
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await startBroker({ dataDir: join(dir.path, 'data'), overrides: ['group.initial.rebalance.delay.ms=1500', 'offsets.topic.num.partitions=1'] });
  });

  afterAll(async () => {
    await broker?.stop();
    dir.remove();
  });

  it('a rolling restart of three static consumers (the leader among them) rebalances nothing', async () => {
    await createTopic(broker.bootstrap, 'static-events', 3);
    const report = lastJson<Report>(expectOk(await python(PY_STATIC_ROLLING, [broker.bootstrap, 'static-events'], { timeoutMs: 120_000 }), 'python static rolling restart').stdout);
    expect(report.error, JSON.stringify(report.events)).toBeUndefined();
    expect(report.restarts).toHaveLength(3);
    // Between stability and the first restart nothing happened.
    expect(report.events.slice(report.stable, report.restarts[0]!.closedAt)).toEqual([]);
    report.restarts.forEach((r, i) => {
      // The new incarnation gets exactly what its instance had.
      expect(r.assigned).toEqual(r.before);
      // From this restart to the next, only the closing incarnation (its local revoke) and the new one have events.
      const until = report.restarts[i + 1]?.closedAt ?? report.events.length;
      const others = report.events.slice(r.closedAt, until).filter(([name]) => name !== r.closed && name !== r.new);
      expect(others).toEqual([]);
    });
  });
});
