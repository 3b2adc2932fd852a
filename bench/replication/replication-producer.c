/*
 * replication-producer: the librdkafka load generator of the `replication` bench
 * (replication.ts builds it with `cc` and runs it). Three modes, one topic:
 *
 *   replication-producer <bootstrap> <topic> <partitions> burst <warmup records> <records> <record bytes> [key=value ...]
 *     Produces <warmup records> and flushes (not timed: metadata, connections, fresh memory),
 *     then <records> as fast as librdkafka's queue takes them, partition = seq % partitions.
 *     Times the first timed produce() to the last delivery report. One JSON line.
 *
 *   replication-producer <bootstrap> <topic> <partitions> rate <records/s> <seconds> <warmup seconds> <record bytes> [key=value ...]
 *     Fixed rate. A message's latency runs from its INTENDED send time (start + seq / rate),
 *     not from its produce() call, to its delivery report: a producer that fell behind its
 *     schedule (descheduled, queue full) is charged for it (no coordinated omission).
 *     Messages of the warm-up seconds are not counted. One JSON line.
 *
 *   replication-producer <bootstrap> <topic> <partition> steady <records/s> <max seconds> <record bytes> [key=value ...]
 *     Fixed rate to one partition until SIGTERM/SIGINT or <max seconds>; prints one line per
 *     delivery report as it is served: `ok <realtime µs> <offset>` or `err <realtime µs> <error name>`
 *     (CLOCK_REALTIME, so the caller can compare with its own wall clock). Then flushes (bounded).
 *
 * librdkafka defaults unless a key=value overrides them; the caller passes acks and linger.ms.
 * Needs only a C compiler and librdkafka.so.1 (what kcat and python3-confluent-kafka pull in):
 * librdkafka's stable public C API is declared by signature in bench/librdkafka-abi.h.
 *
 * Bounds: every loop ends after at most its record count or max seconds (steady) and the
 * final flush after flushTimeoutMs; latencies go to one preallocated array of the measured
 * count; a record is at most 1 MiB.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../librdkafka-abi.h"

enum { RD_KAFKA_PRODUCER = 0, RD_KAFKA_MSG_F_COPY = 0x2, RD_KAFKA_RESP_ERR__QUEUE_FULL = -184 };
enum { MODE_BURST, MODE_RATE, MODE_STEADY };

static const long pollIntervalUs = 100;
static const int flushTimeoutMs = 120000;
static const int steadyFlushTimeoutMs = 10000;
static const size_t recordBytesMax = 1048576;

static int mode;
static int64_t startUs;
static double rate;
static int64_t *latenciesUs;
static size_t latencyCount;
static size_t latencyCapacity;
static size_t delivered;
static size_t failed;
static size_t warmupMessages;
static const char *firstError;
static volatile sig_atomic_t stopRequested;

static int64_t clockUs(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t nowUs(void) { return clockUs(CLOCK_MONOTONIC); }

static void onStopSignal(int sig) {
  (void)sig;
  stopRequested = 1;
}

static void onDelivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (mode == MODE_STEADY) {
    if (m->err != 0) printf("err %lld %s\n", (long long)clockUs(CLOCK_REALTIME), rd_kafka_err2name(m->err));
    else printf("ok %lld %lld\n", (long long)clockUs(CLOCK_REALTIME), (long long)m->offset);
  }
  if (m->err != 0) {
    failed++;
    if (firstError == NULL) firstError = rd_kafka_err2str(m->err);
    return;
  }
  delivered++;
  if (mode != MODE_RATE) return;
  /* The message's sequence number rides in _private (msg_opaque); its intended send time follows from it. */
  size_t seq = (size_t)(uintptr_t)m->_private;
  int64_t intendedUs = startUs + (int64_t)((double)seq * 1e6 / rate);
  if (seq >= warmupMessages && latencyCount < latencyCapacity) latenciesUs[latencyCount++] = nowUs() - intendedUs;
}

static int compareI64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static double percentileMs(double p) {
  if (latencyCount == 0) return -1;
  size_t i = (size_t)(p * (double)(latencyCount - 1) + 0.5);
  return (double)latenciesUs[i] / 1000.0;
}

static void sleepUs(long us) {
  struct timespec ts = {0, us * 1000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stopRequested) {
  }
}

/* Produces one message, serving delivery reports while librdkafka's queue is full. 0 on success. */
static int produceOne(rd_kafka_t *rk, rd_kafka_topic_t *topic, int32_t partition, char *payload, size_t bytes, size_t seq) {
  for (;;) {
    if (rd_kafka_produce(topic, partition, RD_KAFKA_MSG_F_COPY, payload, bytes, NULL, 0, (void *)(uintptr_t)seq) == 0) return 0;
    if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      return -1;
    }
    rd_kafka_poll(rk, 1);
  }
}

static rd_kafka_t *newProducer(const char *bootstrap, int argc, char **argv, int firstProperty) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) != 0) {
    fprintf(stderr, "bootstrap.servers: %s\n", err);
    return NULL;
  }
  for (int i = firstProperty; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (eq == NULL) {
      fprintf(stderr, "expected key=value: %s\n", argv[i]);
      return NULL;
    }
    *eq = '\0';
    if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof err) != 0) {
      fprintf(stderr, "%s: %s\n", argv[i], err);
      return NULL;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, onDelivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == NULL) fprintf(stderr, "rd_kafka_new: %s\n", err);
  return rk;
}

static int runBurst(rd_kafka_t *rk, rd_kafka_topic_t *topic, int32_t partitions, size_t warmup, size_t records, char *payload, size_t bytes) {
  for (size_t seq = 0; seq < warmup; seq++) {
    if (produceOne(rk, topic, (int32_t)(seq % (size_t)partitions), payload, bytes, seq) != 0) return 1;
    rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, flushTimeoutMs) != 0 || failed > 0) {
    fprintf(stderr, "warm-up: %zu of %zu delivered, %zu failed (%s)\n", delivered, warmup, failed, firstError ? firstError : "flush timed out");
    return 1;
  }
  size_t warmDelivered = delivered;
  int64_t t0 = nowUs();
  for (size_t seq = 0; seq < records; seq++) {
    if (produceOne(rk, topic, (int32_t)(seq % (size_t)partitions), payload, bytes, seq) != 0) return 1;
    if ((seq & 63) == 0) rd_kafka_poll(rk, 0);
  }
  rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, flushTimeoutMs);
  int64_t elapsedUs = nowUs() - t0;
  size_t timedDelivered = delivered - warmDelivered;
  printf("{\"records\":%zu,\"delivered\":%zu,\"failed\":%zu,\"bytes\":%zu,\"seconds\":%.6f,\"recordsPerS\":%.0f,\"mbPerS\":%.3f,\"error\":\"%s\"}\n", records, timedDelivered, failed, records * bytes,
         (double)elapsedUs / 1e6, (double)timedDelivered * 1e6 / (double)elapsedUs, (double)(timedDelivered * bytes) / (double)elapsedUs, firstError ? firstError : (flushed != 0 ? "flush timed out" : ""));
  return failed == 0 && timedDelivered == records ? 0 : 1;
}

static int runRate(rd_kafka_t *rk, rd_kafka_topic_t *topic, int32_t partitions, double seconds, double warmupSeconds, char *payload, size_t bytes) {
  size_t total = (size_t)(rate * (seconds + warmupSeconds));
  warmupMessages = (size_t)(rate * warmupSeconds);
  latencyCapacity = total - warmupMessages;
  latenciesUs = malloc(sizeof(int64_t) * (latencyCapacity + 1));
  if (latenciesUs == NULL) return 1;
  /* Paced by the clock: at any moment, rate × elapsed messages should have been produced. */
  startUs = nowUs();
  size_t sent = 0;
  int64_t lagMaxUs = 0;
  while (sent < total) {
    int64_t now = nowUs();
    size_t due = (size_t)((double)(now - startUs) * rate / 1e6);
    if (due > total) due = total;
    while (sent < due) {
      int64_t lagUs = nowUs() - (startUs + (int64_t)((double)sent * 1e6 / rate));
      if (lagUs > lagMaxUs) lagMaxUs = lagUs;
      if (produceOne(rk, topic, (int32_t)(sent % (size_t)partitions), payload, bytes, sent) != 0) return 1;
      sent++;
      if ((sent & 63) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_poll(rk, 0);
    sleepUs(pollIntervalUs);
  }
  int64_t producedUs = nowUs() - startUs;
  rd_kafka_flush(rk, flushTimeoutMs);
  qsort(latenciesUs, latencyCount, sizeof(int64_t), compareI64);
  printf("{\"sent\":%zu,\"delivered\":%zu,\"failed\":%zu,\"measured\":%zu,\"producedRate\":%.0f,\"sendLagMaxMs\":%.3f,\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"p999Ms\":%.3f,\"maxMs\":%.3f,\"error\":\"%s\"}\n", sent,
         delivered, failed, latencyCount, (double)sent * 1e6 / (double)producedUs, (double)lagMaxUs / 1000.0, percentileMs(0.5), percentileMs(0.99), percentileMs(0.999),
         latencyCount ? (double)latenciesUs[latencyCount - 1] / 1000.0 : -1.0, firstError ? firstError : "");
  free(latenciesUs);
  return failed == 0 && delivered == sent ? 0 : 1;
}

static int runSteady(rd_kafka_t *rk, rd_kafka_topic_t *topic, int32_t partition, double maxSeconds, char *payload, size_t bytes) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onStopSignal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  size_t total = (size_t)(rate * maxSeconds);
  startUs = nowUs();
  size_t sent = 0;
  while (sent < total && !stopRequested) {
    size_t due = (size_t)((double)(nowUs() - startUs) * rate / 1e6);
    if (due > total) due = total;
    while (sent < due && !stopRequested) {
      if (produceOne(rk, topic, partition, payload, bytes, sent) != 0) return 1;
      sent++;
    }
    rd_kafka_poll(rk, 0);
    sleepUs(pollIntervalUs * 10);
  }
  rd_kafka_flush(rk, steadyFlushTimeoutMs);
  fprintf(stderr, "steady: sent %zu, delivered %zu, failed %zu\n", sent, delivered, failed);
  return 0;
}

int main(int argc, char **argv) {
  static const char *usage = "usage: %s bootstrap topic partitions burst <warmup records> <records> <record bytes> [key=value ...]\n"
                             "       %s bootstrap topic partitions rate <records/s> <seconds> <warmup seconds> <record bytes> [key=value ...]\n"
                             "       %s bootstrap topic partition steady <records/s> <max seconds> <record bytes> [key=value ...]\n";
  if (argc < 5) {
    fprintf(stderr, usage, argv[0], argv[0], argv[0]);
    return 1;
  }
  const char *bootstrap = argv[1], *topicName = argv[2], *modeName = argv[4];
  int32_t partitions = (int32_t)atol(argv[3]);
  int argsNeeded, bytesArg;
  if (strcmp(modeName, "burst") == 0) mode = MODE_BURST, argsNeeded = 8, bytesArg = 7;
  else if (strcmp(modeName, "rate") == 0) mode = MODE_RATE, argsNeeded = 9, bytesArg = 8;
  else if (strcmp(modeName, "steady") == 0) mode = MODE_STEADY, argsNeeded = 8, bytesArg = 7;
  else argsNeeded = 0, bytesArg = 0;
  if (argsNeeded == 0 || argc < argsNeeded) {
    fprintf(stderr, usage, argv[0], argv[0], argv[0]);
    return 1;
  }
  size_t bytes = (size_t)atol(argv[bytesArg]);
  if (bytes == 0 || bytes > recordBytesMax || partitions < (mode == MODE_STEADY ? 0 : 1)) {
    fprintf(stderr, "bad record size or partitions\n");
    return 1;
  }
  char *payload = malloc(bytes);
  if (payload == NULL) return 1;
  memset(payload, 'x', bytes);
  rd_kafka_t *rk = newProducer(bootstrap, argc, argv, argsNeeded);
  if (rk == NULL) return 1;
  rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, topicName, NULL);
  int status;
  if (mode == MODE_BURST) {
    long warmup = atol(argv[5]), records = atol(argv[6]);
    status = warmup < 0 || records <= 0 ? (fprintf(stderr, "bad record counts\n"), 1) : runBurst(rk, topic, partitions, (size_t)warmup, (size_t)records, payload, bytes);
  } else if (mode == MODE_RATE) {
    rate = atof(argv[5]);
    double seconds = atof(argv[6]), warmupSeconds = atof(argv[7]);
    status = rate <= 0 || seconds <= 0 || warmupSeconds < 0 ? (fprintf(stderr, "bad rate or seconds\n"), 1) : runRate(rk, topic, partitions, seconds, warmupSeconds, payload, bytes);
  } else {
    rate = atof(argv[5]);
    double maxSeconds = atof(argv[6]);
    status = rate <= 0 || maxSeconds <= 0 ? (fprintf(stderr, "bad rate or seconds\n"), 1) : runSteady(rk, topic, partitions, maxSeconds, payload, bytes);
  }
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  free(payload);
  return status;
}
