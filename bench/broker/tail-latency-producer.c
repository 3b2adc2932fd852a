/*
 * tail-latency-producer: librdkafka producing fixed-size records at a fixed rate to one
 * partition, reporting each message's latency (produce() call to delivery report, as
 * librdkafka measures it: rd_kafka_message_latency). Built and run by tail-latency.ts;
 * stands in for librdkafka's rdkafka_performance, which Debian does not package.
 *
 *   tail-latency-producer <bootstrap> <topic> <records/s> <seconds> <warmup seconds>
 *                         <record bytes> [key=value librdkafka property ...]
 *
 * Prints one JSON line on stdout: counts, the rate reached and p50/p99/p99.9/max in ms of
 * the messages produced after the warm-up. Exit 1 on a bad argument or delivery error.
 *
 * Needs only a C compiler and the librdkafka shared library (librdkafka1, which kcat and
 * python3-confluent-kafka already pull in): librdkafka's stable public C API is declared by
 * signature in bench/librdkafka-abi.h, so no -dev headers are needed.
 *
 * Invariants: at most rate × seconds messages are produced (bounded loop); latencies are
 * kept in one preallocated array of that size; delivery reports are served from the
 * producing thread at least every pollIntervalUs, since librdkafka computes a message's
 * latency when its report is served.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../librdkafka-abi.h"

enum { RD_KAFKA_PRODUCER = 0, RD_KAFKA_MSG_F_COPY = 0x2, RD_KAFKA_RESP_ERR__QUEUE_FULL = -184 };

static const long pollIntervalUs = 100;
static const int flushTimeoutMs = 60000;

static int64_t *latenciesUs;
static size_t latencyCount;
static size_t latencyCapacity;
static size_t delivered;
static size_t failed;
static size_t warmupMessages;
static const char *firstError;

static int64_t nowUs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void onDelivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err != 0) {
    failed++;
    if (firstError == NULL) firstError = rd_kafka_err2str(m->err);
    return;
  }
  /* The message's sequence number rides in _private (msg_opaque). */
  size_t seq = (size_t)(uintptr_t)m->_private;
  delivered++;
  if (seq >= warmupMessages && latencyCount < latencyCapacity) latenciesUs[latencyCount++] = rd_kafka_message_latency(m);
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
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s bootstrap topic rate seconds warmupSeconds recordBytes [key=value ...]\n", argv[0]);
    return 1;
  }
  const char *bootstrap = argv[1], *topicName = argv[2];
  double rate = atof(argv[3]), seconds = atof(argv[4]), warmupSeconds = atof(argv[5]);
  size_t recordBytes = (size_t)atol(argv[6]);
  if (rate <= 0 || seconds <= 0 || warmupSeconds < 0 || recordBytes == 0 || recordBytes > 1048576) {
    fprintf(stderr, "bad rate, seconds or record size\n");
    return 1;
  }
  size_t total = (size_t)(rate * (seconds + warmupSeconds));
  warmupMessages = (size_t)(rate * warmupSeconds);
  latencyCapacity = total - warmupMessages;
  latenciesUs = malloc(sizeof(int64_t) * (latencyCapacity + 1));
  char *payload = malloc(recordBytes);
  if (latenciesUs == NULL || payload == NULL) return 1;
  memset(payload, 'x', recordBytes);

  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  const char *defaults[][2] = {{"bootstrap.servers", bootstrap}, {"linger.ms", "1"}, {"acks", "1"}, {"queue.buffering.max.messages", "2000000"}, {"queue.buffering.max.kbytes", "2097151"}};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
    if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], err, sizeof err) != 0) {
      fprintf(stderr, "%s: %s\n", defaults[i][0], err);
      return 1;
    }
  }
  for (int i = 7; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (eq == NULL) {
      fprintf(stderr, "expected key=value: %s\n", argv[i]);
      return 1;
    }
    *eq = '\0';
    if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof err) != 0) {
      fprintf(stderr, "%s: %s\n", argv[i], err);
      return 1;
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, onDelivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == NULL) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, topicName, NULL);

  /* Paced by the clock: at any moment, rate × elapsed messages should have been produced. */
  int64_t startUs = nowUs();
  size_t sent = 0, queueFullWaits = 0;
  int64_t lastPollUs = startUs;
  while (sent < total) {
    int64_t now = nowUs();
    size_t due = (size_t)((double)(now - startUs) * rate / 1e6);
    if (due > total) due = total;
    while (sent < due) {
      if (rd_kafka_produce(topic, 0, RD_KAFKA_MSG_F_COPY, payload, recordBytes, NULL, 0, (void *)(uintptr_t)sent) == -1) {
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
          return 1;
        }
        queueFullWaits++;
        rd_kafka_poll(rk, 1);
        continue;
      }
      sent++;
      if ((sent & 255) == 0 && nowUs() - lastPollUs >= pollIntervalUs) {
        rd_kafka_poll(rk, 0);
        lastPollUs = nowUs();
      }
    }
    rd_kafka_poll(rk, 0);
    lastPollUs = nowUs();
    sleepUs(pollIntervalUs);
  }
  int64_t producedUs = nowUs() - startUs;
  /* Serve the remaining reports promptly (flush polls), bounded by flushTimeoutMs. */
  rd_kafka_flush(rk, flushTimeoutMs);
  int64_t elapsedUs = nowUs() - startUs;

  qsort(latenciesUs, latencyCount, sizeof(int64_t), compareI64);
  printf("{\"sent\":%zu,\"delivered\":%zu,\"failed\":%zu,\"measured\":%zu,\"queueFullWaits\":%zu,"
         "\"producedRate\":%.0f,\"deliveredRate\":%.0f,\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"p999Ms\":%.3f,\"maxMs\":%.3f,\"error\":\"%s\"}\n",
         sent, delivered, failed, latencyCount, queueFullWaits, (double)sent * 1e6 / (double)producedUs, (double)delivered * 1e6 / (double)elapsedUs,
         percentileMs(0.5), percentileMs(0.99), percentileMs(0.999), latencyCount ? (double)latenciesUs[latencyCount - 1] / 1000.0 : -1.0, firstError ? firstError : "");
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  free(latenciesUs);
  free(payload);
  return failed == 0 && delivered == sent ? 0 : 1;
}
