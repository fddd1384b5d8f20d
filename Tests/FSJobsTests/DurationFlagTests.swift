import FSCore
import Testing
@testable import FSJobs

/// Every duration flag of every job reads the one grammar: a form accepted by one flag is
/// accepted by all, and a refusal names the flag it came from.
@Suite struct DurationFlagTests {
    static let ingestBase = ["--stream-type", "order-events", "--kafka-brokers", "h:1", "--data-dir", "/d"]
    static let onlineBase = ["--input-table", "/in", "--output-table", "/out", "--time-field", "t", "--agg-field", "k"]

    func ingest(_ extra: [String]) throws -> IngestConfig {
        try IngestCommand.parseCommandLine(Self.ingestBase + extra).resolve()
    }

    func online(_ extra: [String]) throws -> OnlineConfig {
        try OnlineCommand.parseCommandLine(Self.onlineBase + extra).resolve()
    }

    static let forms: [(String, Int64)] = [
        ("500ms", 500_000), ("1.5s", 1_500_000), ("10 minutes", 600_000_000), ("\"5 seconds\"", 5_000_000),
        ("1 hour", 3_600_000_000), ("1 day", 86_400_000_000), ("2 weeks", 1_209_600_000_000), ("interval 10 minutes", 600_000_000),
    ]

    @Test(arguments: forms)
    func theSameFormsWorkForFsIngestAndFsAggOnline(text: String, micros: Int64) throws {
        let i = try ingest(["--trigger-interval", text, "--max-retry-duration", text])
        #expect(i.triggerInterval == .microseconds(micros) && i.maxRetryDuration == .microseconds(micros))
        let o = try online(["--window-duration", text, "--window-slide-duration", text, "--watermark", text, "--trigger-interval", text])
        #expect(o.window.duration == micros && o.window.slide == micros && o.watermarkDelay == micros && o.triggerIntervalMicros == micros)
    }

    static let refusals: [(job: String, flag: String, value: String, reason: String)] = [
        ("ingest", "--trigger-interval", "0s", "must be a positive duration"),
        ("ingest", "--trigger-interval", "-1s", "is negative"),
        ("ingest", "--max-retry-duration", "5 parsecs", "unknown unit"),
        ("ingest", "--max-retry-duration", "0 minutes", "must be a positive duration"),
        ("online", "--window-duration", "0 seconds", "must be a positive duration"),
        ("online", "--window-duration", "1 month", "months and years"),
        ("online", "--window-slide-duration", "-5 minutes", "is negative"),
        ("online", "--watermark", "ten minutes", "is not a number"),
        ("online", "--trigger-interval", "0ms", "must be a positive duration"),
        ("online", "--trigger-interval", "5", "has no unit"),
    ]

    @Test(arguments: refusals)
    func aRefusedDurationNamesItsFlagAndTheReason(job: String, flag: String, value: String, reason: String) {
        do {
            // `--flag=value`, so that "-1s" reaches the grammar instead of looking like an option.
            let arg = flag + "=" + value
            if job == "ingest" { _ = try ingest([arg]) } else { _ = try online(["--window-duration", "1 hour", arg]) }
            Issue.record("\(flag) \(value) was accepted")
        } catch let e as UsageError {
            #expect(e.flag == flag, "\(e)")
            #expect(e.message.contains(reason), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aZeroWatermarkMeansNoDelay() throws {
        #expect(try online(["--window-duration", "1 hour", "--watermark", "0 seconds"]).watermarkDelay == 0)
    }
}
