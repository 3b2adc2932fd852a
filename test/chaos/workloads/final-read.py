"""
The final read of the fault suite (issue 15): after the faults ended and the cluster
healed, a fresh librdkafka consumer (no group membership: assign(), no commits) reads every
partition of the topic from its log start offset to its high watermark and writes the JSON
the checker reads (format: test/chaos/README.md, "Workloads"):

    {"topic": T, "partitions": {"0": {"logStartOffset": s, "highWatermark": h,
                                      "records": [[offset, "value"], ...]}, ...}}

    final-read.py BOOTSTRAP TOPIC OUT_PATH [--partitions N] [--timeout-s S]
                  [--settle-s 2] [--isr-wait-s 20]

Without --partitions the partition count comes from the topic's metadata.

Because the cluster may just have recovered, it first waits until the topic's metadata
names a leader for every partition and then (at most --isr-wait-s; the summary says
whether it happened) until every replica is in its partition's ISR: a leader elected just
now may answer a high watermark below what was acknowledged until its followers fetch
again. Then it reads up to the high watermarks, asks for them again and reads on until
they stayed the same for --settle-s. Records come in offset order per partition; a value
that is not UTF-8 is kept as null with the offset. Every step is bounded
by --timeout-s (default 60): past it the script exits 2 and writes nothing. The output is
written to OUT_PATH.tmp and renamed, so a reader never sees half a file.
"""
import argparse
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

RECORDS_MAX = 5_000_000
BATCH_MAX = 1000


class Timeout(Exception):
    pass


def parse_args():
    parser = argparse.ArgumentParser(description='reads every partition from log start to high watermark')
    parser.add_argument('bootstrap')
    parser.add_argument('topic')
    parser.add_argument('out')
    parser.add_argument('--partitions', type=int)
    parser.add_argument('--timeout-s', type=float, default=60.0)
    parser.add_argument('--settle-s', type=float, default=2.0)
    parser.add_argument('--isr-wait-s', type=float, default=20.0)
    args = parser.parse_args()
    if (args.partitions is not None and args.partitions < 1) or args.timeout_s <= 0:
        parser.error('partitions >= 1 and timeout-s > 0 are required')
    return args


class FinalRead:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.timeout_s
        self.consumer = Consumer({
            'bootstrap.servers': args.bootstrap, 'group.id': 'samsa-chaos-final-read', 'enable.auto.commit': False,
            'enable.partition.eof': False, 'auto.offset.reset': 'earliest', 'fetch.wait.max.ms': 100,
            'topic.metadata.refresh.interval.ms': 1000, 'socket.timeout.ms': 5000,
        })
        self.partitions = args.partitions
        self.records = {}
        self.next_offset = {}
        self.errors = []
        self.isr_full = False

    def check_deadline(self, what):
        if time.monotonic() > self.deadline:
            raise Timeout('final read: %s not done within %.0f s; last errors: %s' % (what, self.args.timeout_s, self.errors[-5:]))

    def note(self, error):
        self.errors.append(str(error))
        del self.errors[:-50]

    def topic_metadata(self):
        """{partition: (leader, replicas, isrs)} of the topic, or None (noted) when unknown."""
        try:
            topic = self.consumer.list_topics(self.args.topic, timeout=5).topics.get(self.args.topic)
        except KafkaException as e:
            self.note(e)
            return None
        if topic is None or topic.error is not None or len(topic.partitions) == 0:
            self.note('topic metadata: %s' % (None if topic is None else topic.error))
            return None
        return {p: (m.leader, list(m.replicas), list(m.isrs)) for p, m in topic.partitions.items()}

    def wait_for_leaders(self):
        """Waits (deadline) for a leader of every partition, then (at most --isr-wait-s) for
        every replica to be in the ISR: a leader elected just now may answer a high watermark
        below what it had acknowledged until its followers fetch again."""
        while True:
            self.check_deadline('a leader for every partition')
            meta = self.topic_metadata()
            if meta is not None:
                want = self.partitions if self.partitions is not None else len(meta)
                if len(meta) >= want and all(meta.get(p, (-1,))[0] >= 0 for p in range(want)):
                    self.partitions = want
                    self.records = {p: [] for p in range(want)}
                    break
                self.note('leaders %s' % {p: m[0] for p, m in meta.items()})
            time.sleep(0.2)
        isr_deadline = min(self.deadline, time.monotonic() + self.args.isr_wait_s)
        while time.monotonic() < isr_deadline:
            meta = self.topic_metadata()
            if meta is not None and all(set(meta[p][1]) <= set(meta[p][2]) for p in range(self.partitions) if p in meta):
                self.isr_full = True
                return
            time.sleep(0.2)

    def watermarks(self):
        marks = {}
        for p in range(self.partitions):
            while True:
                self.check_deadline('watermarks of partition %d' % p)
                try:
                    marks[p] = self.consumer.get_watermark_offsets(TopicPartition(self.args.topic, p), timeout=5, cached=False)
                    break
                except KafkaException as e:
                    self.note('watermarks of %d: %s' % (p, e))
                    time.sleep(0.2)
        return marks

    def behind(self, marks):
        """True while some partition's read position is below its high watermark. The
        consumer's position also counts: it moves past offsets that hold no record."""
        positions = {tp.partition: tp.offset for tp in self.consumer.position(
            [TopicPartition(self.args.topic, p) for p in marks])}
        return any(max(self.next_offset[p], positions.get(p, -1)) < high for p, (_low, high) in marks.items())

    def read_to(self, marks):
        """Reads every partition up to its high watermark in `marks`."""
        if not self.next_offset:
            self.next_offset = {p: low for p, (low, _high) in marks.items()}
            self.consumer.assign([TopicPartition(self.args.topic, p, low) for p, (low, _high) in marks.items()])
        while self.behind(marks):
            self.check_deadline('reading to the high watermarks %s (at %s)' % (marks, self.next_offset))
            for msg in self.consumer.consume(BATCH_MAX, 0.5):
                if msg.error() is not None:
                    self.note(msg.error())
                    continue
                p, offset = msg.partition(), msg.offset()
                if offset < self.next_offset[p]:
                    continue  # a re-fetch after a leader change: already have it
                try:
                    value = msg.value().decode('utf-8') if msg.value() is not None else None
                except UnicodeDecodeError:
                    value = None
                self.records[p].append([offset, value])
                self.next_offset[p] = offset + 1
                if sum(len(r) for r in self.records.values()) > RECORDS_MAX:
                    raise Timeout('final read: more than %d records' % RECORDS_MAX)

    def run(self):
        """Reads to the high watermarks until they stayed the same for --settle-s."""
        self.wait_for_leaders()
        marks = self.watermarks()
        since = time.monotonic()
        while True:
            self.read_to(marks)
            again = self.watermarks()
            if again != marks:
                marks, since = again, time.monotonic()
                continue
            if time.monotonic() - since >= self.args.settle_s:
                return marks
            self.check_deadline('high watermarks to settle (%s)' % marks)
            time.sleep(0.2)

    def write(self, marks):
        out = {'topic': self.args.topic, 'partitions': {
            str(p): {'logStartOffset': marks[p][0], 'highWatermark': marks[p][1], 'records': self.records[p]}
            for p in range(self.partitions)}}
        tmp = self.args.out + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(out, f, separators=(',', ':'))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.args.out)
        return {p: [marks[p][0], marks[p][1], len(self.records[p])] for p in marks}


def main():
    reader = FinalRead(parse_args())
    try:
        marks = reader.run()
        summary = reader.write(marks)
    except Timeout as e:
        print(str(e), file=sys.stderr, flush=True)
        return 2
    finally:
        reader.consumer.close()
    print(json.dumps({'t': 'report', 'partitions': summary, 'isrFull': reader.isr_full}), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
