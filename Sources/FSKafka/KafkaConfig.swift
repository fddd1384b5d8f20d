import CRdKafka

/// Consumer settings with units in their names; anything else librdkafka knows goes in `extra`
/// (property names of librdkafka's CONFIGURATION.md, applied last, so they override).
public struct KafkaConsumerConfig: KafkaClientConfiguration {
    /// `host:port[,host:port…]` (`bootstrap.servers`).
    public var bootstrapServers: String
    /// Consumer group (`group.id`): needed for `subscribe` and `commit`, harmless with `assign`.
    public var groupId: String
    /// Shown in broker logs (`client.id`).
    public var clientId: String = "fs"
    /// Upper bound of one fetch response (`fetch.max.bytes`), bytes.
    public var fetchMaxBytes: Int = 64 << 20
    /// Group session timeout (`session.timeout.ms`): how long a silent member keeps its partitions.
    public var sessionTimeout: Duration = .seconds(10)
    /// Any further librdkafka property fs itself chooses, e.g. `["auto.offset.reset": "earliest"]`.
    public var extra: [String: String] = [:]
    /// The user's settings (`--kafka-config`, `-X`), applied last; validated by the caller
    /// (`KafkaClientSettings.validate(for: .consumer)`) before the client is made.
    public var settings = KafkaClientSettings()
    /// Where librdkafka's log lines (redacted) and statistics go.
    public var hooks = KafkaClientHooks()

    public init(bootstrapServers: String, groupId: String, clientId: String = "fs", fetchMaxBytes: Int = 64 << 20,
                sessionTimeout: Duration = .seconds(10), extra: [String: String] = [:],
                settings: KafkaClientSettings = KafkaClientSettings(), hooks: KafkaClientHooks = KafkaClientHooks()) {
        self.bootstrapServers = bootstrapServers
        self.groupId = groupId
        self.clientId = clientId
        self.fetchMaxBytes = fetchMaxBytes
        self.sessionTimeout = sessionTimeout
        self.extra = extra
        self.settings = settings
        self.hooks = hooks
    }

    /// The consumer's own properties. Offsets are never auto-committed: the table is the source
    /// of truth, `commit` is explicit.
    public var roleProperties: [(String, String)] {
        [
            ("group.id", groupId),
            ("client.id", clientId),
            ("fetch.max.bytes", String(fetchMaxBytes)),
            // A response may exceed fetch.max.bytes (the first record batch of a partition is
            // always returned whole): this is only the frame-size sanity limit, not a buffer.
            ("receive.message.max.bytes", String(max(fetchMaxBytes + 512, 100_000_000))),
            ("session.timeout.ms", String(milliseconds(sessionTimeout))),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
        ]
    }
}

/// Producer settings with units in their names; `extra` as for the consumer.
public struct KafkaProducerConfig: KafkaClientConfiguration {
    /// `host:port[,host:port…]` (`bootstrap.servers`).
    public var bootstrapServers: String
    /// `compression.codec`: none, gzip, snappy, lz4 or zstd. zstd by default: the mock cluster
    /// keeps a bounded number of bytes per partition, and zstd stretches it (DESIGN §8).
    public var compression: String = "zstd"
    /// `linger.ms`: how long a batch may wait to fill before it is sent.
    public var lingerMillis: Int = 5
    /// Any further librdkafka property fs itself chooses.
    public var extra: [String: String] = [:]
    /// The user's settings (`--kafka-config`, `-X`), applied last; validated by the caller
    /// (`KafkaClientSettings.validate(for: .producer)`).
    public var settings = KafkaClientSettings()
    /// Where librdkafka's log lines (redacted) and statistics go.
    public var hooks = KafkaClientHooks()

    public init(bootstrapServers: String, compression: String = "zstd", lingerMillis: Int = 5, extra: [String: String] = [:],
                settings: KafkaClientSettings = KafkaClientSettings(), hooks: KafkaClientHooks = KafkaClientHooks()) {
        self.bootstrapServers = bootstrapServers
        self.compression = compression
        self.lingerMillis = lingerMillis
        self.extra = extra
        self.settings = settings
        self.hooks = hooks
    }

    /// The producer's own properties.
    public var roleProperties: [(String, String)] { [("compression.codec", compression), ("linger.ms", String(lingerMillis))] }
}

/// What the consumer's and the producer's configurations are made of, layered once.
public protocol KafkaClientConfiguration: Sendable {
    /// `host:port[,host:port…]` (`bootstrap.servers`).
    var bootstrapServers: String { get }
    /// The properties fs sets for the client's role.
    var roleProperties: [(String, String)] { get }
    /// Any further librdkafka property fs itself chooses.
    var extra: [String: String] { get }
    /// The user's settings (`--kafka-config`, `-X`).
    var settings: KafkaClientSettings { get }
}

extension KafkaClientConfiguration {
    /// The librdkafka properties in the order they are set: `bootstrap.servers` and the role's,
    /// then `extra` sorted by name (a deterministic order), then the user's settings, last so
    /// that they override ours (e.g. `client.id` or `fetch.max.bytes`).
    public var properties: [(String, String)] {
        [("bootstrap.servers", bootstrapServers)] + roleProperties + extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + settings.effective
    }
}

/// A `Duration` as whole milliseconds for librdkafka's `int timeout_ms` parameters, clamped to
/// `0...Int32.max` (negative durations mean "don't wait").
func milliseconds(_ d: Duration) -> Int32 {
    let (seconds, attoseconds) = d.components
    if seconds < 0 { return 0 }
    let ms = seconds.multipliedReportingOverflow(by: 1000)
    if ms.overflow { return Int32.max }
    let total = ms.partialValue + attoseconds / 1_000_000_000_000_000
    return Int32(clamping: total)
}

/// Builds an `rd_kafka_conf_t` from properties (`rd_kafka_conf_new` + `rd_kafka_conf_set`).
/// On success the caller owns the conf and must pass it to `rd_kafka_new` (which takes it over)
/// or free it with `rd_kafka_conf_destroy`; on failure it is already freed.
func makeConf(_ properties: [(String, String)], secrets: [String] = []) throws(KafkaError) -> OpaquePointer {
    guard let conf = rd_kafka_conf_new() else {
        throw KafkaError(RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE, context: "rd_kafka_conf_new")
    }
    var errstr = [CChar](repeating: 0, count: 512)
    for (name, value) in properties {
        let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
        if result != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw KafkaError.configuration(property: name, detail: KafkaClientSettings.redact(text(ofErrorBuffer: errstr), secrets: secrets))
        }
    }
    return conf
}

/// Creates a client from a conf (`rd_kafka_new`). librdkafka takes the conf over on success; on
/// failure we free it here. The returned handle is freed with `rd_kafka_destroy` by its owner.
/// librdkafka checks combinations of settings here (e.g. an unreadable `ssl.ca.location`), so
/// its reason is a usage error, with the secrets redacted.
func makeClient(_ type: rd_kafka_type_t, conf: OpaquePointer, secrets: [String] = []) throws(KafkaError) -> OpaquePointer {
    var errstr = [CChar](repeating: 0, count: 512)
    guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
        rd_kafka_conf_destroy(conf)
        let what = type == RD_KAFKA_CONSUMER ? "creating the Kafka consumer" : "creating the Kafka producer"
        throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, context: what,
                         detail: KafkaClientSettings.redact(text(ofErrorBuffer: errstr), secrets: secrets))
    }
    return rk
}

/// The NUL-terminated text librdkafka wrote into an `errstr` buffer.
func text(ofErrorBuffer buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { p in p.baseAddress.map { String(cString: $0) } ?? "" }
}
