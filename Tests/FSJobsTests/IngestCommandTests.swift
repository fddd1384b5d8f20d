import FSCore
import FSStreams
import Testing
@testable import FSJobs

@Suite struct IngestCommandTests {
    func config(_ args: [String]) throws -> IngestConfig {
        try IngestCommand.parseCommandLine(args).resolve()
    }

    @Test func theOriginalRunAllLineWorksUnchanged() throws {
        let c = try config(["dev", "--kafka-topics", "de-order-events", "--master-mode", "local[*]", "--kafka-brokers", "elb:9092",
                            "--output-dir", "/tmp/ifood/data/", "--stream-type", "order-events", "--max-offsets-per-trigger", "50000"])
        #expect(c.streamType == .orderEvents)
        #expect(c.topics == ["de-order-events"])
        #expect(c.brokers == "elb:9092")
        #expect(c.table == "/tmp/ifood/data/ingestion/order-events")
        #expect(c.quarantineTable == "/tmp/ifood/data/quarantine/order-events")
        #expect(c.maxOffsetsPerTrigger == 50_000)
        #expect(c.groupId == "fs-ingest-order-events")
        #expect(c.dedupKey == nil)
        #expect(!c.availableNow)
        #expect(c.maxRetryDuration == nil)
    }

    @Test func singleDashFormsAndTheStatusDefaultsWork() throws {
        let c = try config(["dev", "-kafka-topics", "a, b", "-kafka-brokers", "h:1", "-data-dir", "d", "-stream-type", "order-status-event",
                            "-available-now", "-trigger-interval", "5 seconds", "-max-retry-duration", "30s"])
        #expect(c.streamType == .orderStatusEvents)
        #expect(c.topics == ["a", "b"])
        #expect(c.dedupKeyName == "status_id")
        #expect(c.dedupKey == .field(2))
        #expect(c.availableNow)
        #expect(c.triggerInterval == .seconds(5))
        #expect(c.maxRetryDuration == .seconds(30))
        #expect(c.table == "d/ingestion/order-status-events")
    }

    @Test func zstdLevelDefaultsToOneAndAcceptsNegativeFastLevels() throws {
        let base = ["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d"]
        #expect(try config(base).zstdLevel == 1)
        #expect(try config(base + ["--zstd-level", "-5"]).zstdLevel == -5)
        #expect(try config(base + ["--zstd-level=-1"]).zstdLevel == -1)
        #expect(try config(base + ["--zstd-level", "19"]).zstdLevel == 19)
    }

    @Test(arguments: [
        (["--stream-type", "order", "--kafka-brokers", "h", "--data-dir", "d"], "--stream-type"),
        (["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d", "--zstd-level", "23"], "--zstd-level"),
        (["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d", "--zstd-level", "-200000"], "--zstd-level"),
        (["--kafka-brokers", "h", "--data-dir", "d"], "--stream-type"),
        (["--stream-type", "order-events", "--data-dir", "d"], "--kafka-brokers"),
        (["--stream-type", "order-events", "--kafka-brokers", "h"], "--data-dir"),
        (["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d", "--starting-offsets", "middle"], "--starting-offsets"),
        (["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d", "--trigger-interval", "soon"], "--trigger-interval"),
        (["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d", "--dedup-key", "nope"], "--dedup-key"),
        (["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d", "--max-offsets-per-trigger", "0"], "--max-offsets-per-trigger"),
        (["--stream-type", "order-events", "--kafka-brokers", "h", "--data-dir", "d", "--master-mode", "yarn"], "--master-mode"),
    ])
    func badFlagsAreUsageErrorsNamingTheFlag(args: [String], flag: String) {
        do {
            _ = try config(args)
            Issue.record("accepted \(args)")
        } catch let e as UsageError {
            #expect(e.flag == flag)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: [("500ms", 500), ("1s", 1000), ("5 seconds", 5000), ("2m", 120_000), ("1 minute", 60_000), ("0.25s", 250), ("1h", 3_600_000)])
    func durationsParseWithUnits(text: String, millis: Int64) throws {
        #expect(try durationFlag(text, flag: "--trigger-interval") == millis * 1000)
    }

    @Test func durationsRejectGarbageNamingTheFlag() {
        for t in ["", "s", "5 parsecs", "-1s", "1e999", "0.25", "0s"] {
            #expect(throws: UsageError.self, "\(t)") { try durationFlag(t, flag: "--trigger-interval") }
            do { _ = try durationFlag(t, flag: "--trigger-interval") } catch { #expect(error.flag == "--trigger-interval") }
        }
    }

    @Test func base64MatchesRFC4648Vectors() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            #expect(Array(plain.utf8).withUnsafeBytes { base64($0) } == encoded)
        }
        #expect([UInt8]([0xFF, 0xFE, 0x00]).withUnsafeBytes { base64($0) } == "//4A")
    }
}
