import FSCore
import FSKafka
import FSStreams
import FSTable
import Logging

/// Broker health (retries, the retry budget), watermarks, progress lines and `--metrics-file`.
extension IngestJob {
    /// Rewrites `--metrics-file` from the summary so far (a failure is logged, not fatal: metrics
    /// must never stop the stream).
    func writeMetrics() {
        guard let path = config.metricsFile else { return }
        let times = chunks.writerTimes
        let metrics = IngestMetrics(
            summary: summary, commitSeconds: times.dataCommit + times.quarantineCommit,
            positions: partitions.map { IngestMetrics.Position(topicPartition: $0.key, next: $0.value.cursor.next, high: $0.value.cursor.high) },
            lastCommitMicros: lastCommitMicros)
        do { try MetricsFile(path: path).write(metrics.families) } catch {
            if !metricsFailureLogged { logger.warning("--metrics-file: \(error)") }
            metricsFailureLogged = true
        }
    }


    /// The phase seconds as log metadata (the closing "phases" line).
    func phaseMetadata(_ p: IngestPhases) -> Logger.Metadata {
        guard case .object(let fields) = p.json else { return [:] }
        var m: Logger.Metadata = [:]
        for (k, v) in fields { m[k] = "\(v)" }
        return m
    }

    /// Logs poll errors; fails after `--max-retry-duration` without any message.
    func noteErrors(_ batch: MessageBatch) throws {
        let now = clock.nowMicros()
        if batch.count > 0 || !batch.reachedEnd.isEmpty { unavailableSince = nil }
        guard !batch.errors.isEmpty else { return }
        for e in batch.errors {
            let text = e.description
            if text != lastKafkaError { logger.warning("kafka: \(text) (retrying)") }
            lastKafkaError = text
            if e.isFatal { throw e }
        }
        if unavailableSince == nil { unavailableSince = now }
        try checkRetryBudget(now: now)
    }

    private func checkRetryBudget(now: Int64) throws {
        guard let since = unavailableSince, let limit = config.maxRetryDuration else { return }
        let c = limit.components
        let limitMicros = c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
        if now - since >= limitMicros {
            let failure = consumer?.lastBrokerFailure ?? probe?.lastBrokerFailure
            throw IngestError.brokerUnavailable(brokers: config.brokers, seconds: (now - since) / 1_000_000,
                                                lastError: failure?.description ?? "unreachable: \(lastKafkaError)")
        }
    }

    /// Runs a metadata request until it succeeds, with `BrokerRetry`'s backoff (0.1 s … 5 s, the
    /// same as fs-agg-online's) and a log line per failure, up to `--max-retry-duration`.
    func retrying<T>(_ what: String, _ body: () throws(KafkaError) -> T) throws -> T {
        let since = clock.nowMicros()
        let value = try BrokerRetry(maxDuration: config.maxRetryDuration, clock: clock).run(since: since, onFailure: { error, backoff in
            lastKafkaError = error.description
            unavailableSince = since
            logger.warning("\(BrokerRetry.failureLine(what, error, backoffMillis: backoff))")
        }, giveUp: { seconds, error in
            let failure = consumer?.lastBrokerFailure ?? probe?.lastBrokerFailure
            return IngestError.brokerUnavailable(brokers: config.brokers, seconds: seconds, lastError: failure?.description ?? "unreachable: \(error.description)")
        }, body)
        unavailableSince = nil
        return value
    }

    func refreshWatermarksIfDue() {
        let now = clock.nowMicros()
        guard !config.availableNow, now - lastWatermarkMicros >= 10_000_000 else { return }
        lastWatermarkMicros = now
        for tp in partitions.keys {
            if let m = try? consumer.watermarks(tp, timeout: .milliseconds(500)) { partitions[tp]?.cursor.high = m.high }
        }
    }

    func logProgress(force: Bool) {
        let now = clock.nowMicros()
        guard force || now - lastProgressMicros >= 5_000_000 else { return }
        let rate = progressRate.perSecond(count: Int64(summary.rows), nowMicros: now)
        lastProgressMicros = now
        logger.info("progress", metadata: [
            "rows": "\(summary.rows)", "rows_per_s": "\(rate)", "lag": "\(lag)", "quarantined": "\(summary.quarantined)",
            "duplicates": "\(summary.duplicates)", "batches": "\(summary.batches)", "partitions": "\(partitions.count)",
        ])
    }
}

/// Sleeps the calling thread (the ingest loop is synchronous by design: one consumer, one thread).
func sleepMillis(_ ms: Int64) {
    var ts = timespec(tv_sec: Int(ms / 1000), tv_nsec: Int((ms % 1000) * 1_000_000))
    nanosleep(&ts, nil)
}

#if canImport(Glibc)
import Glibc
#endif
