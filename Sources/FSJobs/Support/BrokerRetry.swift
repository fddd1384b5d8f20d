import FSCore
import FSKafka

/// How a job retries a Kafka request while the brokers cannot be reached: exponential backoff
/// (0.1 s doubling to 5 s) with a warning per failure, until the request succeeds or the brokers
/// have been unusable for `--max-retry-duration` (nil: forever, the default of fs-ingest and
/// fs-agg-online alike).
///
/// A fatal error, or a pending stop signal, ends the retries at once with the request's own
/// error; exhausting the budget throws whatever `giveUp` makes of the seconds waited, so each
/// job keeps its own message (both name `--kafka-brokers` and exit 69).
struct BrokerRetry {
    /// Longest time the brokers may stay unusable; nil: retry forever.
    var maxDuration: Duration?
    var clock: any WallClock
    static let initialBackoffMillis: Int64 = 100
    static let maxBackoffMillis: Int64 = 5_000

    /// The budget in microseconds, nil when unlimited.
    var maxMicros: Int64? {
        maxDuration.map { let c = $0.components; return c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000 }
    }

    /// The warning logged for a failed attempt of `what`, the same in both jobs' logs: the
    /// error, then the backoff before the next attempt or that the budget is spent.
    static func failureLine(_ what: String, _ error: KafkaError, backoffMillis: Int64?) -> String {
        "kafka: \(what) failed: \(error.description); \(backoffMillis.map { "retrying in \($0) ms" } ?? "not retrying: --max-retry-duration is spent")"
    }

    /// Runs `body` until it succeeds. `onFailure` sees every retriable error (to log it, or to
    /// throw when the job knows it will not heal) with the backoff before the next attempt, nil
    /// when the budget is spent and no attempt follows; `giveUp` receives the seconds the brokers have been
    /// unusable and returns the error to throw.
    func run<T>(since: Int64? = nil, onFailure: (KafkaError, Int64?) throws -> Void, giveUp: (Int64, KafkaError) -> Error,
                _ body: () throws(KafkaError) -> T) throws -> T {
        var backoffMillis = BrokerRetry.initialBackoffMillis
        let start = since ?? clock.nowMicros()
        while true {
            do {
                return try body()
            } catch {
                if error.isFatal { throw error }
                let waited = clock.nowMicros() - start
                let isSpent = maxMicros.map { waited >= $0 } ?? false
                try onFailure(error, isSpent ? nil : backoffMillis)
                if isSpent { throw giveUp(waited / 1_000_000, error) }
                if StopSignal.pending != nil { throw error }
                sleepMillis(backoffMillis)
                backoffMillis = min(backoffMillis * 2, BrokerRetry.maxBackoffMillis)
            }
        }
    }
}
