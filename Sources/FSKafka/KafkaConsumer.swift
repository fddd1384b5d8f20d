import CRdKafka
import Dispatch
import Synchronization

/// A Kafka consumer over librdkafka's high-level consumer API.
///
/// Two modes: `assign` (manual partitions and offsets — single-process ingest seeks to the
/// offsets stored in its table) and `subscribe` (group mode; on every rebalance `onAssign` says
/// where each new partition starts and `onRevoke` lets the caller commit its in-flight batch).
/// Offsets are never auto-committed; `commit` exists for lag monitoring only.
///
/// Threading: use one consumer from one thread at a time (`@unchecked Sendable` lets it move
/// between tasks). Rebalance callbacks run inside `poll`, on the polling thread.
public final class KafkaConsumer: @unchecked Sendable {
    /// The `rd_kafka_t` handle; freed by `close` (`rd_kafka_consumer_close` + `rd_kafka_destroy`).
    private var rk: OpaquePointer?
    /// Rebalance handlers, reached from the C callback through the conf's opaque pointer. Retained
    /// by this consumer, which outlives the handle.
    private let handlers: RebalanceHandlers
    /// The messages the last holding poll kept, released by `close` if their batch still has
    /// them (`rd_kafka_destroy` would wait for them forever).
    private weak var heldByLastPoll: HeldMessages?
    /// Runs `wakeFetcher`'s watermark queries; `close` waits for the one in flight.
    private let wakeQueue = DispatchQueue(label: "fs.kafka.wake-fetcher")
    /// Set while a `wakeFetcher` query is in flight (a box: the task must not retain the consumer,
    /// whose `deinit` waits for it).
    private let waking = WakingFlag()

    /// Creates the consumer (`rd_kafka_new(RD_KAFKA_CONSUMER)`) and routes the main queue to the
    /// consumer queue (`rd_kafka_poll_set_consumer`) so `poll` also serves errors and rebalances.
    public init(config: KafkaConsumerConfig) throws(KafkaError) {
        let secrets = config.settings.secretValues
        handlers = RebalanceHandlers(hooks: config.hooks, secrets: secrets)
        let conf = try makeConf(config.properties, secrets: secrets)
        rd_kafka_conf_set_rebalance_cb(conf, consumerRebalanceCallback)
        handlers.install(on: conf)
        let rk = try makeClient(RD_KAFKA_CONSUMER, conf: conf, secrets: secrets)
        self.rk = rk
        rd_kafka_poll_set_consumer(rk)
    }

    deinit { close() }

    /// Manual assignment at the given offsets (`rd_kafka_assign`); replaces any previous one.
    /// An empty list unassigns everything.
    public func assign(_ partitions: [TopicPartitionOffset]) throws(KafkaError) {
        let rk = try handle()
        handlers.liftPauses(of: Array(handlers.paused), rk: rk)
        let err = PartitionList.with(partitions) { rd_kafka_assign(rk, $0) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "assign \(partitions)") }
    }

    /// Group mode (`rd_kafka_subscribe`). On each rebalance, inside `poll`: newly assigned
    /// partitions go to `onAssign`, whose offsets are assigned (`rd_kafka_assign`, or
    /// `rd_kafka_incremental_assign` under the cooperative protocol); revoked partitions go to
    /// `onRevoke` first, then they are unassigned.
    public func subscribe(topics: [String], onAssign: @escaping ([TopicPartition]) -> [TopicPartitionOffset],
                          onRevoke: @escaping ([TopicPartition]) -> Void) throws(KafkaError) {
        let rk = try handle()
        handlers.onAssign = onAssign
        handlers.onRevoke = onRevoke
        let entries = topics.map { TopicPartitionOffset(topic: $0, partition: RD_KAFKA_PARTITION_UA, offset: KafkaOffset.end) }
        let err = PartitionList.with(entries) { rd_kafka_subscribe(rk, $0) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "subscribe \(topics)") }
    }

    /// The partition ids of `topic`, sorted, from a metadata request (`rd_kafka_metadata`;
    /// the metadata is freed with `rd_kafka_metadata_destroy`, the topic handle with
    /// `rd_kafka_topic_destroy`). An unknown topic throws `UNKNOWN_TOPIC_OR_PART` (retriable).
    public func partitions(topic: String, timeout: Duration) throws(KafkaError) -> [Int32] {
        try queryPartitions(handle(), topic: topic, timeout: timeout)
    }

    /// The partition's low and high watermarks asked from the broker
    /// (`rd_kafka_query_watermark_offsets`): `high` is the offset the next message will get, so
    /// a consumer has read everything when its next offset equals `high`.
    public func watermarks(_ tp: TopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64) {
        try queryWatermarks(handle(), tp, timeout: timeout)
    }

    /// Asks the broker for `tp`'s watermarks on a background queue and drops the answer; returns
    /// false, sending nothing, while the previous request is still in flight. Any request wakes
    /// librdkafka's broker thread, which then fetches for every partition under its queue limit
    /// (see `IngestJob.nudgeFetcher`), and the caller does not wait for the round trip.
    ///
    /// Why not `watermarks`: fs-ingest's poll loop waited 1–2 s per 1M events inside
    /// `rd_kafka_query_watermark_offsets` (157 queries, sched_switch trace), for a reply queued
    /// on the same broker thread behind the fetch response it had just asked for, while the
    /// fetched messages were already in the queue to be parsed. `rd_kafka_query_watermark_offsets`
    /// is thread-safe; it is the one call made beside `poll`, and `close` waits for it.
    @discardableResult
    public func wakeFetcher(asking tp: TopicPartition, timeout: Duration) -> Bool {
        guard let rk, !waking.flag.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        let handle = UnsafeSendableHandle(rk: rk), waking = waking
        wakeQueue.async {
            _ = try? queryWatermarks(handle.rk, tp, timeout: timeout)
            waking.flag.store(false, ordering: .releasing)
        }
        return true
    }

    /// Up to `maxMessages` messages: waits up to `timeout` for the first, then takes only what is
    /// already fetched (`rd_kafka_consumer_poll`, each message copied into the batch and freed
    /// at once with `rd_kafka_message_destroy`). An empty batch means nothing arrived in time.
    /// Per-message errors are returned in `batch.errors`; a fatal client error throws.
    public func poll(maxMessages: Int, timeout: Duration) throws(KafkaError) -> MessageBatch {
        var batch = MessageBatch()
        try poll(into: &batch, maxMessages: maxMessages, timeout: timeout)
        return batch
    }

    /// `poll(maxMessages:timeout:)` into `batch`, which is emptied first and keeps its buffers:
    /// for loops that poll all the time (fs-ingest), where a fresh batch per poll faulted in
    /// its ~3 MB of message bytes every time.
    ///
    /// `holding`: the batch keeps librdkafka's messages instead of copying their bytes, until
    /// it is emptied (the next poll into it) — for a caller that is done with a poll's messages
    /// before it polls again. Such a batch must be emptied before `close` (which releases the
    /// last one it filled, since librdkafka's destroy waits for every message).
    public func poll(into batch: inout MessageBatch, maxMessages: Int, timeout: Duration, holding: Bool = false) throws(KafkaError) {
        let rk = try handle()
        batch.removeAll()
        if !holding { batch.held = nil }
        var wait = milliseconds(timeout)
        var lastTopic: (OpaquePointer, String)?
        while batch.count < maxMessages {
            guard let message = rd_kafka_consumer_poll(rk, wait) else { break }
            wait = 0
            var kept = false
            defer { if !kept { rd_kafka_message_destroy(message) } }
            let m = message.pointee
            let topicName: String
            if let rkt = m.rkt {
                if let (cached, name) = lastTopic, cached == rkt { topicName = name } else {
                    topicName = String(cString: rd_kafka_topic_name(rkt))
                    lastTopic = (rkt, topicName)
                }
            } else {
                topicName = ""
            }
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                batch.reachedEnd.append(TopicPartitionOffset(topic: topicName, partition: m.partition, offset: m.offset))
                continue
            }
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if let fatal = KafkaError.fatal(of: rk) { throw fatal }
                let detail = rd_kafka_message_errstr(message).map { String(cString: $0) }
                let place = topicName.isEmpty ? "consume" : "consume \(topicName)[\(m.partition)]"
                let error = KafkaError(m.err, context: place, detail: detail.map { KafkaClientSettings.redact($0, secrets: handlers.secrets) })
                handlers.record(error)
                batch.errors.append(error)
                continue
            }
            if batch.count == 0 { batch.reserve(messages: maxMessages, bytes: holding ? 0 : maxMessages * (m.len + m.key_len + 16)) }
            var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let timestamp = rd_kafka_message_timestamp(message, &timestampType)
            if holding {
                batch.append(holding: message, topic: topicName, timestampMillis: timestamp)
                // Once per poll: a weak store per message was a side-table update each time.
                if batch.count == 1 { heldByLastPoll = batch.held }
                kept = true
                continue
            }
            let key = m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) }
            let value = UnsafeRawBufferPointer(start: m.payload, count: m.payload == nil ? 0 : m.len)
            batch.append(topic: topicName, partition: m.partition, offset: m.offset, timestampMillis: timestamp,
                         key: key, value: value)
        }
    }

    /// Stops fetching `tps` (`rd_kafka_pause_partitions`) until `resume`. Lossless: librdkafka
    /// drops what it fetched ahead for them (its version barrier; a later poll skips those
    /// messages) and, on resume, fetches again from the offset after the last message a poll
    /// delivered. A pause is lifted by the consumer itself when the partition is revoked or
    /// assigned again (a rebalance, `assign`).
    public func pause(_ tps: [TopicPartition]) throws(KafkaError) {
        guard !tps.isEmpty else { return }
        try setPaused(true, tps)
        handlers.paused.formUnion(tps)
    }

    /// Fetches `tps` again (`rd_kafka_resume_partitions`). The fetcher looks at them when its
    /// broker thread next wakes (`wakeFetcher` wakes it at once).
    public func resume(_ tps: [TopicPartition]) throws(KafkaError) {
        guard !tps.isEmpty else { return }
        try setPaused(false, tps)
        handlers.paused.subtract(tps)
    }

    /// The partitions `pause` stopped and nothing has resumed since.
    public var pausedPartitions: Set<TopicPartition> { handlers.paused }

    private func setPaused(_ pause: Bool, _ tps: [TopicPartition]) throws(KafkaError) {
        let rk = try handle()
        let failure: KafkaError? = PartitionList.with(tps.map(pauseEntry)) { list in
            let err = pause ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { return KafkaError(err, context: "\(pause ? "pause" : "resume") \(tps)") }
            return PartitionList.firstError(list, context: pause ? "pause" : "resume")
        }
        if let failure { throw failure }
    }

    /// The last broker failure librdkafka reported for this client (authentication, TLS or
    /// unreachable, with its text), so a job giving up can say which; nil while none was.
    public var lastBrokerFailure: KafkaBrokerFailure? { handlers.lastFailure }

    /// The partitions currently assigned (`rd_kafka_assignment`; the list is destroyed here).
    /// Empty after `close` or on error.
    public var assignment: [TopicPartition] {
        guard let rk else { return [] }
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return PartitionList.read(list).map(\.topicPartition)
    }

    /// Commits offsets (next offset to read) to the group (`rd_kafka_commit`). Monitoring only:
    /// the table is the source of truth for where to resume. Synchronously by default (errors
    /// of every partition thrown); `async: true` returns at once and drops the broker's answer
    /// (only a failure to enqueue the request throws) — for progress reports that must not
    /// stall the caller for a round trip.
    public func commit(_ offsets: [TopicPartitionOffset], async: Bool = false) throws(KafkaError) {
        let rk = try handle()
        guard !offsets.isEmpty else { return }
        let failure: KafkaError? = PartitionList.with(offsets) { list in
            let err = rd_kafka_commit(rk, list, async ? 1 : 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { return KafkaError(err, context: "commit \(offsets)") }
            return async ? nil : PartitionList.firstError(list, context: "commit")
        }
        if let failure { throw failure }
    }

    /// Leaves the group (revoke callbacks run), then frees the handle
    /// (`rd_kafka_consumer_close` + `rd_kafka_destroy`). Idempotent; later calls throw `_DESTROY`.
    public func close() {
        guard let rk else { return }
        wakeQueue.sync {}  // a `wakeFetcher` query still uses the handle
        heldByLastPoll?.release()
        rd_kafka_consumer_close(rk)
        rd_kafka_destroy(rk)
        self.rk = nil
    }

    private func handle() throws(KafkaError) -> OpaquePointer {
        guard let rk else { throw KafkaError(RD_KAFKA_RESP_ERR__DESTROY, context: "consumer already closed") }
        return rk
    }
}

/// The client handle carried into `wakeFetcher`'s task: librdkafka's calls are thread-safe,
/// and `close` waits for the task before it frees the handle.
private struct UnsafeSendableHandle: @unchecked Sendable { let rk: OpaquePointer }

private final class WakingFlag: Sendable { let flag = Atomic<Bool>(false) }

/// The caller's rebalance closures; the C callback finds them through the conf opaque.
final class RebalanceHandlers: KafkaClientContext, @unchecked Sendable {
    var onAssign: (([TopicPartition]) -> [TopicPartitionOffset])?
    var onRevoke: (([TopicPartition]) -> Void)?
    /// `KafkaConsumer.pause`'s partitions, here so the callback can lift a moving partition's
    /// pause. Touched only on the polling thread (the callback runs inside `poll`).
    var paused: Set<TopicPartition> = []

    /// Resumes those of `tps` that `pause` stopped and forgets their pause: librdkafka keeps an
    /// application's pause across assignments, so a partition that moves (`assign`, a
    /// rebalance) would come back paused. Per-partition errors do not matter here (one no
    /// longer assigned has nothing to resume).
    func liftPauses(of tps: [TopicPartition], rk: OpaquePointer) {
        guard !paused.isEmpty else { return }
        let lifted = tps.filter { paused.contains($0) }
        guard !lifted.isEmpty else { return }
        PartitionList.with(lifted.map(pauseEntry)) { _ = rd_kafka_resume_partitions(rk, $0) }
        paused.subtract(lifted)
    }
}

/// A partition entry of a pause or resume list (the offset is not read).
private func pauseEntry(_ tp: TopicPartition) -> TopicPartitionOffset {
    TopicPartitionOffset(topic: tp.topic, partition: tp.partition, offset: -1001)
}

/// librdkafka's rebalance callback (`rd_kafka_conf_set_rebalance_cb`). It MUST (un)assign:
/// librdkafka waits for it. `partitions` belongs to librdkafka (not freed here); the list of
/// chosen offsets is ours and destroyed after `rd_kafka_assign` copied it.
private func consumerRebalanceCallback(rk: OpaquePointer?, err: rd_kafka_resp_err_t,
                                       partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
                                       opaque: UnsafeMutableRawPointer?) {
    guard let rk else { return }
    let handlers = opaque.map { Unmanaged<RebalanceHandlers>.fromOpaque($0).takeUnretainedValue() }
    let given = partitions.map { PartitionList.read($0).map(\.topicPartition) } ?? []
    // NULL when no protocol is elected (seen while closing after the session timed out):
    // treat it as eager, which is what a member without a cooperative election uses.
    let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
    handlers?.liftPauses(of: given, rk: rk)
    if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
        let chosen = handlers?.onAssign?(given)
            ?? given.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: -1001) }  // RD_KAFKA_OFFSET_INVALID: committed or auto.offset.reset
        PartitionList.with(chosen) { list in
            if cooperative {
                if let e = rd_kafka_incremental_assign(rk, list) { rd_kafka_error_destroy(e) }
            } else {
                _ = rd_kafka_assign(rk, list)
            }
        }
    } else {
        handlers?.onRevoke?(given)
        if cooperative, let partitions {
            if let e = rd_kafka_incremental_unassign(rk, partitions) { rd_kafka_error_destroy(e) }
        } else {
            _ = rd_kafka_assign(rk, nil)
        }
    }
}
