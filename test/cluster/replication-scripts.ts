/**
 * The python3-confluent-kafka (librdkafka) scripts of the replication suites. Each prints
 * JSON objects, one per stdout line, with a `t` field: `progress` lines while it runs and
 * one `report` line at the end. The long-running ones (run through PythonPeer) stop when a
 * line arrives on stdin or stdin closes.
 *
 * PY_FAILOVER_PRODUCER: argv = bootstrap topic partitions rate_per_s
 *   an idempotent producer (enable.idempotence, acks=all) writing "p<partition>-<n>" round
 *   robin over the partitions, n counting per partition from 0, at about `rate_per_s`
 *   records a second. It records every delivery report: `acked[p]` = [offset, n] in the
 *   order the reports came (offset null for librdkafka's implicit acks, which carry none),
 *   errors as [partition, n, error name, retriable]. Progress every
 *   200 ms: acked and sent counts per partition.
 * PY_PRODUCE_ONCE: argv = bootstrap topic acks retries prefix count
 *   a plain (not idempotent) producer writing "<prefix>-<i>" to partition 0; report:
 *   delivered [offset, value], errors [value, code, name, retriable].
 * PY_READ_ALL: argv = bootstrap topic partitions min_ends_json timeout_s
 *   reads every partition from the beginning up to its high watermark (at least up to
 *   min_ends[p]) and until the high watermarks stop moving; report: records[p] = [offset,
 *   value] in read order, the ends, errors.
 * PY_GROUP_COMMITTER: argv = bootstrap topic group expected batch period_s timeout_s
 *   a group member (subscribe, no auto commit) reading at most `batch` records every
 *   `period_s` and committing synchronously after each batch, until it has seen `expected`
 *   distinct values and a commit after its last read succeeded. It logs reads and successful
 *   commits on one timeline: reads = [partition, offset, value]; commits = [reads before
 *   it, [[partition, offset], …], wall ms when it succeeded] (offset = the next to read);
 *   failed commits as errors.
 */

const PRODUCER_CONF = `
BASE_CONF = {'socket.timeout.ms': 5000, 'retry.backoff.ms': 100, 'reconnect.backoff.ms': 100,
             'reconnect.backoff.max.ms': 500, 'topic.metadata.refresh.interval.ms': 1000,
             'message.timeout.ms': 60000}
`;

const STOP_ON_STDIN = `
import threading
stop = threading.Event()
def _watch_stdin():
    sys.stdin.readline()
    stop.set()
threading.Thread(target=_watch_stdin, daemon=True).start()
`;

export const PY_FAILOVER_PRODUCER = `
import json, sys, time
from confluent_kafka import Producer
${PRODUCER_CONF}
${STOP_ON_STDIN}
bootstrap, topic, partitions, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
RECORDS_MAX = 200000
ERRORS_KEPT_MAX = 500
fatal = []
def on_error(err):
    if err.fatal():
        fatal.append(str(err))
p = Producer({**BASE_CONF, 'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 5, 'error_cb': on_error})
acked = [[] for _ in range(partitions)]
errors = []
error_names = {}
sent = [0] * partitions
def on_delivery(err, msg):
    part = msg.partition()
    n = int(msg.value().decode().split('-', 1)[1])
    if err is None:
        acked[part].append([msg.offset(), n])
    else:
        error_names[err.name()] = error_names.get(err.name(), 0) + 1
        if len(errors) < ERRORS_KEPT_MAX:
            errors.append([part, n, err.name(), err.retriable()])
def progress():
    print(json.dumps({'t': 'progress', 'acked': [len(a) for a in acked], 'sent': sent,
                      'errors': sum(error_names.values()), 'fatal': fatal}), flush=True)
interval = 1.0 / rate
next_at = time.monotonic()
last_progress = 0.0
i = 0
while not stop.is_set() and not fatal and i < RECORDS_MAX:
    now = time.monotonic()
    if now - last_progress >= 0.2:
        progress()
        last_progress = now
    if now < next_at:
        p.poll(min(next_at - now, 0.05))
        continue
    part = i % partitions
    try:
        p.produce(topic, value=('p%d-%d' % (part, sent[part])).encode(), partition=part, on_delivery=on_delivery)
    except BufferError:
        p.poll(0.05)
        continue
    sent[part] += 1
    i += 1
    # After a stall, go on at the rate rather than bursting to catch up.
    next_at = max(next_at + interval, now - 1.0)
    p.poll(0)
unflushed = p.flush(60)
progress()
print(json.dumps({'t': 'report', 'acked': acked, 'sent': sent, 'errors': errors, 'errorNames': error_names,
                  'fatal': fatal, 'unflushed': unflushed}), flush=True)
`;

export const PY_PRODUCE_ONCE = `
import json, sys
from confluent_kafka import Producer
${PRODUCER_CONF}
bootstrap, topic, acks, retries, prefix, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
p = Producer({**BASE_CONF, 'bootstrap.servers': bootstrap, 'acks': acks, 'retries': retries, 'linger.ms': 5,
              'message.timeout.ms': 30000})
delivered, errors = [], []
def on_delivery(err, msg):
    if err is None:
        delivered.append([msg.offset(), msg.value().decode()])
    else:
        errors.append([msg.value().decode(), err.code(), err.name(), err.retriable()])
for i in range(count):
    p.produce(topic, value=('%s-%d' % (prefix, i)).encode(), partition=0, on_delivery=on_delivery)
    p.poll(0)
unflushed = p.flush(40)
print(json.dumps({'t': 'report', 'delivered': delivered, 'errors': errors, 'unflushed': unflushed}), flush=True)
`;

export const PY_READ_ALL = `
import json, sys, time
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
min_ends, timeout_s = json.loads(sys.argv[4]), float(sys.argv[5])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'samsa-replication-reader', 'enable.auto.commit': False,
              'enable.partition.eof': True, 'auto.offset.reset': 'earliest', 'fetch.wait.max.ms': 100,
              'topic.metadata.refresh.interval.ms': 1000, 'socket.timeout.ms': 5000})
deadline = time.time() + timeout_s
errors = []
def high_watermarks():
    ends = []
    for part in range(partitions):
        while True:
            try:
                ends.append(max(min_ends[part], c.get_watermark_offsets(TopicPartition(topic, part), timeout=5, cached=False)[1]))
                break
            except KafkaException as e:
                if len(errors) < 100:
                    errors.append('watermarks of %d: %s' % (part, e))
                if time.time() > deadline:
                    ends.append(min_ends[part])
                    break
                time.sleep(0.2)
    return ends
c.assign([TopicPartition(topic, part, OFFSET_BEGINNING) for part in range(partitions)])
records = [[] for _ in range(partitions)]
next_offset = [0] * partitions
ends = high_watermarks()
complete = False
while time.time() < deadline:
    for m in c.consume(num_messages=1000, timeout=0.5):
        if m.error() is not None:
            if m.error().code() != KafkaError._PARTITION_EOF and len(errors) < 100:
                errors.append(str(m.error()))
            continue
        records[m.partition()].append([m.offset(), m.value().decode()])
        next_offset[m.partition()] = m.offset() + 1
    if all(next_offset[part] >= ends[part] for part in range(partitions)):
        again = high_watermarks()
        if again == ends:
            complete = True
            break
        ends = again
c.close()
print(json.dumps({'t': 'report', 'records': records, 'ends': ends, 'complete': complete, 'errors': errors}), flush=True)
`;

export const PY_GROUP_COMMITTER = `
import json, sys, time
from confluent_kafka import Consumer, KafkaError, KafkaException
${STOP_ON_STDIN}
bootstrap, topic, group, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
batch, period_s, timeout_s = int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500,
              'fetch.wait.max.ms': 100, 'topic.metadata.refresh.interval.ms': 1000, 'socket.timeout.ms': 5000,
              'reconnect.backoff.ms': 100, 'reconnect.backoff.max.ms': 500, 'coordinator.query.interval.ms': 1000})
c.subscribe([topic])
reads, commits, errors = [], [], []
seen = set()
pending = False
deadline = time.time() + timeout_s
last_progress = 0.0
def progress():
    print(json.dumps({'t': 'progress', 'reads': len(reads), 'distinct': len(seen),
                      'lastCommit': commits[-1] if commits else None, 'commitErrors': len(errors)}), flush=True)
while not stop.is_set() and time.time() < deadline and (len(seen) < expected or pending):
    started = time.time()
    for m in c.consume(num_messages=batch, timeout=0.5):
        if m.error() is not None:
            if len(errors) < 200:
                errors.append('consume: ' + str(m.error()))
            continue
        value = m.value().decode()
        reads.append([m.partition(), m.offset(), value])
        seen.add(value)
        pending = True
    if pending:
        try:
            done = c.commit(asynchronous=False)
            commits.append([len(reads), [[tp.partition, tp.offset] for tp in done if tp.error is None and tp.offset >= 0], int(time.time() * 1000)])
            pending = False
        except KafkaException as e:
            if e.args[0].code() == KafkaError._NO_OFFSET:
                pending = False
            elif len(errors) < 200:
                errors.append('commit: ' + str(e))
    if time.time() - last_progress >= 0.2:
        progress()
        last_progress = time.time()
    time.sleep(max(0.0, period_s - (time.time() - started)))
progress()
c.close()
print(json.dumps({'t': 'report', 'reads': reads, 'commits': commits, 'errors': errors, 'distinct': len(seen)}), flush=True)
`;

export interface FailoverProducerProgress {
  readonly t: 'progress';
  readonly acked: number[];
  readonly sent: number[];
  readonly errors: number;
  readonly fatal: string[];
}

export interface FailoverProducerReport {
  readonly t: 'report';
  /** By partition: [offset, n] in delivery-report order; offset null when librdkafka acknowledged implicitly. */
  readonly acked: Array<Array<[number | null, number]>>;
  readonly sent: number[];
  readonly errors: Array<[number, number, string, boolean]>;
  readonly errorNames: Record<string, number>;
  readonly fatal: string[];
  readonly unflushed: number;
}

export interface ProduceOnceReport {
  readonly t: 'report';
  readonly delivered: Array<[number, string]>;
  readonly errors: Array<[string, number, string, boolean]>;
  readonly unflushed: number;
}

export interface ReadAllReport {
  readonly t: 'report';
  /** By partition: [offset, value] in read order. */
  readonly records: Array<Array<[number, string]>>;
  readonly ends: number[];
  readonly complete: boolean;
  readonly errors: string[];
}

/** A successful commit: [reads before it, [[partition, next offset], …], wall ms when it succeeded]. */
export type GroupCommit = [number, Array<[number, number]>, number];

export interface GroupCommitterProgress {
  readonly t: 'progress';
  readonly reads: number;
  readonly distinct: number;
  readonly lastCommit: GroupCommit | null;
  readonly commitErrors: number;
}

export interface GroupCommitterReport {
  readonly t: 'report';
  readonly reads: Array<[number, number, string]>;
  readonly commits: GroupCommit[];
  readonly errors: string[];
  readonly distinct: number;
}
