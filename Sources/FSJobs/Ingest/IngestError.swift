import FSCore

/// Why an ingest run stops; each names what to check.
public enum IngestError: CategorizedError, Equatable {
    /// The brokers stayed unusable for `--max-retry-duration`; `lastError` says why (authentication,
    /// TLS or unreachable, from `KafkaBrokerFailure`) when librdkafka named it.
    case brokerUnavailable(brokers: String, seconds: Int64, lastError: String)
    /// Another writer committed offsets of a partition this process was consuming.
    case concurrentWriter(table: String, appId: String, theirs: Int64, ours: Int64)

    public var exitStatus: ExitStatus {
        switch self {
        case .brokerUnavailable: return .unavailable
        case .concurrentWriter: return .software
        }
    }

    public var description: String {
        switch self {
        case .brokerUnavailable(let b, let s, let e):
            return "--kafka-brokers \(b): \(e) (gave up after \(s) s, --max-retry-duration)"
        case .concurrentWriter(let t, let a, let theirs, let ours):
            return "\(t): another writer committed \(a) up to offset \(theirs) while this process consumed it up to \(ours); two ingest processes must not share a partition outside one consumer group"
        }
    }
}
