/**
 * kafka-python (Debian's python3-kafka 2.0.2) scenario, run through /usr/bin/python3 with
 * the client pinned to one `api_version` (issue 16). It prints one JSON object on its last
 * stdout line.
 *
 * argv = bootstrap topic api_version group count
 *   api_version: "newest" (let the client probe) or dotted, e.g. "0.10.0".
 * Steps, each recorded in the report (an exception is reported, never swallowed):
 *   produce  — `count` keyed records with acks=1, timestamps 1_000 ms apart from a fixed
 *              base (kept by message format v1+, dropped by v0); the offsets the broker gave.
 *   consume  — a group member (subscribe, no auto commit) reads until it has `count`
 *              records or 30 s pass; records as [partition, offset, key, value, timestamp].
 *   commit   — commit() then committed() per partition: equal to the end of what was read.
 *   times    — offsets_for_times for the 6th record's timestamp (ListOffsets v1+; the
 *              client refuses below 0.10.1, reported as "unsupported").
 *   configs  — KafkaAdminClient.describe_configs for the topic's retention.ms.
 */
export const PY_KAFKA_PYTHON_SCENARIO = `
import json, sys, time, traceback
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.errors import UnsupportedVersionError, IncompatibleBrokerVersion, NoBrokersAvailable
bootstrap, topic, version, group, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
api = None if version == 'newest' else tuple(int(x) for x in version.split('.'))
common = {'bootstrap_servers': bootstrap, 'api_version': api, 'request_timeout_ms': 20000}
BASE_TS = 1700000000000
report = {'version': version, 'produced': [], 'records': [], 'committed': {}, 'times': None, 'configs': None, 'errors': []}

def step(name, fn):
    try:
        fn()
    except (UnsupportedVersionError, IncompatibleBrokerVersion) as e:
        report[name] = 'unsupported: %s' % type(e).__name__
    except Exception as e:
        report['errors'].append('%s: %s: %s' % (name, type(e).__name__, e))
        traceback.print_exc()

def produce():
    p = KafkaProducer(acks=1, linger_ms=5, **common)
    futures = [p.send(topic, key=('k%d' % (i % 5)).encode(), value=('v-%d' % i).encode(), timestamp_ms=BASE_TS + i * 1000) for i in range(count)]
    p.flush(30)
    for f in futures:
        md = f.get(timeout=30)
        report['produced'].append([md.partition, md.offset])
    p.close(5)

def consume():
    c = KafkaConsumer(group_id=group, auto_offset_reset='earliest', enable_auto_commit=False,
                      session_timeout_ms=10000, heartbeat_interval_ms=1000, **common)
    c.subscribe([topic])
    deadline = time.time() + 30
    while len(report['records']) < count and time.time() < deadline:
        for tp, msgs in c.poll(timeout_ms=500).items():
            for m in msgs:
                report['records'].append([m.partition, m.offset, m.key.decode() if m.key else None, m.value.decode(), m.timestamp])
    if report['records']:
        c.commit()
        for tp in sorted(c.assignment(), key=lambda t: t.partition):
            report['committed'][str(tp.partition)] = c.committed(tp)
    c.close()

def times():
    c = KafkaConsumer(**common)
    tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or [])]
    found = c.offsets_for_times({tp: BASE_TS + 5 * 1000 for tp in tps})
    report['times'] = {str(tp.partition): (None if v is None else [v.offset, v.timestamp]) for tp, v in found.items()}
    c.close()

def configs():
    from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType
    a = KafkaAdminClient(**common)
    res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={'retention.ms': None})])
    found = {}
    for r in res:
        for resource in r.resources:
            for entry in resource[4]:
                found[entry[0]] = entry[1]
    report['configs'] = found
    a.close()

step('produce', produce)
step('consume', consume)
step('times', times)
step('configs', configs)
print(json.dumps(report))
`;

export interface KafkaPythonReport {
  readonly version: string;
  /** [partition, offset] per sent record, in send order. */
  readonly produced: [number, number][];
  /** [partition, offset, key, value, timestamp]. */
  readonly records: [number, number, string | null, string, number][];
  readonly committed: Record<string, number | null>;
  readonly times: Record<string, [number, number] | null> | string | null;
  readonly configs: Record<string, string> | string | null;
  readonly errors: string[];
}
