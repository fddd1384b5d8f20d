import FSTestSupport
import FSCore
import FSSandbox
import FSJobs
import FSKafka
import Foundation
import Testing

/// `--kafka-config` / `-X` through the built binaries: precedence, refusals, secrets kept out of
/// every output, and the cause named when the brokers cannot be used.
@Suite(.serialized) struct KafkaSettingsBinaryTests {
    static let topic = "de-order-status-events"

    func base(_ brokers: String, _ dir: String) -> [String] {
        ["dev", "--kafka-brokers", brokers, "--kafka-topics", Self.topic, "--data-dir", dir, "--stream-type", "order-status-events",
         "--available-now"]
    }

    func cluster(messages: Int) throws -> MockKafkaCluster {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic(Self.topic, partitions: 2)
        try StatusSource(count: messages).produce(to: cluster, topic: Self.topic)
        return cluster
    }

    @Test func theSecretNeverAppearsInAnyOutputAtTraceLevelWithLibrdkafkaDebugOn() throws {
        let cluster = try cluster(messages: 50)
        let secret = "pw-\(UUID().uuidString)"
        let dir = temporaryDirectory("secret")
        for format in ["text", "json"] {
            let run = try Binaries.runToFiles("fs-ingest", base(cluster.bootstrapServers, dir + "/" + format) + [
                "-X", "sasl.password=\(secret)", "-X", "debug=all", "--log-level", "trace", "--log-format", format, "--summary"])
            #expect(run.status == 0, "\(run.stderr.suffix(2000))")
            #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret))
            #expect(run.stderr.contains("sasl.password=[redacted]"))
            #expect(run.stderr.contains("rdkafka"))  // librdkafka's debug lines were forwarded (and redacted)
        }
    }

    @Test func anAuthenticationFailureIsNamedAndExits69AfterTheRetryBudgetWithoutTheSecret() throws {
        let cluster = try cluster(messages: 5)
        let secret = "pw-\(UUID().uuidString)"
        let dir = temporaryDirectory("auth")
        let run = try Binaries.runToFiles("fs-ingest", base(cluster.bootstrapServers, dir) + [
            "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=fs",
            "-X", "sasl.password=\(secret)", "-X", "debug=security,broker", "--log-level", "trace", "--max-retry-duration", "2s", "--summary"])
        #expect(run.status == 69, "\(run.stderr.suffix(2000))")
        #expect(run.stderr.contains("error: --kafka-brokers \(cluster.bootstrapServers): authentication failed"))
        #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret))
    }

    @Test func aTLSHandshakeFailureAndAnUnreachableBrokerAreNamedAsSuch() throws {
        let cluster = try cluster(messages: 5)
        let tls = try Binaries.run("fs-ingest", base(cluster.bootstrapServers, temporaryDirectory("tls")) + [
            "-X", "security.protocol=SSL", "--log-level", "critical", "--max-retry-duration", "2s"])
        #expect(tls.status == 69)
        #expect(tls.stderr.contains("TLS handshake failed"), "\(tls.stderr)")
        let down = try Binaries.run("fs-ingest", base("127.0.0.1:1", temporaryDirectory("down")) + [
            "--log-level", "critical", "--max-retry-duration", "2s"])
        #expect(down.status == 69)
        #expect(down.stderr.contains("error: --kafka-brokers 127.0.0.1:1: unreachable"), "\(down.stderr)")
    }

    @Test func fsAggOnlineNamesARefusedLoginAndExits69() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-events", partitions: 1)
        let secret = "pw-\(UUID().uuidString)"
        let run = try Binaries.runToFiles("fs-agg-online", [
            "--kafka-brokers", cluster.bootstrapServers, "--kafka-topics", "de-order-events", "--stream-type", "order-events",
            "--output-table", temporaryDirectory("online-auth") + "/out", "--time-field", "order_created_at", "--agg-field", "customer_id",
            "--window-duration", "1 hour", "--available-now", "--log-level", "debug",
            "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=u", "-X", "sasl.password=\(secret)"])
        #expect(run.status == 69, "\(run.stderr.suffix(1500))")
        #expect(run.stderr.contains("authentication failed"), "\(run.stderr.suffix(1500))")
        #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret))
    }

    @Test func fsAggOnlineRetriesAnUnreachableBrokerUntilTheRetryBudgetThenExits69() throws {
        let run = try Binaries.run("fs-agg-online", [
            "--kafka-brokers", "127.0.0.1:1", "--kafka-topics", "de-order-events", "--stream-type", "order-events",
            "--output-table", temporaryDirectory("online-down") + "/out", "--time-field", "order_created_at", "--agg-field", "customer_id",
            "--window-duration", "1 hour", "--available-now", "--log-level", "warning", "--max-retry-duration", "2s"])
        #expect(run.status == 69, "\(run.stderr.suffix(1500))")
        #expect(run.stderr.contains("retrying in"), "\(run.stderr.suffix(1500))")
        #expect(run.stderr.contains("error: --kafka-brokers 127.0.0.1:1: unreachable"), "\(run.stderr.suffix(1500))")
        #expect(run.stderr.contains("--max-retry-duration"), "\(run.stderr.suffix(1500))")
    }

    @Test func anUnreadableCAIsAUsageErrorNamingTheSetting() throws {
        let run = try Binaries.run("fs-ingest", base("127.0.0.1:1", temporaryDirectory("ca")) + [
            "-X", "security.protocol=SSL", "-X", "ssl.ca.location=/nonexistent/fs-ca.pem", "--log-level", "critical"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("ssl.ca.location"), "\(run.stderr)")
    }

    @Test func anInvalidPropertyExits64BeforeAnythingIsConsumed() throws {
        let cluster = try cluster(messages: 20)
        let dir = temporaryDirectory("invalid")
        let config = dir + "/client.properties"
        try "client.id=ok\nsecurity.protocol=CARRIER_PIGEON\n".write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let run = try Binaries.run("fs-ingest", base(cluster.bootstrapServers, dir) + ["--kafka-config", config])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--kafka-config: \(config):2: property 'security.protocol'"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/ingestion"))
        let owned = try Binaries.run("fs-ingest", base(cluster.bootstrapServers, dir) + ["-X", "enable.auto.commit=true"])
        #expect(owned.status == 64)
        #expect(owned.stderr.contains("-X: 'enable.auto.commit' is set by fs for the consumer"), "\(owned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/ingestion"))
    }

    @Test func theFileIsAppliedThenDashXAndSingleDashFlagsStillWork() throws {
        let dir = temporaryDirectory("precedence")
        let config = dir + "/client.properties"
        try "client.id=from-file\nsocket.keepalive.enable=true\n".write(toFile: config, atomically: true, encoding: .utf8)
        let args = LegacyArguments.normalize(["dev", "-kafka-brokers", "b:1", "-stream-type", "order-events", "-data-dir", dir,
                                              "-kafka-config", config, "-X", "client.id=from-x", "-Xlinger.ms=3"],
                                             longNames: IngestCommand.longOptionNames)
        let resolved = try IngestCommand.parse(args).resolve()
        let effective = Dictionary(uniqueKeysWithValues: resolved.kafkaClient.settings.effective.map { ($0.0, $0.1) })
        #expect(effective == ["client.id": "from-x", "socket.keepalive.enable": "true", "linger.ms": "3"])
    }

    @Test func everyKafkaFacingCommandTakesTheSameSettings() throws {
        let online = try OnlineCommand.parse([
            "--kafka-brokers", "b:1", "--kafka-topics", "t", "--stream-type", "order-events", "--output-table", "/tmp/o",
            "--time-field", "order_created_at", "--agg-field", "customer_id", "--window-duration", "1 hour", "-X", "client.id=online",
        ]).resolve()
        #expect(online.kafka?.client.settings.effective.first { $0.0 == "client.id" }?.1 == "online")
        let produce = try SandboxCommand.Produce.parse([
            "--stream-type", "order-events", "--source", "/dev/null", "--bootstrap-servers", "b:1", "-X", "client.id=replayer",
        ]).resolve()
        #expect(produce.client.settings.effective.first { $0.0 == "client.id" }?.1 == "replayer")
        #expect(throws: UsageError.self) {
            try SandboxCommand.Produce.parse([
                "--stream-type", "order-events", "--source", "/dev/null", "--bootstrap-servers", "b:1", "-X", "transactional.id=x",
            ]).resolve()
        }
    }
}
