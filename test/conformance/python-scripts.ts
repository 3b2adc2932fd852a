/**
 * python3-confluent-kafka (librdkafka) scripts the conformance suites run through
 * /usr/bin/python3. Each prints one JSON object on its last stdout line.
 *
 * produce: argv = bootstrap topic count compression [idempotent=1] [key-prefix]
 *   an idempotent (enable.idempotence, acks=all) producer; reports delivered count,
 *   errors and the offsets per partition.
 * consume: argv = bootstrap topic partitions expected
 *   a consumer with assign() (no subscribe, no commits) from the beginning of every
 *   partition until `expected` records or 30 s.
 * list-topics: argv = bootstrap; an AdminClient's list_topics(timeout=10) (all topics, the
 *   request librdkafka >= 2.1 sends with 3 trailing bytes at Metadata v9+); reports the
 *   topic names, the seconds it took and librdkafka's version.
 * produce-across-restart: like produce, but produces two halves with ONE producer and
 *   waits for a line on stdin between them (the test restarts the broker there).
 */

const COMMON = `
import json, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING, KafkaException

def producer(bootstrap, compression, idempotent):
    conf = {'bootstrap.servers': bootstrap, 'linger.ms': 5, 'compression.type': compression,
            'message.timeout.ms': 30000, 'socket.timeout.ms': 10000, 'reconnect.backoff.max.ms': 500}
    if idempotent:
        conf.update({'enable.idempotence': True, 'acks': 'all'})
    return Producer(conf)

def produce(p, topic, start, count, prefix, report):
    def on_delivery(err, msg):
        if err is not None:
            report['errors'].append(str(err))
        else:
            report['delivered'] += 1
            report['offsets'].setdefault(str(msg.partition()), []).append(msg.offset())
    for i in range(start, start + count):
        while True:
            try:
                p.produce(topic, key=('%s%d' % (prefix, i % 13)).encode(), value=('py-%d' % i).encode(), on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    remaining = p.flush(60)
    report['unflushed'] = remaining
`

export const PY_PRODUCE = `${COMMON}
bootstrap, topic, count, compression = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
idempotent = len(sys.argv) <= 5 or sys.argv[5] == '1'
prefix = sys.argv[6] if len(sys.argv) > 6 else 'key-'
report = {'delivered': 0, 'errors': [], 'offsets': {}}
produce(producer(bootstrap, compression, idempotent), topic, 0, count, prefix, report)
print(json.dumps(report))
`;

export const PY_CONSUME = `${COMMON}
bootstrap, topic, partitions, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'samsa-conformance-unused', 'enable.auto.commit': False,
              'enable.partition.eof': False, 'auto.offset.reset': 'earliest', 'fetch.wait.max.ms': 100})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
records = []
errors = []
deadline = time.time() + 30
while len(records) < expected and time.time() < deadline:
    for m in c.consume(num_messages=1000, timeout=0.5):
        if m.error() is not None:
            errors.append(str(m.error()))
            continue
        records.append([m.partition(), m.offset(), (m.key() or b'').decode(), (m.value() or b'').decode()])
c.close()
print(json.dumps({'records': records, 'errors': errors}))
`;

export const PY_PRODUCE_ACROSS_RESTART = `${COMMON}
bootstrap, topic, half, compression = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
p = producer(bootstrap, compression, True)
first = {'delivered': 0, 'errors': [], 'offsets': {}}
produce(p, topic, 0, half, 'key-', first)
print(json.dumps({'phase': 1, **first}), flush=True)
sys.stdin.readline()
second = {'delivered': 0, 'errors': [], 'offsets': {}}
produce(p, topic, half, half, 'key-', second)
print(json.dumps({'phase': 2, **second}), flush=True)
`;

export const PY_LIST_TOPICS = `
import json, sys, time
import confluent_kafka
from confluent_kafka.admin import AdminClient
a = AdminClient({'bootstrap.servers': sys.argv[1], 'socket.timeout.ms': 10000})
started = time.monotonic()
md = a.list_topics(timeout=10)
print(json.dumps({'topics': sorted(md.topics.keys()), 'seconds': time.monotonic() - started, 'librdkafka': confluent_kafka.libversion()[0]}))
`;

export interface ListTopicsReport {
  readonly topics: string[];
  readonly seconds: number;
  readonly librdkafka: string;
}

export interface ProduceReport {
  readonly delivered: number;
  readonly errors: string[];
  readonly offsets: Record<string, number[]>;
  readonly unflushed: number;
}

export interface ConsumeReport {
  readonly records: Array<[number, number, string, string]>;
  readonly errors: string[];
}

/** The JSON object on the last non-empty line of a script's stdout. */
export function lastJson<T>(stdout: Buffer | string): T {
  const lines = stdout.toString().split('\n').filter((l) => l.trim().length > 0);
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error('python printed nothing');
  return JSON.parse(last) as T;
}
