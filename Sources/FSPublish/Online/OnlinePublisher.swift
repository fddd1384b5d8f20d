import FSCore
import FSJobs
import FSTable
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What an online-store publish run did; printed as the `--summary` JSON and asserted by tests.
public struct OnlinePublishSummary: Sendable, Equatable {
    public var publisherType: String
    public var outputTable: String
    /// The source version the store holds at exit (nil: nothing published yet).
    public var sourceVersion: Int64?
    public var previouslyPublished: Int64?
    /// Publish cycles that brought the store to a new source version.
    public var versionsPublished = 0
    public var rowsRead = 0
    public var keysUpserted = 0
    public var rowsSkippedAsOlder = 0
    public var nullKeysSkipped = 0
    /// Rows whose time column was NULL (or NaN): they cannot be ordered and are not published.
    public var nullTimesSkipped = 0
    public var seconds = 0.0
    /// True when SIGTERM/SIGINT ended the run (after committing the batch in flight).
    public var stoppedBySignal = false

    public var json: JSONValue {
        .object([
            ("job", .string("fs-publish")), ("publisherType", .string(publisherType)), ("outputTable", .string(outputTable)),
            ("sourceVersion", sourceVersion.map(JSONValue.int) ?? .null), ("previouslyPublished", previouslyPublished.map(JSONValue.int) ?? .null),
            ("versionsPublished", .int(Int64(versionsPublished))), ("rowsRead", .int(Int64(rowsRead))),
            ("keysUpserted", .int(Int64(keysUpserted))), ("rowsSkippedAsOlder", .int(Int64(rowsSkippedAsOlder))),
            ("nullKeysSkipped", .int(Int64(nullKeysSkipped))), ("nullTimesSkipped", .int(Int64(nullTimesSkipped))),
            ("seconds", .double((seconds * 1000).rounded() / 1000)), ("stoppedBySignal", .bool(stoppedBySignal)),
        ])
    }
}

/// The job loop of the online-store targets: read what is new in the input, reduce it to the
/// newest row per key, write it in bounded transactions, the last one recording the version.
///
/// ```
///  store.publishedVersion() = p          input snapshot = v
///  p == v ─► nothing (follow: sleep --trigger-interval, poll again)
///  p <  v ─► ChangeReader(p → v) ─► LatestPerKey (ParallelReduction) ─► publish(batch₁, nil) … publish(batchₙ, v)
///  store unreachable ─► close, back off (0.5 s doubling to 10 s), retry the cycle; exit 69 after
///                      --max-retry-duration
/// ```
/// Every cycle starts from the version the store holds, so a retried, interrupted or killed
/// cycle is simply redone: rows it had written already are skipped by the time guard.
public final class OnlinePublisher {
    public let config: PublishConfig
    let logger: Logger
    let makeTarget: () throws -> any PublishTarget
    /// Polled between transactions and while waiting: true ends the run cleanly.
    let shouldStop: () -> Bool

    public convenience init(config: PublishConfig, logger: Logger = Logger(label: "fs-publish"), shouldStop: @escaping () -> Bool = { false }) {
        self.init(config: config, logger: logger, shouldStop: shouldStop) {
            guard let t = try config.publisherType.makeTarget(config) else { preconditionFailure("\(config.publisherType) is not an online store") }
            return t
        }
    }

    init(config: PublishConfig, logger: Logger, shouldStop: @escaping () -> Bool, makeTarget: @escaping () throws -> any PublishTarget) {
        self.config = config
        self.logger = logger
        self.shouldStop = shouldStop
        self.makeTarget = makeTarget
    }

    public func run() throws -> OnlinePublishSummary {
        let started = monotonicSeconds()
        var summary = OnlinePublishSummary(publisherType: config.publisherType.rawValue, outputTable: config.outputTable)
        if try !DeltaTable.exists(at: config.inputTable) {
            // A follower started with the pipeline (run-all.sh) may come before the first
            // commit of its input: it waits for it. A one-shot run has nothing to publish.
            guard config.follow else { throw UsageError.publishInputMissing(config.inputTable) }
            logger.notice("waiting for the input table to be created", metadata: ["input": "\(config.inputTable)"])
            while try !DeltaTable.exists(at: config.inputTable) {
                if !sleep(seconds: triggerSeconds) {
                    summary.stoppedBySignal = true
                    summary.seconds = monotonicSeconds() - started
                    return summary
                }
            }
        }
        var target: (any PublishTarget)? = nil
        var prepared: PublishLayout? = nil
        var firstCycle = true
        var inputVersion: Int64? = nil
        var failingSince: Double? = nil
        var backoff = 0.5
        defer { target?.close() }
        while !shouldStop() {
            do {
                let t: any PublishTarget
                if let target { t = target } else {
                    t = try makeTarget()
                    target = t
                    prepared = nil
                }
                let snapshot = try DeltaTable.open(at: config.inputTable).snapshot()
                let source = try PublishSource.resolve(snapshot, config: config)
                // A store seen for the first time in this run: read ahead while it answers.
                let speculation = prepared != source.layout && t.readsAheadOfState
                    ? SpeculativeReduction(snapshot: snapshot, source: source, threads: config.common.masterMode.threads) : nil
                defer { speculation?.cancel() }
                if prepared != source.layout {
                    try t.prepare(source.layout)
                    prepared = source.layout
                    logger.info("store ready", metadata: [
                        "output": "\(config.outputTable)", "keys": "\(source.layout.keyColumns.map(\.name).joined(separator: ","))",
                        "time": "\(source.layout.timeColumn.name)", "features": "\(source.layout.featureColumns.count)",
                    ])
                }
                let published = try t.publishedVersion()
                if firstCycle {
                    summary.previouslyPublished = published
                    summary.sourceVersion = published
                    firstCycle = false
                }
                if let p = published, p > snapshot.version {
                    throw PublishError.sourceRewound(input: config.inputTable, published: p, current: snapshot.version)
                }
                inputVersion = snapshot.version
                if published != snapshot.version {
                    let reduced = published == SpeculativeReduction.assumedPublished ? try speculation?.take() : nil
                    let completed = try publishCycle(snapshot: snapshot, source: source, published: published, target: t,
                                                     reduced: reduced, summary: &summary)
                    if !completed { break }
                }
                writeMetrics(summary, inputVersion: inputVersion)
                failingSince = nil
                backoff = 0.5
            } catch let e as CategorizedError where e.exitStatus == .unavailable {
                // A refused password stays refused: exit 69 now, with the server's reason.
                if let store = e as? StoreError, case .authenticationFailed = store { throw e }
                // So does a client library that is not installed.
                if let store = e as? StoreError, case .clientLibraryMissing = store { throw e }
                let now = monotonicSeconds()
                let since = failingSince ?? now
                failingSince = since
                let limit = Double(config.maxRetryDuration.components.seconds)
                if now - since >= limit {
                    logger.error("store still unavailable after \(formatSecs(now - since)) s (--max-retry-duration); giving up")
                    throw e
                }
                logger.warning("store unavailable, retrying in \(backoff) s: \(e.description)")
                target?.close()
                target = nil
                if !sleep(seconds: backoff) { break }
                backoff = min(backoff * 2, 10)
                continue
            }
            if !config.follow { break }
            if !sleep(seconds: triggerSeconds) { break }
        }
        summary.stoppedBySignal = shouldStop()
        summary.seconds = monotonicSeconds() - started
        writeMetrics(summary, inputVersion: inputVersion)
        return summary
    }

    /// Publishes source versions (published, snapshot.version]; false when a stop request
    /// ended it between two transactions (the version is then not recorded). `reduced`: that
    /// change already read and reduced (by a `SpeculativeReduction` that assumed `published`).
    func publishCycle(snapshot: Snapshot, source: PublishSource, published: Int64?, target: any PublishTarget,
                      reduced: SpeculativeReduction.Reduced? = nil, summary: inout OnlinePublishSummary) throws -> Bool {
        let started = reduced?.startedAt ?? monotonicSeconds()
        let reader: ChangeReader
        var reducer: LatestPerKey
        if let reduced {
            (reader, reducer) = (reduced.reader, reduced.reducer)
        } else {
            reader = ChangeReader(snapshot: snapshot, published: published)
            reducer = try ParallelReduction.reduce(reader, source: source, threads: config.common.masterMode.threads)
        }
        let rows = reducer.finish()
        summary.rowsRead += reducer.rowsRead
        summary.nullKeysSkipped += reducer.nullKeyRows
        summary.nullTimesSkipped += reducer.nullTimeRows
        if reducer.nullKeyRows > 0 || reducer.nullTimeRows > 0 {
            logger.warning("rows skipped: a NULL key or time cannot be published", metadata: [
                "null_keys": "\(reducer.nullKeyRows)", "null_times": "\(reducer.nullTimeRows)", "source_version": "\(snapshot.version)",
            ])
        }
        var upserted = 0, skipped = 0
        var start = 0
        repeat {
            let end = min(start + config.batchRows, rows.rowCount)
            let isLast = end == rows.rowCount
            let chunk = start == 0 && isLast ? rows : rows.gather(Array(start..<end))
            let counts = try target.publish(chunk, recordingVersion: isLast ? snapshot.version : nil)
            upserted += counts.upserted
            skipped += counts.skippedAsOlder
            start = end
            if !isLast && shouldStop() {
                summary.keysUpserted += upserted
                summary.rowsSkippedAsOlder += skipped
                logger.notice("stopping before source version \(snapshot.version) is complete; a re-run finishes it", metadata: ["rows_written": "\(start)"])
                return false
            }
        } while start < rows.rowCount
        summary.keysUpserted += upserted
        summary.rowsSkippedAsOlder += skipped
        summary.versionsPublished += 1
        summary.sourceVersion = snapshot.version
        let finished = monotonicSeconds()
        var rate = ProgressRate(startMicros: Int64(started * 1e6))
        logger.info("published", metadata: [
            "mode": "\(reader.plan.mode.rawValue)", "source_version": "\(snapshot.version)", "previously": "\(published.map(String.init) ?? "none")",
            "files_read": "\(reader.paths.count)", "rows_read": "\(reducer.rowsRead)", "keys": "\(rows.rowCount)",
            "upserted": "\(upserted)", "skipped_as_older": "\(skipped)", "seconds": "\(formatSecs(finished - started))",
            "rows_per_s": "\(rate.perSecond(count: Int64(reducer.rowsRead), nowMicros: Int64(finished * 1e6)))",
        ])
        return true
    }

    var triggerSeconds: Double {
        Double(config.triggerInterval.components.seconds) + Double(config.triggerInterval.components.attoseconds) / 1e18
    }

    /// Sleeps in short steps so a stop request is seen within 50 ms; false when stopped.
    /// Rewrites `--metrics-file` (a failure is logged, never fatal).
    func writeMetrics(_ summary: OnlinePublishSummary, inputVersion: Int64?) {
        guard let path = config.metricsFile else { return }
        do { try MetricsFile(path: path).write(PublishMetrics(summary: summary, inputVersion: inputVersion).families) } catch {
            logger.warning("--metrics-file: \(error)")
        }
    }

    func sleep(seconds: Double) -> Bool {
        let end = monotonicSeconds() + seconds
        while monotonicSeconds() < end {
            if shouldStop() { return false }
            usleep(UInt32(min(50_000, max(1_000, (end - monotonicSeconds()) * 1_000_000))))
        }
        return !shouldStop()
    }
}

/// Seconds with three decimals, for log lines.
func formatSecs(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}
