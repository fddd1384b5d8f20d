import FSCore
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
}
