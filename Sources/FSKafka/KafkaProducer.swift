import CRdKafka

/// A Kafka producer over librdkafka. Messages are copied on `produce`; delivery reports are
/// collected by a callback and checked by `flush`, which throws the first failed delivery.
public final class KafkaProducer: @unchecked Sendable {
    /// The `rd_kafka_t` handle, freed in `deinit` (`rd_kafka_flush` is the caller's job, then `rd_kafka_destroy`).
    let rk: OpaquePointer
    private let reports: DeliveryReports
    /// The configured partitioner when it is a hash of the key (see `KafkaPartitioner`), so a
    /// caller can enqueue a batch partition by partition; nil for `random` and the like.
    public let partitioner: KafkaPartitioner?

    /// Creates the producer (`rd_kafka_new(RD_KAFKA_PRODUCER)`) with a delivery-report callback
    /// (`rd_kafka_conf_set_dr_msg_cb`).
    public init(config: KafkaProducerConfig) throws(KafkaError) {
        let secrets = config.settings.secretValues
        reports = DeliveryReports(hooks: config.hooks, secrets: secrets)
        partitioner = KafkaPartitioner(property: config.properties.last { $0.0 == "partitioner" }?.1)
        let conf = try makeConf(config.properties, secrets: secrets)
        rd_kafka_conf_set_dr_msg_cb(conf, producerDeliveryCallback)
        reports.install(on: conf)
        rk = try makeClient(RD_KAFKA_PRODUCER, conf: conf, secrets: secrets)
    }

    deinit { rd_kafka_destroy(rk) }

    /// Enqueues one message (`rd_kafka_producev` with `RD_KAFKA_MSG_F_COPY`, so the arrays may be
    /// reused at once). `partition` nil: the partitioner picks one from the key. When the local
    /// queue is full it serves delivery reports (`rd_kafka_poll`) and retries: it blocks briefly
    /// instead of failing.
    public func produce(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]) throws(KafkaError) {
        let result: rd_kafka_resp_err_t = value.withUnsafeBytes { v in
            if let key {
                return key.withUnsafeBytes { k in enqueue(topic: topic, partition: partition, key: k, value: v) }
            }
            return enqueue(topic: topic, partition: partition, key: nil, value: v)
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(result, context: "produce to \(topic)") }
    }

    /// As `produce(topic:partition:key:value:)` for bytes that are already in a buffer.
    public func produce(topic: String, partition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer) throws(KafkaError) {
        let result = enqueue(topic: topic, partition: partition, key: key, value: value)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(result, context: "produce to \(topic)") }
    }

    /// As `produce(topic:partition:key:value:)` with message headers (name, bytes), in order.
    /// Sending many messages with the same headers: build one `KafkaHeaders` and pass it instead.
    public func produce(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8],
                        headers: [(name: String, value: [UInt8])]) throws(KafkaError) {
        let list = KafkaHeaders(headers)
        let result: rd_kafka_resp_err_t = value.withUnsafeBytes { v in
            guard let key else { return enqueue(topic: topic, partition: partition, key: nil, value: v, headers: list) }
            return key.withUnsafeBytes { k in enqueue(topic: topic, partition: partition, key: k, value: v, headers: list) }
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(result, context: "produce to \(topic)") }
    }

    /// As `produce(topic:partition:key:value:)` for bytes already in a buffer, with a header list
    /// built once for many messages (each message gets librdkafka's copy of it). Blocks briefly on
    /// a full queue, as `produce` does.
    public func produce(topic: String, partition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer,
                        headers: KafkaHeaders) throws(KafkaError) {
        let result = enqueue(topic: topic, partition: partition, key: key, value: value, headers: headers)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(result, context: "produce to \(topic)") }
    }

    /// A handle on `name` for `produce(to:…)`: many messages to one topic skip the lookup of the
    /// topic by name that each `produce(topic:…)` does.
    public func topic(_ name: String) throws(KafkaError) -> KafkaTopic {
        guard let rkt = rd_kafka_topic_new(rk, name, nil) else {
            throw KafkaError(rd_kafka_last_error(), context: "topic handle for \(name)")
        }
        return KafkaTopic(rkt: rkt, name: name, producer: self)
    }

    /// As `produce(topic:partition:key:value:headers:)` (bytes in buffers, a header list built
    /// once) to a topic handle of this producer. Blocks briefly on a full queue.
    public func produce(to topic: KafkaTopic, partition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer,
                        headers: KafkaHeaders) throws(KafkaError) {
        precondition(topic.producer === self, "topic handle \(topic.name) belongs to another producer")
        while true {
            let err = fs_rdk_produce_rkt_with_headers(rk, topic.rkt, partition ?? -1, key?.baseAddress, key?.count ?? 0,
                                                      value.baseAddress, value.count, headers.list)
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL { rd_kafka_poll(rk, 100); continue }
            servePeriodically()
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "produce to \(topic.name)") }
            return
        }
    }

    /// Serves delivery reports (`rd_kafka_poll(rk, 0)`) every `pollInterval` messages rather
    /// than after each: the poll takes the queue's lock, and per message it was a few percent of
    /// a 50k-message publish. Reports wait in librdkafka's queue meanwhile; `flush` serves them all.
    private func servePeriodically() {
        sincePoll += 1
        if sincePoll >= Self.pollInterval {
            sincePoll = 0
            rd_kafka_poll(rk, 0)
        }
    }

    static let pollInterval = 1024
    private var sincePoll = 0

    /// Waits until every enqueued message is delivered or failed (`rd_kafka_flush`), then throws
    /// the first failed delivery since the last flush (with how many failed), or `_TIMED_OUT` when
    /// messages are still in flight.
    public func flush(timeout: Duration) throws(KafkaError) {
        let err = rd_kafka_flush(rk, milliseconds(timeout))
        if let failure = reports.takeFailure() { throw failure }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, context: "flush: \(rd_kafka_outq_len(rk)) messages still in flight")
        }
    }

    /// The last broker failure librdkafka reported for this client; nil while none was.
    public var lastBrokerFailure: KafkaBrokerFailure? { reports.lastFailure }

    /// Number of deliveries confirmed by the broker since the producer was created.
    public var deliveredCount: Int { reports.delivered }

    private func enqueue(topic: String, partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer,
                         headers: KafkaHeaders? = nil) -> rd_kafka_resp_err_t {
        while true {
            let err = if let headers {
                fs_rdk_produce_with_headers(rk, topic, partition ?? -1, key?.baseAddress, key?.count ?? 0, value.baseAddress, value.count, headers.list)
            } else {
                fs_rdk_produce(rk, topic, partition ?? -1, key?.baseAddress, key?.count ?? 0, value.baseAddress, value.count)
            }
            if err != RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_poll(rk, 0)
                return err
            }
            rd_kafka_poll(rk, 100)
        }
    }
}

/// A topic handle of one producer (`rd_kafka_topic_new`, released by `rd_kafka_topic_destroy` in
/// deinit). It keeps its producer alive, so the handle is always destroyed before the client.
public final class KafkaTopic: @unchecked Sendable {
    let rkt: OpaquePointer
    public let name: String
    let producer: KafkaProducer

    init(rkt: OpaquePointer, name: String, producer: KafkaProducer) {
        self.rkt = rkt
        self.name = name
        self.producer = producer
    }

    deinit { rd_kafka_topic_destroy(rkt) }
}

/// Message headers (name, bytes) built once and sent with many messages: one publish batch gives
/// every message the same source headers, and building the list per message (arrays, pointers,
/// `rd_kafka_headers_new`) was a tenth of a Kafka publish's main-thread time (measured, 50k rows).
/// Wraps an `rd_kafka_headers_t` (`rd_kafka_headers_new` + `rd_kafka_header_add`, which copy the
/// bytes), freed by `rd_kafka_headers_destroy` in deinit; `produce` hands librdkafka a copy.
public final class KafkaHeaders: @unchecked Sendable {
    let list: OpaquePointer

    public init(_ headers: [(name: String, value: [UInt8])]) {
        list = rd_kafka_headers_new(headers.count)
        for h in headers {
            // An empty value needs a non-NULL pointer: NULL would make it a null header.
            let bytes = h.value.isEmpty ? [0] : h.value
            _ = bytes.withUnsafeBytes { rd_kafka_header_add(list, h.name, -1, $0.baseAddress, h.value.count) }
        }
    }

    deinit { rd_kafka_headers_destroy(list) }
}

/// Outcome counters filled by the delivery-report callback (runs inside `rd_kafka_poll`/`flush`
/// on the caller's thread).
final class DeliveryReports: KafkaClientContext, @unchecked Sendable {
    var delivered = 0
    var failed = 0
    var firstFailure: KafkaError?

    /// The first failure since the last call, its message naming how many failed; resets.
    func takeFailure() -> KafkaError? {
        guard var f = firstFailure else { return nil }
        f.message += " (\(failed) message(s) failed)"
        firstFailure = nil
        failed = 0
        return f
    }
}

/// `rd_kafka_conf_set_dr_msg_cb` callback: the message belongs to librdkafka (not freed here).
private func producerDeliveryCallback(rk: OpaquePointer?, message: UnsafePointer<rd_kafka_message_t>?, opaque: UnsafeMutableRawPointer?) {
    guard let opaque, let message else { return }
    let reports = Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue()
    let err = message.pointee.err
    if err == RD_KAFKA_RESP_ERR_NO_ERROR {
        reports.delivered += 1
    } else {
        reports.failed += 1
        if reports.firstFailure == nil {
            let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
            reports.firstFailure = KafkaError(err, context: "delivery to \(topic)")
        }
    }
}

extension KafkaProducer {
    /// Asks the broker for `topic`'s metadata now (`rd_kafka_metadata` on a topic handle of this
    /// producer; the metadata is freed with `rd_kafka_metadata_destroy`, the handle with
    /// `rd_kafka_topic_destroy`), so the producer knows the topic's partitions before its first
    /// `produce`. A producer's metadata request may also create the topic (auto-creation).
    /// Without it, the first message to a topic this producer has not seen waits for
    /// librdkafka's once-a-second scan of unknown topics: a second per new topic, measured.
    /// Returns whether the broker listed the topic; a failure is left to `produce`/`flush` to report.
    @discardableResult
    public func warmUp(topic: String, timeout: Duration) -> Bool {
        partitionCount(topic: topic, timeout: timeout) != nil
    }

    /// As `warmUp`, returning how many partitions the broker listed for `topic`; nil when it did
    /// not list the topic (or listed it with an error or no partition) within `timeout`.
    public func partitionCount(topic: String, timeout: Duration) -> Int32? {
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else { return nil }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        guard rd_kafka_metadata(rk, 0, rkt, &metadata, Int32(milliseconds(timeout))) == RD_KAFKA_RESP_ERR_NO_ERROR,
              let md = metadata else { return nil }
        defer { rd_kafka_metadata_destroy(md) }
        for t in 0 ..< Int(md.pointee.topic_cnt) where String(cString: md.pointee.topics[t].topic) == topic {
            let entry = md.pointee.topics[t]
            return entry.err == RD_KAFKA_RESP_ERR_NO_ERROR && entry.partition_cnt > 0 ? entry.partition_cnt : nil
        }
        return nil
    }
}
