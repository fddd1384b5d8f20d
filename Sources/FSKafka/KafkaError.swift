import CRdKafka
import FSCore

/// A librdkafka failure, translated in this one file from `rd_kafka_resp_err_t`.
///
/// Callers decide what to do from two flags instead of code lists: `isRetriable` (the broker or
/// the network may come back: retry with backoff, then exit 69) and `isFatal` (the client
/// instance is unusable: stop). `exitStatus` maps the category for `JobRunner`: transport and
/// broker-side unavailability → 69, a bad configuration value → 64, anything else (misuse,
/// protocol violations, invariants) → 70.
public struct KafkaError: CategorizedError, Equatable {
    /// The `rd_kafka_resp_err_t` value (negative: client-side `RD_KAFKA_RESP_ERR__*`; positive: broker codes).
    public var code: Int32
    /// librdkafka's symbolic name, e.g. `_TRANSPORT`, `UNKNOWN_TOPIC_OR_PART` (`rd_kafka_err2name`).
    public var name: String
    /// What we were doing, then librdkafka's text (`rd_kafka_err2str`) or its `errstr`.
    public var message: String
    /// A later attempt may succeed without changing anything (broker down, leader moving, timeout).
    public var isRetriable: Bool
    /// The client instance cannot continue (`RD_KAFKA_RESP_ERR__FATAL`, authorization, fencing).
    public var isFatal: Bool
    /// The exit code a job ends with when it gives up on this error.
    public var exitStatus: ExitStatus

    /// Translates a response code; `context` says which operation failed ("produce to de-order-events").
    init(_ err: rd_kafka_resp_err_t, context: String, detail: String? = nil) {
        code = err.rawValue
        name = String(cString: rd_kafka_err2name(err))
        let text = detail ?? String(cString: rd_kafka_err2str(err))
        message = "\(context): \(text)"
        isFatal = KafkaError.fatalCodes.contains(err.rawValue)
        isRetriable = !isFatal && KafkaError.retriableCodes.contains(err.rawValue)
        if isRetriable {
            exitStatus = .unavailable
        } else if err.rawValue == RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue {
            exitStatus = .usage
        } else if err.rawValue == RD_KAFKA_RESP_ERR__AUTHENTICATION.rawValue || err.rawValue == RD_KAFKA_RESP_ERR__SSL.rawValue
                    || err.rawValue == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED.rawValue {
            exitStatus = .unavailable
        } else {
            exitStatus = .software
        }
    }

    /// A rejected configuration property (`rd_kafka_conf_set` returned `RD_KAFKA_CONF_INVALID` or
    /// `RD_KAFKA_CONF_UNKNOWN`): a usage error naming the property.
    static func configuration(property: String, detail: String) -> KafkaError {
        KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, context: "configuration property '\(property)'", detail: detail)
    }

    /// A wait that ran out (`_TIMED_OUT`, retriable): `context` says what was awaited.
    public static func timedOut(context: String) -> KafkaError { KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: context) }

    /// Translates an `rd_kafka_error_t` (the newer error object) and frees it (`rd_kafka_error_destroy`).
    static func consuming(_ error: OpaquePointer, context: String) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        var e = KafkaError(rd_kafka_error_code(error), context: context, detail: String(cString: rd_kafka_error_string(error)))
        if rd_kafka_error_is_fatal(error) != 0 { e.isFatal = true; e.isRetriable = false; e.exitStatus = .software }
        if rd_kafka_error_is_retriable(error) != 0 && !e.isFatal { e.isRetriable = true; e.exitStatus = .unavailable }
        return e
    }

    /// The instance's fatal error (`rd_kafka_fatal_error`), if one was raised; nil otherwise.
    static func fatal(of rk: OpaquePointer) -> KafkaError? {
        var buffer = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(rk, &buffer, buffer.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        var e = KafkaError(err, context: "fatal client error", detail: text(ofErrorBuffer: buffer))
        e.isFatal = true
        e.isRetriable = false
        e.exitStatus = .software
        return e
    }

    public var description: String { "kafka \(name) (\(code)): \(message)" }

    /// Codes after which the same call may succeed later: the cluster is (temporarily) unreachable
    /// or reorganising. Topic-not-found is here too: a topic may be created after we start.
    private static let retriableCodes: Set<Int32> = Set([
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
        RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__NODE_UPDATE,
        RD_KAFKA_RESP_ERR__IN_PROGRESS, RD_KAFKA_RESP_ERR__RETRY, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
        // A refused login or TLS handshake: librdkafka keeps reconnecting, and credentials or
        // certificates may be fixed on the broker side; a job gives up after its retry budget
        // and names the cause (`KafkaBrokerFailure`).
        RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, RD_KAFKA_RESP_ERR__SSL,
    ].map(\.rawValue))

    /// Codes after which the client instance must not be used again.
    private static let fatalCodes: Set<Int32> = Set([
        RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR__DESTROY,
    ].map(\.rawValue))
}
