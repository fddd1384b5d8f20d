import FSCore
import FSStreams
import FSSandbox
import FSJobs
import FSKafka
import Foundation
import Testing

/// Runs the built `fs-sandbox` (next to the test bundle) as a real process.
@Suite("fs-sandbox binary")
struct SandboxBinaryTests {
    static var binary: String {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            let candidate = url.appendingPathComponent("fs-sandbox").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return ".build/debug/fs-sandbox"
    }

    @Test func brokerWritesTheBootstrapFileAnswersKcatAndExitsZeroOnSigterm() throws {
        let kcat = try #require(ProcessRunner.which("kcat"))
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-broker")
        defer { try? FileSystem.removeTree(dir) }
        let bootstrapFile = "\(dir)/bootstrap"
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: Self.binary)
        broker.arguments = ["broker", "--partitions", "3", "--bootstrap-file", bootstrapFile]
        let out = Pipe()
        broker.standardOutput = out
        try broker.run()
        defer { if broker.isRunning { broker.terminate(); broker.waitUntilExit() } }

        var bootstrap = ""
        for _ in 0 ..< 200 where bootstrap.isEmpty {
            if let bytes = try? FileSystem.readFile(bootstrapFile) { bootstrap = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            if bootstrap.isEmpty { usleep(50_000) }
        }
        #expect(bootstrap.hasPrefix("127.0.0.1:") || bootstrap.hasPrefix("localhost:"))

        let metadata = try ProcessRunner.run(kcat, ["-b", bootstrap, "-L", "-J"])
        #expect(metadata.status == 0)
        for topic in ["de-order-events", "de-order-status-events", "de-restaurant-events", "de-consumer-events"] {
            #expect(metadata.stdout.contains("\"topic\":\"\(topic)\""), "\(topic) missing")
        }
        let produced = try ProcessRunner.run(kcat, ["-b", bootstrap, "-t", "de-order-events", "-P", "-p", "1"], stdin: "{\"a\":1}\n{\"a\":2}\n")
        #expect(produced.status == 0)
        let consumed = try ProcessRunner.run(kcat, ["-b", bootstrap, "-t", "de-order-events", "-p", "1", "-C", "-e", "-q"])
        #expect(consumed.stdout == "{\"a\":1}\n{\"a\":2}\n")

        broker.terminate()  // SIGTERM
        broker.waitUntilExit()
        #expect(broker.terminationReason == .exit)
        #expect(broker.terminationStatus == 0)
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed == bootstrap + "\n")
    }

    @Test func unknownStreamTypeExitsWithUsage() throws {
        let run = try ProcessRunner.run(Self.binary, ["produce", "--stream-type", "nope", "--source", "/dev/null", "--bootstrap-servers", "x:1"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--stream-type"))
    }

    @Test func generateIsDeterministicThroughTheBinary() throws {
        let a = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-bin-a"), b = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-bin-b")
        defer { try? FileSystem.removeTree(a); try? FileSystem.removeTree(b) }
        #expect(try ProcessRunner.run(Self.binary, ["generate", "--out", a, "--orders", "25", "--seed", "8"]).status == 0)
        #expect(try ProcessRunner.run(Self.binary, ["generate", "--out", b, "--orders", "25", "--seed", "8"]).status == 0)
        for name in ["order.json.gz", "status.json.gz", "restaurant.csv.gz", "consumer.csv.gz"] {
            #expect(try FileSystem.readFile("\(a)/\(name)") == FileSystem.readFile("\(b)/\(name)"))
        }
    }

    @Test func produceTakesClientSettingsAndNeverPrintsTheSecret() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-events", partitions: 1)
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-secret")
        defer { try? FileSystem.removeTree(dir) }
        #expect(try ProcessRunner.run(Self.binary, ["generate", "--out", dir, "--orders", "20", "--seed", "3"]).status == 0)
        let secret = "pw-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let base = ["produce", "--stream-type", "order-events", "--source", "\(dir)/order.json.gz", "--bootstrap-servers", cluster.bootstrapServers]
        let ok = try ProcessRunner.run(Self.binary, base + ["-X", "client.id=replayer-\(secret)", "-X", "sasl.password=\(secret)", "-X", "debug=broker"])
        #expect(ok.status == 0, "\(ok.stderr.suffix(1000))")
        #expect(ok.stdout.contains("\"messages\":20"))
        #expect(ok.stderr.contains("replayer-[redacted]"))  // librdkafka's debug lines, redacted
        #expect(!ok.stdout.contains(secret) && !ok.stderr.contains(secret))
        let owned = try ProcessRunner.run(Self.binary, base + ["-X", "transactional.id=x"])
        #expect(owned.status == 64)
        #expect(owned.stderr.contains("'transactional.id' is set by fs for the producer"))
    }

    @Test(arguments: [["--help"], ["-h"], ["help"], []])
    func helpPrintsFsSandboxsOwnHelpNotTheHelpCommands(args: [String]) throws {
        let run = try ProcessRunner.run(Self.binary, args)
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: fs-sandbox <subcommand>"))
        for sub in ["broker", "generate", "produce"] { #expect(run.stdout.contains("  \(sub) "), "\(sub) missing") }
        #expect(!run.stdout.contains("Show subcommand help information"))
    }

    @Test(arguments: [["help", "produce"], ["produce", "--help"]])
    func helpOfProduceShowsItsLoopFlags(args: [String]) throws {
        let run = try ProcessRunner.run(Self.binary, args)
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: fs-sandbox produce"))
        for flag in ["--loop", "--passes", "--duration", "--time-shift", "--rate", "--id-tag"] { #expect(run.stdout.contains(flag), "\(flag) missing") }
    }

    @Test func aLoopingProduceStopsOnSigtermFlushesAndSaysHowManyItSent() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-loop-bin")
        defer { try? FileSystem.removeTree(dir) }
        _ = try SampleGenerator(orders: 10, seed: 3).write(to: dir)
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("de-order-events", partitions: 1)
        let produce = Process()
        produce.executableURL = URL(fileURLWithPath: Self.binary)
        produce.arguments = ["produce", "--stream-type", "order-events", "--source", "\(dir)/order.json.gz",
                             "--bootstrap-servers", cluster.bootstrapServers, "--loop", "--rate", "200"]
        let out = Pipe()
        produce.standardOutput = out
        try produce.run()
        defer { if produce.isRunning { produce.interrupt(); produce.waitUntilExit() } }
        // Wait until at least two passes reached the topic, then stop it.
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "sigterm-check"))
        defer { consumer.close() }
        try consumer.assign([TopicPartitionOffset(topic: "de-order-events", partition: 0, offset: KafkaOffset.beginning)])
        var seen = try KafkaFixture.drain(consumer, expected: 25)
        #expect(seen.count >= 25)
        produce.terminate()  // SIGTERM
        produce.waitUntilExit()
        #expect(produce.terminationReason == .exit && produce.terminationStatus == 0)
        let summary = try JSONValue.parse(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        #expect(summary["end"]?.stringValue == "signal")
        let sent = try #require(summary["messages"].flatMap { if case .int(let n) = $0 { Int(n) } else { nil } })
        seen += try KafkaFixture.drain(consumer, expected: sent - seen.count + 1, deadline: .seconds(3))
        #expect(seen.count == sent)
        #expect(Set(seen.compactMap(\.key)).count == sent, "every pass had fresh order ids")
    }
}
