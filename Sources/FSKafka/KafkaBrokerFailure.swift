/// Why the brokers could not be used, as an operator needs to hear it: a wrong password and a
/// wrong CA look the same as a dead broker from the API (`rd_kafka_metadata` says `_TRANSPORT`),
/// but librdkafka names the cause in its error code (`_AUTHENTICATION`, `_SSL`) or its broker
/// failure log line (`FAIL`/`ERROR` facilities), which is where this is taken from.
public struct KafkaBrokerFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// SASL refused or impossible (bad credentials, mechanism not enabled on the listener).
        case authentication
        /// TLS handshake or certificate problem (CA, hostname, client certificate, plaintext listener).
        case tls
        /// Nothing answered: refused connection, resolve failure, timeout, all brokers down.
        case unreachable
    }

    public var kind: Kind
    /// librdkafka's text (secrets already redacted).
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// From an error code: `_AUTHENTICATION`/`SASL_AUTHENTICATION_FAILED` → authentication,
    /// `_SSL` → tls, a transport-level code → unreachable; anything else nil.
    public init?(_ error: KafkaError) {
        switch error.name {
        case "_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED": kind = .authentication
        case "_SSL": kind = .tls
        case "_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE", "_TIMED_OUT": kind = KafkaBrokerFailure.kind(ofText: error.message)
        default: return nil
        }
        message = error.message
    }

    /// From a librdkafka log line (facility `FAIL` or `ERROR`): SASL/authentication wording →
    /// authentication; SSL/TLS/certificate wording → tls; otherwise unreachable.
    init?(logFacility facility: String, level: Int32, message: String) {
        guard level <= 4, facility == "FAIL" || facility == "ERROR" else { return nil }
        self.kind = KafkaBrokerFailure.kind(ofText: message)
        self.message = message
    }

    /// The kind a librdkafka failure text describes.
    public static func kind(ofText text: String) -> Kind {
        if text.contains("SASL") || text.contains("uthenticat") { return .authentication }
        if text.contains("SSL") || text.contains("TLS") || text.contains("certificate") { return .tls }
        return .unreachable
    }

    public var description: String {
        switch kind {
        case .authentication: return "authentication failed: \(message)"
        case .tls: return "TLS handshake failed (check ssl.ca.location, the certificate and the listener's protocol): \(message)"
        case .unreachable: return "unreachable: \(message)"
        }
    }
}
