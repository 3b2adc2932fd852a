"""
The librdkafka consumer-group workload of the fault suite (issue 15): one group member
(python3-confluent-kafka, run by /usr/bin/python3) that subscribes to the topic, polls
batches and commits each batch's offsets synchronously, recording everything as history
(history.py; format: test/chaos/README.md, "Workloads").

    consumer.py BOOTSTRAP TOPIC GROUP SECONDS PROCESS HISTORY
                [--stop-file PATH] [--batch-max N]

History it writes:
  - assign / revoke (on_assign, on_revoke, on_lost: a revoke with "lost": true) with the
    partitions and the generation. confluent_kafka 1.7 exposes neither the member id nor the
    group generation, so `member` is the process name and `generation` a local counter
    raised at each assignment (1 for the first).
  - poll: every consume() that returned records: [[partition, offset, "value"], ...] in
    the order the client delivered them.
  - commit: after each poll, the next offset to read (last offset + 1) for every partition
    of the batch, committed synchronously (commit(offsets=..., asynchronous=False)):
    invoke before, then ok (no error for any partition), fail only for _NO_OFFSET (nothing
    was sent to the coordinator), info for any other error (the request may have been
    written: librdkafka retries commits on coordinator errors, and a later attempt's error
    does not say an earlier attempt failed).
Settings: enable.auto.commit=false, auto.offset.reset=earliest, isolation.level default,
session.timeout.ms 6 s (a killed member's partitions move on in seconds), 1 s metadata
refresh, socket.timeout.ms 5 s.

Stop: after SECONDS, on SIGTERM/SIGINT, or when the stop file exists; then close() (leaves
the group; its revoke is logged). Every commit invoke has its completion before the next
poll, so the history is complete unless the process is SIGKILLed. Bounds: at most
--batch-max records a poll (default 500). Prints one JSON summary line on stdout at exit.
"""
import argparse
import json
import sys

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from history import History, Stop

POLL_TIMEOUT_S = 0.2


def parse_args():
    parser = argparse.ArgumentParser(description='librdkafka consumer-group workload')
    parser.add_argument('bootstrap')
    parser.add_argument('topic')
    parser.add_argument('group')
    parser.add_argument('seconds', type=float)
    parser.add_argument('process')
    parser.add_argument('history')
    parser.add_argument('--stop-file')
    parser.add_argument('--batch-max', type=int, default=500)
    args = parser.parse_args()
    if args.seconds <= 0 or not 1 <= args.batch_max <= 100000:
        parser.error('seconds > 0 and 1 <= batch-max <= 100000 are required')
    return args


class Workload:
    def __init__(self, args):
        self.args = args
        self.history = History(args.history, args.process)
        self.generation = 0
        self.counts = {'polls': 0, 'records': 0, 'commit_ok': 0, 'commit_fail': 0, 'commit_info': 0, 'assigns': 0}
        self.consumer = Consumer({
            'bootstrap.servers': args.bootstrap, 'group.id': args.group, 'client.id': args.process,
            'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000,
            'heartbeat.interval.ms': 1000, 'fetch.wait.max.ms': 100, 'socket.timeout.ms': 5000,
            'topic.metadata.refresh.interval.ms': 1000, 'reconnect.backoff.ms': 100, 'reconnect.backoff.max.ms': 500,
        })

    def log_rebalance(self, kind, partitions, **extra):
        self.history.write({'type': 'ok', 'f': kind, 'member': self.args.process, 'generation': self.generation,
                            'partitions': sorted(tp.partition for tp in partitions), **extra})

    def on_assign(self, _consumer, partitions):
        self.generation += 1
        self.counts['assigns'] += 1
        self.log_rebalance('assign', partitions)

    def on_revoke(self, _consumer, partitions):
        self.log_rebalance('revoke', partitions)

    def on_lost(self, _consumer, partitions):
        self.log_rebalance('revoke', partitions, lost=True)

    def commit(self, offsets):
        entry = {'f': 'commit', 'offsets': offsets, 'generation': self.generation}
        self.history.write({'type': 'invoke', **entry})
        tps = [TopicPartition(self.args.topic, p, o) for p, o in offsets]
        try:
            result = self.consumer.commit(offsets=tps, asynchronous=False)
            errors = [tp.error.name() for tp in (result or []) if tp.error is not None]
            kind, extra = ('ok', {}) if not errors else ('info', {'error': ','.join(errors)})
        except KafkaException as e:
            err = e.args[0]
            kind = 'fail' if err.code() == KafkaError._NO_OFFSET else 'info'
            extra = {'error': err.name()}
        self.counts['commit_' + kind] += 1
        self.history.write({'type': kind, **entry, **extra})

    def poll_once(self):
        records = []
        for msg in self.consumer.consume(self.args.batch_max, POLL_TIMEOUT_S):
            if msg.error() is not None:
                continue  # consumer errors (transport, partition EOF) carry no record
            raw = msg.value()
            value = raw.decode('utf-8', errors='replace') if raw is not None else None
            records.append([msg.partition(), msg.offset(), value])
        if not records:
            return
        self.counts['polls'] += 1
        self.counts['records'] += len(records)
        self.history.write({'type': 'ok', 'f': 'poll', 'member': self.args.process, 'generation': self.generation,
                            'records': records})
        next_offsets = {}
        for p, offset, _value in records:
            next_offsets[p] = max(next_offsets.get(p, 0), offset + 1)
        self.commit(sorted([p, o] for p, o in next_offsets.items()))

    def run(self):
        stop = Stop(self.args.seconds, self.args.stop_file)
        self.consumer.subscribe([self.args.topic], on_assign=self.on_assign, on_revoke=self.on_revoke, on_lost=self.on_lost)
        while not stop.requested():
            self.poll_once()
        self.consumer.close()
        self.history.close()
        print(json.dumps({'t': 'report', 'counts': self.counts, 'stop': stop.reason()}), flush=True)


if __name__ == '__main__':
    Workload(parse_args()).run()
    sys.exit(0)
