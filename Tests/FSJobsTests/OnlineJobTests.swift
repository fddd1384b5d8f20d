import FSTestSupport
import FSAggregation
import FSCore
import FSJobs
import FSTable
import Foundation
import Testing

private let inputSchema = Schema([Field("customer_id", .string), Field("order_total_amount", .double), Field("event_time", .timestamp)])
private let minute: Int64 = 60_000_000

/// Deterministic orders: times drift forward `step` per row with jitter inside the watermark.
private func orders(_ count: Int, from index: Int, seed: UInt64, step: Int64 = 20_000_000, jitter: Int64 = 3 * minute) -> [(String, Double, Int64)] {
    var rng = SplitMix64(seed: seed)
    return (index..<(index + count)).map { i in
        let t = 1_600_000_000_000_000 + Int64(i) * step + Int64.random(in: -jitter...jitter, using: &rng)
        return (["c1", "c2", "ç3", "", "c5", "c6"][Int.random(in: 0..<6, using: &rng)], (Double.random(in: 1...300, using: &rng) * 100).rounded() / 100, t)
    }
}

private func batch(_ rows: [(String, Double, Int64)]) -> RecordBatch {
    var k = ColumnBuilder(type: .string), a = ColumnBuilder(type: .double), t = ColumnBuilder(type: .timestamp)
    for r in rows { k.append(r.0); a.append(r.1); t.append(r.2) }
    return RecordBatch(schema: inputSchema, columns: [k.finish(), a.finish(), t.finish()])
}

/// Appends one version of rows to the input table (created on first use).
private func appendVersion(_ root: String, _ rows: [(String, Double, Int64)]) throws {
    let table = try DeltaTable.create(at: root, schema: inputSchema)
    let w = try TableWriter(table: table)
    try w.write(batch(rows))
    try w.commit()
}

private func config(_ args: [String]) throws -> OnlineConfig {
    try OnlineCommand.parseCommandLine(args).resolve()
}

private func standardArgs(input: String, output: String) -> [String] {
    ["dev", "--input-table", input, "--output-table", output, "--time-field", "event_time", "--agg-field", "customer_id",
     "--window-duration", "1 hour", "--window-slide-duration", "5 minutes", "--watermark", "10 minutes", "--available-now"]
}

/// Every output row as text with exact double bits, sorted: equal text ⇔ identical tables.
private func outputLines(_ root: String) throws -> [String] {
    var scan = try TableScan(table: DeltaTable(root: root))
    let all = try scan.readAll()
    return (0..<all.rowCount).map { i in
        all.row(i).map { v -> String in if case .double(let d) = v { return "d\(d.bitPattern)" } else { return "\(v)" } }.joined(separator: "|")
    }.sorted()
}

private func runJob(_ c: OnlineConfig) throws -> OnlineSummary {
    JobRunner.bootstrapLogging(level: .error, format: .text)
    return try OnlineJob(config: c).run()
}

@Suite("fs-agg-online", .serialized)
struct OnlineJobTests {
    @Test("The original run-all.sh command line parses unchanged and means the original six features")
    func originalCommandLine() throws {
        let c = try config(["dev", "--master-mode", "local[*]", "--input-data-table", "/tmp/ifood/data/ingestion/order-events/",
                            "--output-data-table", "/tmp/ifood/data/aggregations/online/order-agg", "--temp-dir", "tempDir",
                            "--window-duration", "5 seconds", "--window-slide-duration", "5 seconds", "--watermark", "10 seconds",
                            "--time-field", "fs_ingestion_timestamp", "--group-field", "customer_id"])
        #expect(c.definitions == FeatureDefinition.originalOnline)
        #expect(c.window == (try WindowSpec.tumbling(5_000_000)))
        #expect(c.watermarkDelay == 10_000_000)
        #expect(c.inputTable == "/tmp/ifood/data/ingestion/order-events")
        #expect(c.lateTable == "/tmp/ifood/data/aggregations/online/order-agg_late")
        #expect(c.checkpointDir == "/tmp/ifood/data/aggregations/online/order-agg/_fs_checkpoint")
        #expect(c.ignoredFlags == ["--temp-dir"])
        #expect(c.outputMode == .append && !c.availableNow)
    }

    @Test("Single-dash forms, short names and inline --agg work")
    func legacyForms() throws {
        let c = try config(["dev", "-it", "in", "-ot", "out", "-tf", "t", "-af", "k", "-wd", "1 hour", "-wsd", "5 minutes", "-w", "10 minutes",
                            "-output-mode", "update", "--agg", "n=COUNT(*)", "--agg", "s = SUM(x)"])
        #expect(c.window.slice == 5 * minute)
        #expect(c.outputMode == .update)
        #expect(c.definitions.map(\.featureName) == ["n", "s"])
    }

    @Test("Bad flags are usage errors naming the flag", arguments: [
        (["--kafka-topics", "de-order-events"], "--kafka-brokers"),
        (["--kafka-topics", "de-order-events", "--kafka-brokers", "h:1"], "--stream-type"),
        (["--kafka-topics", "t", "--kafka-brokers", "h:1", "--stream-type", "orders"], "not one of"),
        (["--window-duration", "5 parsecs"], "--window-duration"),
        (["--window-slide-duration", "2 hours"], "less than or equal"),
        (["--output-mode", "complete"], "--output-mode"),
        (["--agg", "nothing"], "name=EXPR"),
        (["--watermark", "1 month"], "--watermark"),
    ])
    func badFlags(extra: [String], message: String) throws {
        var args = ["dev", "--input-table", "in", "--output-table", "out", "--time-field", "t", "--agg-field", "k", "--window-duration", "1 hour"]
        if extra.first == "--kafka-topics" || extra.contains("--kafka-topics") { args = ["dev", "--output-table", "out", "--time-field", "t", "--agg-field", "k", "--window-duration", "1 hour"] }
        do {
            _ = try config(args + extra)
            Issue.record("accepted \(extra)")
        } catch let e as UsageError {
            #expect(e.description.contains(message), "\(e)")
        }
    }

    @Test("Parity: every emitted window equals fs-agg-offline's library run over the same [start, end) and definitions")
    func parityWithOfflineJob() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-parity")
        defer { try? FileSystem.removeTree(dir) }
        for v in 0..<6 { try appendVersion(dir + "/in", orders(150, from: v * 150, seed: UInt64(v))) }
        let c = try config(standardArgs(input: dir + "/in", output: dir + "/out"))
        let summary = try runJob(c)
        #expect(summary.counters.eventsIn == 900 && summary.counters.lateEvents == 0)
        var scan = try TableScan(table: DeltaTable(root: dir + "/out"))
        let out = try scan.readAll()
        #expect(out.rowCount > 0)
        #expect(Int64(out.rowCount) == summary.counters.rowsEmitted)
        var seen = Set<String>()
        var offline: [Int64: [String: [Value]]] = [:]
        for i in 0..<out.rowCount {
            let r = out.row(i)
            guard case .string(let key) = r[0], case .timestamp(let start) = r[1], case .timestamp(let end) = r[2] else { Issue.record("row \(r)"); continue }
            #expect(seen.insert("\(key)|\(start)").inserted, "window \(start) of \(key) emitted twice")
            #expect(end - start == 60 * minute)
            // fs-agg-offline's entry point over exactly [start, end), same definitions.
            let expected = try offline[start] ?? {
                let inline = c.definitions.flatMap { d -> [String] in
                    if case .custom(let a) = d { return ["--agg", "\(a.featureName)=\(a.expression)"] }
                    return []
                }
                var oc = try OfflineCommand.parseCommandLine([
                    "dev", "--input-table", dir + "/in", "--output-table", dir + "/offline-\(start)", "--agg-field", "customer_id",
                    "--time-field", "event_time", "--start-date", formatISO8601(micros: start), "--end-date", formatISO8601(micros: end),
                ] + inline).resolve()
                #expect(oc.definitions == c.definitions)
                oc.definitions = c.definitions
                let s = try OfflineJob(config: oc).run()
                #expect(s.rowsInRange > 0)
                var o = try TableScan(table: DeltaTable(root: dir + "/offline-\(start)"))
                let rows = try o.readAll()
                var byKey: [String: [Value]] = [:]
                for j in 0..<rows.rowCount {
                    if case .string(let k) = rows.columns[0][j] { byKey[k] = Array(rows.row(j)[1...c.definitions.count]) }
                }
                return byKey
            }()
            offline[start] = expected
            guard let want = expected[key] else { Issue.record("fs-agg-offline has no row for \(key) in [\(start), \(end))"); continue }
            for (f, v) in zip(want, r[3..<(r.count - 3)]) {
                if case .double(let a) = f, case .double(let b) = v { #expect(abs(a - b) <= 1e-9 * max(1, abs(a)), "\(key) \(start)") } else { #expect(f == v) }
            }
            // Partitioned by the window end's date.
            let date = CivilDate(daysSinceEpoch: daysOf(micros: end))
            #expect(r[r.count - 3] == .int32(Int32(date.year)) && r[r.count - 1] == .int32(Int32(date.day)))
        }
        // Every key the offline job found in a window was emitted for it (no window row missing).
        for (start, byKey) in offline { for key in byKey.keys { #expect(seen.contains("\(key)|\(start)"), "\(key) missing in \(start)") } }
        // Windows still open at the end are not written (append mode) but are in the state.
        #expect(summary.openWindows > 0)
        #expect(summary.bytesPerKeySlice > 0 && summary.bytesPerKeySlice < 1_000)
    }

    @Test("Running in steps while the input grows gives the same output as one run")
    func restartEquivalence() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-steps")
        defer { try? FileSystem.removeTree(dir) }
        for step in 0..<4 {
            for v in 0..<3 { try appendVersion(dir + "/in", orders(80, from: (step * 3 + v) * 80, seed: UInt64(step * 3 + v), jitter: 15 * minute)) }
            _ = try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/stepped")))
            // A rerun with nothing new commits nothing.
            let again = try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/stepped")))
            #expect(again.triggers == 0)
        }
        let whole = try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/whole")))
        // fs-publish needs no flags: the table names its key and time columns.
        let properties = try DeltaTable(root: dir + "/whole").snapshot().metadata.configuration
        #expect(properties["fs.keyColumns"] == "customer_id")
        #expect(properties["fs.timeColumn"] == "window_end")
        #expect(try outputLines(dir + "/stepped") == outputLines(dir + "/whole"))
        #expect(try outputLines(dir + "/stepped_late") == outputLines(dir + "/whole_late"))
        #expect(whole.counters.lateEvents + whole.counters.partiallyLateEvents > 0, "the data should exercise late rows")
    }

    @Test("Late rows land in <output>_late with the reason and the missed window, and are counted")
    func lateTable() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-late")
        defer { try? FileSystem.removeTree(dir) }
        let base: Int64 = 1_600_000_000_000_000
        try appendVersion(dir + "/in", [("a", 1, base + 120 * minute)])
        try appendVersion(dir + "/in", [("a", 2, base), ("b", 3, base + 119 * minute)])
        let args = ["dev", "--input-table", dir + "/in", "--output-table", dir + "/out", "--time-field", "event_time", "--agg-field", "customer_id",
                    "--window-duration", "10 minutes", "--watermark", "5 minutes", "--available-now", "--summary"]
        let s = try runJob(try config(args))
        #expect(s.counters.lateEvents == 1)
        var scan = try TableScan(table: DeltaTable(root: dir + "/out_late"))
        let late = try scan.readAll()
        #expect(late.rowCount == 1)
        #expect(late.column(named: "customer_id")?[0] == .string("a"))
        #expect(late.column(named: "late_reason")?[0] == .string("all windows closed"))
        #expect(late.column(named: "missed_window_start")?[0] == .timestamp(base - base % (10 * minute)))
        #expect(late.column(named: "watermark")?[0] == .timestamp(base + 115 * minute))
    }

    @Test("A state snapshot newer than the committed output (crash before commit) is ignored and removed")
    func staleStateIgnored() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-stale")
        defer { try? FileSystem.removeTree(dir) }
        try appendVersion(dir + "/in", orders(50, from: 0, seed: 1))
        _ = try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/out")))
        let bogus = dir + "/out/_fs_checkpoint/state-00000000000000000099.bin"
        try FileSystem.writeNewFile(bogus, [1, 2, 3])
        try appendVersion(dir + "/in", orders(50, from: 50, seed: 2))
        let s = try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/out")))
        #expect(s.inputVersion == 2)  // v0 created the table, v1 and v2 added rows
        #expect(!FileSystem.exists(bogus))
        // A missing state for the committed version is an error, not a silent restart.
        try FileSystem.removeTree(dir + "/out/_fs_checkpoint")
        #expect(throws: OnlineError.self) { try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/out"))) }
    }

    @Test("SIGTERM while tailing commits what was read and exits 0; nothing is lost or doubled")
    func sigtermStopsCleanly() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-sigterm")
        defer { try? FileSystem.removeTree(dir) }
        try appendVersion(dir + "/in", orders(300, from: 0, seed: 5))
        let p = Process()
        p.executableURL = Binaries.productsDirectory.appendingPathComponent("fs-agg-online")
        var args = standardArgs(input: dir + "/in", output: dir + "/out")
        args.removeAll { $0 == "--available-now" }
        p.arguments = args + ["--trigger-interval", "50 milliseconds", "--summary", "--log-level", "error"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait (generously) until the first trigger is committed, then grow the input once more.
        let deadline = Date().addingTimeInterval(60)
        func committedInput() -> Int64? {
            (try? DeltaTable(root: dir + "/out").snapshot())?.txns.values.first?.version
        }
        while committedInput() != 1 && Date() < deadline && p.isRunning { usleep(50_000) }
        try appendVersion(dir + "/in", orders(300, from: 300, seed: 6))
        while committedInput() != 2 && Date() < deadline && p.isRunning { usleep(50_000) }
        kill(p.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(60)
        while p.isRunning && Date() < stopBy { usleep(50_000) }
        if p.isRunning { Issue.record("fs-agg-online did not stop within 60 s of SIGTERM"); kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let summary = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(summary.contains("\"status\":\"stopped\""), "\(summary)")
        #expect(committedInput() == 2)
        _ = try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/reference")))
        #expect(try outputLines(dir + "/out") == outputLines(dir + "/reference"))
    }

    @Test("kill -9 at random points of the built binary, restarted while the input grows, changes nothing")
    func killLoop() throws {
        let cycles = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 24 : 4
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "online-kill")
        defer { try? FileSystem.removeTree(dir) }
        var rng = SplitMix64(seed: 42)
        let binary = Binaries.productsDirectory.appendingPathComponent("fs-agg-online")
        var killed = 0
        var committedBeforeKill = 0
        for cycle in 0..<cycles {
            try appendVersion(dir + "/in", orders(300, from: cycle * 300, seed: UInt64(100 + cycle), jitter: 12 * minute))
            let p = Process()
            p.executableURL = binary
            p.arguments = standardArgs(input: dir + "/in", output: dir + "/out") + ["--max-versions-per-trigger", "1", "--log-level", "error"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 0...300_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
            committedBeforeKill += (try? DeltaTable(root: dir + "/out").snapshot().version) ?? 0 > 0 ? 1 : 0
        }
        let last = try Binaries.run("fs-agg-online", standardArgs(input: dir + "/in", output: dir + "/out"))
        #expect(last.status == 0, "\(last.stderr)")
        _ = try runJob(try config(standardArgs(input: dir + "/in", output: dir + "/reference")))
        #expect(try outputLines(dir + "/out") == outputLines(dir + "/reference"))
        #expect(try outputLines(dir + "/out_late") == outputLines(dir + "/reference_late"))
        print("kill loop: \(cycles) cycles, \(killed) killed mid-run, output had commits after \(committedBeforeKill)")
    }
}
