/*
 * librdkafka's stable public C API, declared by signature for the bench producers
 * (bench/broker/tail-latency-producer.c, bench/replication/replication-producer.c), so they
 * build with only a C compiler and librdkafka.so.1 (what kcat and python3-confluent-kafka
 * pull in from Debian) — no librdkafka-dev headers. Only what those producers call.
 * The rd_kafka_message_t layout is librdkafka's public struct (rdkafka.h).
 */
#ifndef SAMSA_BENCH_LIBRDKAFKA_ABI_H
#define SAMSA_BENCH_LIBRDKAFKA_ABI_H

#include <stddef.h>
#include <stdint.h>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_topic_s rd_kafka_topic_t;
typedef struct rd_kafka_conf_s rd_kafka_conf_t;
typedef struct rd_kafka_topic_conf_s rd_kafka_topic_conf_t;
typedef int rd_kafka_resp_err_t;
typedef struct rd_kafka_message_s {
  rd_kafka_resp_err_t err;
  rd_kafka_topic_t *rkt;
  int32_t partition;
  void *payload;
  size_t len;
  void *key;
  size_t key_len;
  int64_t offset;
  void *_private;
} rd_kafka_message_t;

extern rd_kafka_conf_t *rd_kafka_conf_new(void);
extern int rd_kafka_conf_set(rd_kafka_conf_t *, const char *, const char *, char *, size_t);
extern void rd_kafka_conf_set_dr_msg_cb(rd_kafka_conf_t *, void (*)(rd_kafka_t *, const rd_kafka_message_t *, void *));
extern rd_kafka_t *rd_kafka_new(int type, rd_kafka_conf_t *, char *, size_t);
extern rd_kafka_topic_t *rd_kafka_topic_new(rd_kafka_t *, const char *, rd_kafka_topic_conf_t *);
extern int rd_kafka_produce(rd_kafka_topic_t *, int32_t, int, void *, size_t, const void *, size_t, void *);
extern int rd_kafka_poll(rd_kafka_t *, int);
extern rd_kafka_resp_err_t rd_kafka_flush(rd_kafka_t *, int);
extern rd_kafka_resp_err_t rd_kafka_last_error(void);
extern const char *rd_kafka_err2str(rd_kafka_resp_err_t);
extern const char *rd_kafka_err2name(rd_kafka_resp_err_t);
extern int64_t rd_kafka_message_latency(const rd_kafka_message_t *);
extern void rd_kafka_topic_destroy(rd_kafka_topic_t *);
extern void rd_kafka_destroy(rd_kafka_t *);

#endif
