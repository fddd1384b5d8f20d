import ArgumentParser
import FSCore
import FSKafka
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Kafka client settings, the way Kafka users already pass them: `--kafka-config FILE` (the Java
/// properties file Kafka's own tools take with `--consumer.config`/`--producer.config`) and
/// repeatable `-X key=value` (as kcat takes them), applied after the file. One option group for
/// every job that talks to Kafka (fs-ingest, fs-agg-online, fs-sandbox produce, the Kafka publisher).
///
/// `-X` is a one-letter flag, so `LegacyArguments`' single-dash rewriting (names longer than one
/// letter only) leaves it alone; `-Xkey=value` (joined, as kcat allows) works too.
public struct KafkaClientOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("kafka-config"), help: ArgumentHelp(
        "Java properties file of librdkafka settings (security.protocol, sasl.*, ssl.*, client.id, …).",
        valueName: "file"))
    public var kafkaConfig: String?

    @Option(name: .customShort("X", allowingJoined: true), help: ArgumentHelp(
        "librdkafka setting key=value (repeatable), applied after --kafka-config.", valueName: "key=value"))
    public var properties: [String] = []

    public init() {}

    /// Reads the file, applies `-X`, refuses fs's own properties and checks every property with
    /// librdkafka — all before any work starts, so a bad setting is a usage error (exit 64).
    public func resolve(role: KafkaClientRole) throws(UsageError) -> KafkaClientConfig {
        var settings = KafkaClientSettings()
        var warnings: [String] = []
        if let path = kafkaConfig {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path) } catch {
                throw UsageError(flag: "--kafka-config", message: "cannot read \(path): \(error)")
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do { try settings.apply(propertiesText: text, file: path) } catch {
                throw UsageError(flag: "--kafka-config", message: error.description)
            }
            if let mode = KafkaClientOptions.permissionBits(path), mode & 0o077 != 0 {
                warnings.append("--kafka-config \(path) is readable by other users (mode \(String(mode, radix: 8))); it may hold secrets: chmod 600 it")
            }
        }
        do {
            try settings.apply(assignments: properties)
            try settings.validate(for: role)
        } catch {
            throw UsageError(flag: error.origin == "-X" ? "-X" : "--kafka-config", message: error.origin == "-X" ? error.message : error.description)
        }
        return KafkaClientConfig(settings: settings, warnings: warnings)
    }

    /// The file's permission bits (`stat`), nil if it cannot be examined.
    static func permissionBits(_ path: String) -> UInt32? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt32(st.st_mode) & 0o777
    }
}

/// The validated Kafka client settings of one job, and the warnings to log when it starts.
public struct KafkaClientConfig: Sendable, Equatable {
    public var settings: KafkaClientSettings
    /// e.g. a properties file readable by other users.
    public var warnings: [String]

    public init(settings: KafkaClientSettings = KafkaClientSettings(), warnings: [String] = []) {
        self.settings = settings
        self.warnings = warnings
    }

    /// Logs the warnings and, at debug level, the settings in use (secret values redacted).
    public func logStart(_ logger: Logger) {
        for w in warnings { logger.warning("\(w)") }
        if !settings.properties.isEmpty {
            logger.debug("kafka client settings", metadata: ["settings": "\(settings.properties.map(\.displayed).joined(separator: " "))"])
        }
    }

    /// Hooks forwarding librdkafka's log lines (already redacted) to `logger`, at the level
    /// matching their syslog level; `statistics` receives the statistics JSON when
    /// `statistics.interval.ms` is set.
    public func hooks(logger: Logger, statistics: (@Sendable (String) -> Void)? = nil) -> KafkaClientHooks {
        KafkaClientHooks(log: { level, facility, message in
            logger.log(level: KafkaClientConfig.loggerLevel(syslog: level), "rdkafka \(facility): \(message)")
        }, statistics: statistics)
    }

    /// syslog 0–3 → error, 4 → warning, 5 → notice, 6 → info, 7 → debug.
    static func loggerLevel(syslog: Int32) -> Logger.Level {
        switch syslog {
        case ...3: return .error
        case 4: return .warning
        case 5: return .notice
        case 6: return .info
        default: return .debug
        }
    }
}
