import CRdKafka
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where a client's librdkafka log lines and statistics go.
///
/// librdkafka logs from its own threads; without a callback it prints to stderr itself, where fs
/// could not redact secrets. Every client fs creates therefore installs a log callback
/// (`rd_kafka_conf_set_log_cb`) that replaces the settings' secret values before `log` sees a
/// line — at every level, including `debug=all`. Statistics (`statistics.interval.ms`, the JSON
/// of librdkafka's STATISTICS.md) arrive inside `poll` on the polling thread.
public struct KafkaClientHooks: Sendable {
    /// One log line: syslog level (0 emergency … 7 debug), librdkafka's facility, the text
    /// (secrets already replaced by `[redacted]`). nil: written to stderr as `rdkafka <FAC>: text`.
    public var log: (@Sendable (_ level: Int32, _ facility: String, _ message: String) -> Void)?
    /// One statistics JSON document (secrets replaced as for logs).
    public var statistics: (@Sendable (_ json: String) -> Void)?

    public init(log: (@Sendable (Int32, String, String) -> Void)? = nil, statistics: (@Sendable (String) -> Void)? = nil) {
        self.log = log
        self.statistics = statistics
    }
}

/// What a client's C callbacks reach through the conf opaque: the hooks and the secrets to hide.
/// Subclassed by the consumer's rebalance handlers and the producer's delivery reports (one
/// opaque per client). Retained by the client object, which outlives its `rd_kafka_t`.
class KafkaClientContext: @unchecked Sendable {
    let hooks: KafkaClientHooks
    let secrets: [String]
    /// The last broker failure librdkafka reported (log line or error event), for messages.
    private let failure = Mutex<KafkaBrokerFailure?>(nil)

    /// The last broker failure seen, nil while none was.
    var lastFailure: KafkaBrokerFailure? { failure.withLock { $0 } }

    /// Records a failure taken from an error event (`consumer.poll`'s errors).
    func record(_ error: KafkaError) {
        if let f = KafkaBrokerFailure(error) { failure.withLock { $0 = f } }
    }

    init(hooks: KafkaClientHooks, secrets: [String]) {
        self.hooks = hooks
        self.secrets = secrets
    }

    /// Installs the log and statistics callbacks on `conf` and makes `self` its opaque.
    /// The log callback is served from librdkafka's threads (`log.queue` stays false).
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        rd_kafka_conf_set_stats_cb(conf, kafkaStatisticsCallback)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
    }

    func emitLog(level: Int32, facility: String, message: String) {
        let text = KafkaClientSettings.redact(message, secrets: secrets)
        if let f = KafkaBrokerFailure(logFacility: facility, level: level, message: text) { failure.withLock { $0 = f } }
        if let log = hooks.log {
            log(level, facility, text)
        } else {
            let line = Array("rdkafka \(facility): \(text)\n".utf8)
            line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
        }
    }
}

/// `rd_kafka_conf_set_log_cb`: `fac` and `buf` belong to librdkafka and are copied here.
private func kafkaLogCallback(rk: OpaquePointer?, level: Int32, fac: UnsafePointer<CChar>?, buf: UnsafePointer<CChar>?) {
    let facility = fac.map { String(cString: $0) } ?? ""
    let message = buf.map { String(cString: $0) } ?? ""
    guard let rk, let opaque = rd_kafka_opaque(rk) else {
        // No context yet: print nothing rather than risk an unredacted line.
        return
    }
    Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue().emitLog(level: level, facility: facility, message: message)
}

/// `rd_kafka_conf_set_stats_cb`: returning 0 lets librdkafka free `json`.
private func kafkaStatisticsCallback(rk: OpaquePointer?, json: UnsafeMutablePointer<CChar>?, length: Int, opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque, let json else { return 0 }
    let context = Unmanaged<KafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    guard let sink = context.hooks.statistics else { return 0 }
    let text = UnsafeRawBufferPointer(start: json, count: length)
    sink(KafkaClientSettings.redact(String(decoding: text, as: UTF8.self), secrets: context.secrets))
    return 0
}
