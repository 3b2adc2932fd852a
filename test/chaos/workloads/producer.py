"""
The librdkafka producer workload of the fault suite (issue 15): an idempotent producer
(python3-confluent-kafka, run by /usr/bin/python3) writing unique values "<process>-<seq>"
(seq from 0, zero-padded to 6 digits) to random partitions (random.Random(seed)) at a
target rate, recording every send as history (history.py; format: test/chaos/README.md).

    producer.py BOOTSTRAP TOPIC PARTITIONS RATE SECONDS PROCESS HISTORY SEED
                [--stop-file PATH] [--message-timeout-ms N] [--flush-timeout-s S]

Per record: the `invoke` line is written before produce(); its completion comes from the
delivery report: `ok` with the offset (null when librdkafka acknowledged the record
implicitly: persisted, offset unknown), `fail` only when the record was certainly not
appended, else `info` (indeterminate). The mapping (see classify()):
  - produce() raised (BufferError: local queue full; KafkaException: refused before
    queueing, e.g. unknown partition, fatal state) -> fail: never left the process.
  - broker errors that depend only on the batch's bytes or on static config
    (FAIL_CODE_NAMES: MSG_SIZE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD,
    INVALID_TIMESTAMP, UNSUPPORTED_FOR_MESSAGE_FORMAT, INVALID_REQUIRED_ACKS, topic and
    cluster authorization) and local size refusal -> fail: a retry of the same bytes gets
    the same answer, so no attempt of the batch was appended.
  - everything else -> info, including NOT_ENOUGH_REPLICAS (librdkafka retries it, and an
    earlier attempt of the same batch that timed out may have been appended; the final
    error speaks only for the last attempt), _MSG_TIMED_OUT, _PURGE_QUEUE (a retried batch
    goes back to the queue, so "in queue" does not mean "never sent"), _PURGE_INFLIGHT,
    _FATAL, transport errors.

Configuration (why): acks=all, enable.idempotence, max.in.flight 5 (what the fault suite
tests); message.timeout.ms 30 s by default: longer than a failover (lease expiry +
election + metadata refresh, seconds) so a record rides through one, short enough that a
stuck record turns into an `info` within a bounded run; socket.timeout.ms 5 s and 1 s
metadata refresh so a dead leader is noticed fast; linger.ms 5.

A fatal error (idempotence broken, e.g. OUT_OF_ORDER_SEQUENCE_NUMBER) ends that producer
instance: its outstanding records are flushed/purged (completions as above) and a new
instance (a new producer id) carries on, at most PRODUCERS_MAX times.

Stop: after SECONDS, on SIGTERM/SIGINT, or when the stop file exists: flush (at most
--flush-timeout-s), purge what is left, then one `info` for every invoke still without a
completion. Prints one JSON summary line on stdout at exit.

Bounds: at most OUTSTANDING_MAX records without a completion (the loop waits instead of
producing); librdkafka's queue is bounded by queue.buffering.max.messages.
"""
import argparse
import json
import random
import sys
import time

from confluent_kafka import KafkaError, KafkaException, Producer

from history import History, Stop

OUTSTANDING_MAX = 10000
PRODUCERS_MAX = 20
FAIL_CODE_NAMES = ['MSG_SIZE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP',
                   'UNSUPPORTED_FOR_MESSAGE_FORMAT', 'INVALID_REQUIRED_ACKS', 'TOPIC_AUTHORIZATION_FAILED',
                   'CLUSTER_AUTHORIZATION_FAILED', '_MSG_SIZE_TOO_LARGE']
FAIL_CODES = {getattr(KafkaError, name) for name in FAIL_CODE_NAMES if hasattr(KafkaError, name)}


def classify(err):
    """'fail' when the broker's answer guarantees nothing was appended, else 'info'."""
    return 'fail' if err.code() in FAIL_CODES else 'info'


def parse_args():
    parser = argparse.ArgumentParser(description='idempotent librdkafka producer workload')
    parser.add_argument('bootstrap')
    parser.add_argument('topic')
    parser.add_argument('partitions', type=int)
    parser.add_argument('rate', type=float, help='records a second, over all partitions')
    parser.add_argument('seconds', type=float)
    parser.add_argument('process')
    parser.add_argument('history')
    parser.add_argument('seed', type=int)
    parser.add_argument('--stop-file')
    parser.add_argument('--message-timeout-ms', type=int, default=30000)
    parser.add_argument('--flush-timeout-s', type=float, default=10.0)
    args = parser.parse_args()
    if args.partitions < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error('partitions >= 1, rate > 0 and seconds > 0 are required')
    return args


class Workload:
    def __init__(self, args):
        self.args = args
        self.history = History(args.history, args.process)
        self.pending = {}  # value -> partition, invoked and not completed
        self.counts = {'invoke': 0, 'ok': 0, 'fail': 0, 'info': 0}
        self.fatal = None
        self.producers = 0

    def new_producer(self):
        self.producers += 1
        self.fatal = None
        return Producer({
            'bootstrap.servers': self.args.bootstrap, 'enable.idempotence': True, 'acks': 'all',
            'max.in.flight.requests.per.connection': 5, 'message.timeout.ms': self.args.message_timeout_ms,
            'linger.ms': 5, 'socket.timeout.ms': 5000, 'retry.backoff.ms': 100, 'reconnect.backoff.ms': 100,
            'reconnect.backoff.max.ms': 500, 'topic.metadata.refresh.interval.ms': 1000,
            'queue.buffering.max.messages': OUTSTANDING_MAX, 'error_cb': self.on_error,
            'client.id': self.args.process,
            # librdkafka's idempotence events (epoch bumps, sequence errors) on stderr, kept
            # in <process>.out: what an unsafe run's diagnosis needs, a few lines per fault.
            'debug': 'eos',
        })

    def on_error(self, err):
        print('librdkafka error: %s%s' % (err, ' (fatal)' if err.fatal() else ''), file=sys.stderr, flush=True)
        if err.fatal():
            self.fatal = err

    def complete(self, kind, value, partition, **extra):
        self.pending.pop(value, None)
        self.counts[kind] += 1
        self.history.write({'type': kind, 'f': 'send', 'partition': partition, 'value': value, **extra})

    def on_delivery(self, err, msg):
        value = msg.value().decode('utf-8')
        partition = self.pending.get(value, msg.partition())
        if err is None:
            offset = msg.offset()
            self.complete('ok', value, partition, offset=offset if offset is not None and offset >= 0 else None)
        else:
            self.complete(classify(err), value, partition, error=err.name())

    def send(self, producer, seq, partition):
        value = '%s-%06d' % (self.args.process, seq)
        self.history.write({'type': 'invoke', 'f': 'send', 'partition': partition, 'value': value})
        self.counts['invoke'] += 1
        self.pending[value] = partition
        try:
            producer.produce(self.args.topic, value=value.encode('utf-8'), partition=partition, on_delivery=self.on_delivery)
        except BufferError as e:
            self.complete('fail', value, partition, error='BufferError: %s' % e)
        except KafkaException as e:
            self.complete('fail', value, partition, error=e.args[0].name())
            if e.args[0].fatal():
                self.fatal = e.args[0]

    def poll(self, producer, timeout_s):
        """Serves delivery reports; a fatal error raised from poll() retires the instance like error_cb does."""
        try:
            producer.poll(timeout_s)
        except KafkaException as e:
            if not e.args[0].fatal():
                raise
            self.fatal = e.args[0]

    def drain(self, producer, flush_timeout_s, why):
        """Flush (bounded), purge the rest, serve their reports; what is still open is info."""
        try:
            left = producer.flush(flush_timeout_s)
        except KafkaException:
            left = len(producer)  # a fatal error raised while flushing: purge what is left
        if left > 0:
            producer.purge(in_queue=True, in_flight=True, blocking=False)
            try:
                producer.flush(1.0)
            except KafkaException:
                pass  # what got no report is recorded as info below
        for value, partition in list(self.pending.items()):
            self.complete('info', value, partition, error=why)

    def run(self):
        stop = Stop(self.args.seconds, self.args.stop_file)
        rng = random.Random(self.args.seed)
        interval_s = 1.0 / self.args.rate
        producer = self.new_producer()
        seq = 0
        next_at = time.monotonic()
        while not stop.requested():
            if self.fatal is not None:
                self.drain(producer, 5.0, 'no delivery report before the producer was retired (%s)' % self.fatal.name())
                if self.producers >= PRODUCERS_MAX:
                    break
                producer = self.new_producer()
                continue
            now = time.monotonic()
            if now < next_at or len(self.pending) >= OUTSTANDING_MAX:
                self.poll(producer, min(max(next_at - now, 0.001), 0.05))
                continue
            self.send(producer, seq, rng.randrange(self.args.partitions))
            seq += 1
            # After a stall go on at the rate instead of bursting to catch up.
            next_at = max(next_at + interval_s, now - 1.0)
            self.poll(producer, 0)
        self.drain(producer, self.args.flush_timeout_s, 'no delivery report before exit')
        self.history.close()
        print(json.dumps({'t': 'report', 'counts': self.counts, 'producers': self.producers, 'stop': stop.reason(),
                          'fatal': None if self.fatal is None else self.fatal.name()}), flush=True)


if __name__ == '__main__':
    Workload(parse_args()).run()
    sys.exit(0)
