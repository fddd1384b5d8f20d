import FSCore
import FSJobs
@testable import FSKafka
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Kafka client settings")
struct KafkaClientSettingsTests {
    @Test func aJavaPropertiesFileParsesWithCommentsSeparatorsContinuationsAndEscapes() throws {
        let text = """
            # a comment
              ! another comment

            security.protocol=SASL_SSL
            sasl.mechanisms : SCRAM-SHA-512
            sasl.username alice
            ssl.ca.location = /etc/ssl/ca\\
                              -bundle.pem
            client.id=caf\\u00e9\\=\\:x\\ty
            sasl.password=p\\\\w#not-a-comment
            empty.value=
            """
        let props = try KafkaClientSettings.parseProperties(text, file: "c.properties")
        #expect(props.map(\.name) == ["security.protocol", "sasl.mechanisms", "sasl.username", "ssl.ca.location", "client.id",
                                      "sasl.password", "empty.value"])
        #expect(props.map(\.value) == ["SASL_SSL", "SCRAM-SHA-512", "alice", "/etc/ssl/ca-bundle.pem", "café=:x\ty", "p\\w#not-a-comment", ""])
        #expect(props[0].origin == "c.properties:4")
        #expect(props[3].origin == "c.properties:7")
    }

    @Test func aMalformedUnicodeEscapeNamesTheFileAndLine() {
        #expect(throws: KafkaSettingsError(origin: "f:2", message: "malformed \\uXXXX escape '\\u00zz'")) {
            try KafkaClientSettings.parseProperties("a=1\nb=\\u00zz\n", file: "f")
        }
    }

    @Test func dashXIsAppliedAfterTheFileAndTheLastValueWins() throws {
        var settings = KafkaClientSettings()
        try settings.apply(propertiesText: "client.id=from-file\nlinger.ms=7\n", file: "p")
        try settings.apply(assignments: ["client.id=from-x", "socket.keepalive.enable=true"])
        #expect(settings.effective.map { "\($0.0)=\($0.1)" } == ["client.id=from-x", "linger.ms=7", "socket.keepalive.enable=true"])
        let producer = KafkaProducerConfig(bootstrapServers: "b:1", settings: settings)
        #expect(producer.properties.last { $0.0 == "client.id" }?.1 == "from-x")
    }

    @Test(arguments: [
        (KafkaClientRole.consumer, "group.id"), (.consumer, "enable.auto.commit"), (.consumer, "auto.offset.reset"),
        (.consumer, "enable.auto.offset.store"), (.consumer, "enable.partition.eof"), (.consumer, "bootstrap.servers"),
        (.producer, "transactional.id"), (.producer, "enable.idempotence"), (.producer, "metadata.broker.list"),
    ])
    func settingsFsOwnsAreRefusedWithTheReason(role: KafkaClientRole, name: String) throws {
        var settings = KafkaClientSettings()
        try settings.apply(assignments: ["\(name)=x"])
        do {
            try settings.validate(for: role)
            Issue.record("\(name) was accepted for the \(role)")
        } catch {
            #expect(error.origin == "-X")
            #expect(error.message.contains("'\(name)' is set by fs for the \(role.rawValue)"))
        }
    }

    @Test func consumerOnlyOwnedSettingsAreAllowedForAProducer() throws {
        var settings = KafkaClientSettings()
        try settings.apply(assignments: ["group.id=whatever"])
        try settings.validate(for: .producer)
    }

    @Test func unknownAndInvalidPropertiesNameThePropertyAndLibrdkafkasReason() throws {
        var unknown = KafkaClientSettings()
        try unknown.apply(propertiesText: "client.id=x\nno.such.thing=1\n", file: "k.properties")
        #expect(throws: KafkaSettingsError(origin: "k.properties:2", message: "property 'no.such.thing': No such configuration property: \"no.such.thing\"")) {
            try unknown.validate(for: .consumer)
        }
        var invalid = KafkaClientSettings()
        try invalid.apply(assignments: ["security.protocol=CARRIER_PIGEON"])
        do { try invalid.validate(for: .consumer); Issue.record("accepted") } catch {
            #expect(error.message.contains("security.protocol") && error.message.contains("CARRIER_PIGEON"))
        }
    }

    @Test func anAssignmentWithoutEqualsIsRefusedWithoutEchoingASecret() {
        var settings = KafkaClientSettings()
        #expect(throws: KafkaSettingsError(origin: "-X", message: "'[redacted]' is not key=value")) {
            try settings.apply(assignments: ["sasl.password"])
        }
    }

    @Test(arguments: [
        ("sasl.password", true), ("ssl.key.password", true), ("ssl.keystore.password", true), ("ssl.key.pem", true),
        ("sasl.oauthbearer.client.secret", true), ("sasl.oauthbearer.config", true), ("ssl_key", true), ("my.custom.secret.thing", true),
        ("sasl.username", false), ("ssl.ca.location", false), ("client.id", false), ("ssl.certificate.pem", false),
    ])
    func secretPropertiesAreRecognised(name: String, isSecret: Bool) {
        #expect(KafkaClientSettings.isSensitive(name) == isSecret)
    }

    @Test func secretsAreRedactedInDisplayAndText() throws {
        var settings = KafkaClientSettings()
        try settings.apply(assignments: ["sasl.username=alice", "sasl.password=hunter2", "ssl.key.password=hunter2-long"])
        #expect(settings.properties.map(\.displayed) == ["sasl.username=alice", "sasl.password=[redacted]", "ssl.key.password=[redacted]"])
        #expect(settings.redact("user alice pw hunter2-long and hunter2") == "user alice pw [redacted] and [redacted]")
    }

    @Test func aPropertiesFileReadableByOthersGetsAWarning() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-kafka-config")
        defer { try? FileSystem.removeTree(dir) }
        let path = dir + "/client.properties"
        try FileSystem.writeNewFile(path, Array("sasl.password=s3cr3t\nclient.id=c\n".utf8))
        chmod(path, 0o644)
        var options = KafkaClientOptions()
        options.kafkaConfig = path
        options.properties = ["client.id=d"]
        let open = try options.resolve(role: .consumer)
        #expect(open.warnings.count == 1 && open.warnings[0].contains("readable by other users"))
        #expect(!open.warnings[0].contains("s3cr3t"))
        #expect(open.settings.effective.first { $0.0 == "client.id" }?.1 == "d")
        chmod(path, 0o600)
        #expect(try options.resolve(role: .consumer).warnings.isEmpty)
    }

    /// Statistics are the client's own report of what it sent the broker: the client.id given with
    /// -X is the one in use, and the broker connection it names is up.
    @Test func aClientSettingReachesTheBrokerAsSeenInLibrdkafkaStatistics() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 1)
        try KafkaFixture.produce(cluster, topic: "t", count: 3)
        var settings = KafkaClientSettings()
        try settings.apply(assignments: ["client.id=fs-stats-probe", "statistics.interval.ms=100"])
        try settings.validate(for: .consumer)
        let seen = Mutex<[String]>([])
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(
            bootstrapServers: cluster.bootstrapServers, groupId: "g", settings: settings,
            hooks: KafkaClientHooks(statistics: { json in seen.withLock { $0.append(json) } })))
        defer { consumer.close() }
        try consumer.assign([TopicPartitionOffset(topic: "t", partition: 0, offset: KafkaOffset.beginning)])
        _ = try KafkaFixture.drain(consumer, expected: 3)
        let clock = ContinuousClock()
        let end = clock.now + .seconds(10)
        var upReport: JSONValue?
        while upReport == nil && clock.now < end {
            _ = try consumer.poll(maxMessages: 10, timeout: .milliseconds(100))
            for text in seen.withLock({ $0 }) {
                let json = try JSONValue.parse(text)
                let brokers = json["brokers"]?.objectValue ?? []
                if brokers.contains(where: { $0.1["state"]?.stringValue == "UP" && ($0.1["tx"]?.int64Value ?? 0) > 0 }) { upReport = json }
            }
        }
        #expect(upReport?["client_id"]?.stringValue == "fs-stats-probe")
        #expect(upReport?["type"]?.stringValue == "consumer")
    }

    /// The client id appears in nearly every librdkafka debug line; making it contain the password
    /// proves the log callback replaces secret values wherever they occur.
    @Test func librdkafkaLogLinesNeverCarryASecretValue() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 1)
        let secret = "Zq8-secret-\(getpid())"
        var settings = KafkaClientSettings()
        try settings.apply(assignments: ["sasl.password=\(secret)", "client.id=client-\(secret)", "debug=all"])
        let lines = Mutex<[String]>([])
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(
            bootstrapServers: cluster.bootstrapServers, groupId: "g", settings: settings,
            hooks: KafkaClientHooks(log: { _, facility, message in lines.withLock { $0.append(facility + " " + message) } })))
        _ = try consumer.partitions(topic: "t", timeout: .seconds(5))
        consumer.close()
        let all = lines.withLock { $0 }
        #expect(all.count > 10)
        #expect(all.contains { $0.contains("client-[redacted]") })
        #expect(!all.contains { $0.contains(secret) })
    }

    @Test func brokerFailuresAreClassifiedFromLibrdkafkasWording() {
        #expect(KafkaBrokerFailure.kind(ofText: "ssl://h:1/bootstrap: SSL handshake failed: certificate verify failed") == .tls)
        #expect(KafkaBrokerFailure.kind(ofText: "sasl_ssl://h:1/bootstrap: SASL authentication error: Authentication failed") == .authentication)
        #expect(KafkaBrokerFailure.kind(ofText: "h:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused") == .unreachable)
    }
}

@Suite("Kafka example properties files")
struct KafkaExampleFilesTests {
    /// `examples/kafka/*.properties`, found from this source file's path.
    static let directory: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/FSKafkaTests/<file>
        return parts.joined(separator: "/") + "/examples/kafka"
    }()

    @Test(arguments: ["sasl-ssl-plain", "sasl-ssl-scram", "mtls", "behind-proxy"])
    func everyRecipeIsAcceptedByLibrdkafkaForConsumersAndProducers(name: String) throws {
        let path = Self.directory + "/\(name).properties"
        var settings = KafkaClientSettings()
        try settings.apply(propertiesText: String(decoding: try FileSystem.readFile(path), as: UTF8.self), file: path)
        #expect(settings.properties.contains { $0.name == "security.protocol" })
        try settings.validate(for: .consumer)
        try settings.validate(for: .producer)
    }
}
