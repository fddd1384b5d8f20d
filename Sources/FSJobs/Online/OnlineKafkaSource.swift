import FSCore
import FSKafka
import FSStreams
import Logging

/// The online job's Kafka input (`--kafka-topics`): assigns every partition of the topics from
/// the offsets the output table has committed, polls, and parses messages with the ingest
/// parsers (`EventBatchBuilder`) into batches of the stream's table schema — the same rows
/// fs-ingest would have written, so the features are the same either way.
///
///     committed offsets (output txns) ──► assign p @ last + 1 (earliest when none)
///     poll ──► EventBatchBuilder ──► rows (stream schema, fs_topic/fs_partition/fs_offset)
///                                └─► malformed: QuarantineBuffer rows (fs-ingest's quarantine
///                                    schema), minus offsets the quarantine table already holds
///     available-now: stops at the high watermarks seen at start
final class OnlineKafkaSource {
    let input: OnlineKafkaInput
    let logger: Logger
    private let consumer: KafkaConsumer
    private var builder: EventBatchBuilder
    /// Per partition: the next offset to read and the end seen at start (available-now stops there).
    private(set) var cursors: [TopicPartition: PartitionCursor] = [:]
    private let availableNow: Bool
    /// Messages the parser refused, per run.
    private(set) var quarantined = 0
    /// The refused messages of the micro-batch being read.
    private var quarantine = QuarantineBuffer()
    /// Per partition, the last offset the quarantine table holds: a run that died between the
    /// quarantine and the output commit re-reads those messages and must not add them twice.
    private(set) var quarantineDone: [TopicPartition: Int64]

    /// - Parameters:
    ///   - committed: per partition, the last offset the committed output includes.
    ///   - quarantined: per partition, the last offset the quarantine table's commits include.
    init(input: OnlineKafkaInput, committed: [TopicPartition: Int64], quarantined: [TopicPartition: Int64], availableNow: Bool,
         groupId: String, logger: Logger, clock: any WallClock = SystemWallClock()) throws {
        self.input = input
        quarantineDone = quarantined
        self.availableNow = availableNow
        self.logger = logger
        builder = EventBatchBuilder(streamType: input.streamType)
        consumer = try KafkaConsumer(config: KafkaConsumerConfig(
            bootstrapServers: input.brokers, groupId: groupId, clientId: "fs-agg-online",
            extra: ["enable.partition.eof": "true", "auto.offset.reset": "earliest", "enable.auto.commit": "false"],
            settings: input.client.settings, hooks: input.client.hooks(logger: logger)))
        input.client.logStart(logger)
        // Unreachable brokers are retried, as fs-ingest does, up to --max-retry-duration; a
        // refused login or TLS handshake will not heal by itself and ends the run at once.
        let consumer = consumer
        let retry = BrokerRetry(maxDuration: input.maxRetryDuration, clock: clock)
        let since = clock.nowMicros()
        // Each attempt waits at most 5 s for a broker (as fs-ingest's), and at most half the
        // budget, so a short budget still sees a retry before it gives up.
        let attempt: Duration = input.maxRetryDuration.map { min(.seconds(5), $0 / 2) } ?? .seconds(5)
        func retrying<T>(_ what: String, _ body: () throws(KafkaError) -> T) throws -> T {
            try retry.run(since: since, onFailure: { error, backoff in
                if let failure = consumer.lastBrokerFailure, failure.kind != .unreachable { throw OnlineKafkaError.brokerUnusable(failure) }
                logger.warning("\(BrokerRetry.failureLine(what, error, backoffMillis: backoff))")
            }, giveUp: { seconds, error in
                OnlineKafkaError.gaveUp(brokers: input.brokers, seconds: seconds, lastError: consumer.lastBrokerFailure?.description ?? "unreachable: \(error.description)")
            }, body)
        }
        let starts: KafkaStartPositions
        do {
            starts = try KafkaStartPositions(
                topics: input.topics, committed: { committed[$0] }, otherwise: .earliest, skipCaughtUp: availableNow,
                partitions: { topic in try retrying("partitions of \(topic)") { () throws(KafkaError) in try consumer.partitions(topic: topic, timeout: attempt) } },
                watermarks: { tp in try retrying("watermarks of \(tp)") { () throws(KafkaError) in try consumer.watermarks(tp, timeout: attempt) } },
                logger: logger)
        } catch let e as OnlineKafkaError {
            throw e
        } catch {
            // The metadata calls only say _TRANSPORT: name what librdkafka saw (authentication,
            // TLS or unreachable) when it saw something.
            if let failure = consumer.lastBrokerFailure { throw OnlineKafkaError.brokerUnusable(failure) }
            throw error
        }
        cursors = starts.cursors
        if !starts.assignment.isEmpty { try consumer.assign(starts.assignment) }
        logger.info("kafka: \(starts.assignment.count) of \(cursors.count) partitions assigned", metadata: [
            "topics": "\(input.topics.joined(separator: ","))", "lost_to_retention": "\(starts.lostMessages)",
        ])
    }

    deinit { consumer.close() }

    /// available-now: every partition reached the end seen at start.
    var isCaughtUp: Bool { cursors.values.allSatisfy(\.isCaughtUp) }

    /// Reads one micro-batch: messages until `maxOffsetsPerTrigger`, the end (available-now), a
    /// stop signal, or `waitMicros` without a message. Returns the rows (stream schema), the
    /// refused messages not yet in the quarantine table (`QuarantineBuffer.schema`) and, per
    /// partition read, the last offset consumed; nil when nothing was consumed.
    func readMicroBatch(waitMicros: Int64, nowMicros: () -> Int64) throws -> OnlineKafkaBatch? {
        var last: [TopicPartition: Int64] = [:]
        var consumed = 0
        let started = nowMicros()
        while consumed < input.maxOffsetsPerTrigger {
            if StopSignal.pending != nil { break }
            if availableNow && isCaughtUp { break }
            if consumed > 0 && !availableNow && nowMicros() - started >= waitMicros { break }
            if consumed == 0 && nowMicros() - started >= waitMicros { break }
            let batch = try consumer.poll(maxMessages: min(10_000, input.maxOffsetsPerTrigger - consumed), timeout: .milliseconds(100))
            for e in batch.errors {
                if e.isFatal { throw e }
                // fs-agg-online has no retry budget for the brokers: a refused login or TLS
                // handshake will not heal by itself, so it ends the run (exit 69) naming the cause
                // instead of retrying forever; a transport error is retried.
                if let failure = KafkaBrokerFailure(e), failure.kind != .unreachable { throw OnlineKafkaError.brokerUnusable(failure) }
                logger.warning("kafka: \(e.description) (retrying)")
            }
            for i in 0..<batch.count {
                let tp = TopicPartition(topic: batch.topic(i), partition: batch.partition(i))
                let offset = batch.offset(i)
                guard cursors[tp]?.accept(offset) ?? false else { continue }  // re-delivered (already read), or not ours
                last[tp] = offset
                consumed += 1
                let outcome = batch.withKey(i) { key in
                    batch.withValue(i) { value in builder.append(key: key, value: value, topic: tp.topic, partition: tp.partition, offset: offset) }
                }
                if case .quarantined(let reason) = outcome {
                    quarantined += 1
                    logger.debug("kafka \(tp)@\(offset) not parsed: \(reason)")
                    if let done = quarantineDone[tp], offset <= done { continue }
                    batch.withKey(i) { key in
                        batch.withValue(i) { value in
                            quarantine.append(key: key, value: value, topic: tp.topic, partition: tp.partition, offset: offset,
                                              timestampMillis: batch.timestampMillis(i), reason: reason)
                        }
                    }
                }
            }
            for e in batch.reachedEnd { cursors[e.topicPartition]?.reachEnd(at: e.offset) }
        }
        guard consumed > 0 else { return nil }
        let now = nowMicros()
        return OnlineKafkaBatch(rows: builder.finish(ingestionMicros: now),
                                quarantine: quarantine.rowCount > 0 ? quarantine.finish(ingestionMicros: now) : nil, last: last)
    }

    /// The quarantine table now holds every refused message up to `last` (its commit succeeded).
    func quarantineCommitted(_ last: [TopicPartition: Int64]) {
        for (tp, offset) in last { quarantineDone[tp] = max(quarantineDone[tp] ?? offset, offset) }
    }
}

/// One micro-batch of the Kafka input.
struct OnlineKafkaBatch {
    /// The parsed messages, stream schema.
    var rows: RecordBatch
    /// The refused messages not yet in the quarantine table; nil when there are none.
    var quarantine: RecordBatch?
    /// Per partition read, the last offset consumed.
    var last: [TopicPartition: Int64]
}

/// Why the online job's Kafka input stopped.
enum OnlineKafkaError: CategorizedError {
    /// The brokers refused the client (authentication, TLS) or could not be reached, as
    /// librdkafka reported it.
    case brokerUnusable(KafkaBrokerFailure)
    /// The brokers stayed unreachable for `--max-retry-duration`.
    case gaveUp(brokers: String, seconds: Int64, lastError: String)

    var exitStatus: ExitStatus { .unavailable }
    var description: String {
        switch self {
        case .brokerUnusable(let f): return "--kafka-brokers: \(f)"
        case .gaveUp(let b, let s, let e): return "--kafka-brokers \(b): \(e) (gave up after \(s) s, --max-retry-duration)"
        }
    }
}
