#ifndef FS_CRDKAFKA_SHIM_H
#define FS_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* rd_kafka_producev is variadic, which Swift cannot call: this fixed-arity wrapper enqueues one
 * message, copying key and value (RD_KAFKA_MSG_F_COPY) so the caller's buffers may be reused as
 * soon as it returns. partition < 0 means RD_KAFKA_PARTITION_UA (the partitioner picks, by key). */
static inline rd_kafka_resp_err_t fs_rdk_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                                 const void *key, size_t key_len,
                                                 const void *value, size_t value_len) {
    return rd_kafka_producev(rk,
                             RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                             RD_KAFKA_V_KEY((void *)key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END);
}
/* As fs_rdk_produce, to a topic handle the caller holds (rd_kafka_topic_new), with a copy of the
 * header list `headers` (built once by the caller and still the caller's: librdkafka owns each
 * message's headers, so every message gets its own copy, rd_kafka_headers_copy). The copy is
 * owned by librdkafka once the message is enqueued; on failure it is destroyed here. Holding the
 * handle saves producev's lookup of the topic by name (a lock and a string compare per message). */
static inline rd_kafka_resp_err_t fs_rdk_produce_rkt_with_headers(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition,
                                                                  const void *key, size_t key_len,
                                                                  const void *value, size_t value_len,
                                                                  const rd_kafka_headers_t *headers) {
    rd_kafka_headers_t *hdrs = rd_kafka_headers_copy(headers);
    rd_kafka_resp_err_t err = rd_kafka_producev(rk,
                             RD_KAFKA_V_RKT(rkt),
                             RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                             RD_KAFKA_V_KEY((void *)key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_HEADERS(hdrs),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END);
    if (err) rd_kafka_headers_destroy(hdrs);
    return err;
}
/* As fs_rdk_produce_rkt_with_headers, to a topic named `topic`: takes a handle for the one message
 * (the same lookup by name producev makes; rd_kafka_topic_new, released by rd_kafka_topic_destroy).
 * A name librdkafka refuses gives its error (rd_kafka_last_error). */
static inline rd_kafka_resp_err_t fs_rdk_produce_with_headers(rd_kafka_t *rk, const char *topic, int32_t partition,
                                                              const void *key, size_t key_len,
                                                              const void *value, size_t value_len,
                                                              const rd_kafka_headers_t *headers) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt) return rd_kafka_last_error();
    rd_kafka_resp_err_t err = fs_rdk_produce_rkt_with_headers(rk, rkt, partition, key, key_len, value, value_len, headers);
    rd_kafka_topic_destroy(rkt);
    return err;
}
#endif
