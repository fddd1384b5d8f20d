import FSCore
import Foundation
import Testing
@testable import FSTable

/// The built `fs-table` next to the test bundle (swift test builds every product).
func fsTableBinary() throws -> String {
    let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("fs-table").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    throw TableError.notADataset(path: exe, reason: "fs-table binary not found next to the test bundle; run `swift build` first")
}

/// Runs fs-table to completion; returns (exit status, stdout).
@discardableResult
func runTool(_ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try fsTableBinary())
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.serialized) struct ProcessTests {
    @Test func twoProcessesRacingForTheSameVersionsLoseNothing() throws {
        let dir = try ScratchDirectory()
        let table = dir.sub("t")
        #expect(try runTool(["write-sample", table, "--rows", "0", "--commits", "1", "--checkpoint-interval", "7"]).0 == 0)
        let perProcess = 40
        let procs = try (0..<2).map { k -> (Process, Pipe) in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: try fsTableBinary())
            p.arguments = ["race-append", table, String(perProcess), "--id-base", String(k * 1000)]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            return (p, pipe)
        }
        var lost: Int64 = 0
        var versions: [Int64] = []
        for (p, pipe) in procs {
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            let json = try JSONValue.parse(text.trimmingCharacters(in: .whitespacesAndNewlines))
            lost += json["lostRaces"]?.int64Value ?? 0
            versions += json["versions"]?.arrayValue?.compactMap(\.int64Value) ?? []
        }
        // Every commit got its own version: none shared, none lost.
        #expect(versions.count == 2 * perProcess)
        #expect(Set(versions).count == versions.count)
        let t = try DeltaTable.open(at: table)
        let s = try t.snapshot()
        #expect(s.version == Int64(1 + 2 * perProcess))
        var scan = try TableScan(snapshot: s, columns: ["id"])
        let ids = try scan.readAll().column(named: "id")?.int64s?.sorted() ?? []
        let expectedIDs: [Int64] = (0..<perProcess).map { Int64($0) } + (0..<perProcess).map { Int64(1000 + $0) }
        #expect(ids == expectedIDs)
        let checkpoints: [Int64] = try LogReplay.list(t.log).checkpoints.map(\.version)
        let expectedCheckpoints: [Int64] = Array(stride(from: Int64(7), through: s.version, by: 7))
        #expect(checkpoints == expectedCheckpoints)
        print("commit race: \(2 * perProcess) commits, \(lost) lost races retried")
    }

    @Test func twoIdenticalWritersRacingFromCreationCommitEachBatchExactlyOnce() throws {
        for attempt in 0..<3 {
            let dir = try ScratchDirectory()
            let table = dir.sub("t\(attempt)")
            // Both create the table (racing for version 0) and write the same txn-tagged batches.
            let procs = try (0..<2).map { _ -> Process in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: try fsTableBinary())
                p.arguments = ["write-sample", table, "--rows", "90", "--commits", "6", "--checkpoint-interval", "4"]
                p.standardOutput = FileHandle.nullDevice
                try p.run()
                return p
            }
            for p in procs { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
            let t = try DeltaTable.open(at: table)
            let s = try t.snapshot()
            #expect(s.txnVersion(appId: "fs-table/write-sample") == 5)
            var scan = try TableScan(snapshot: s, columns: ["id"])
            #expect(sortedIDs(try scan.readAll()) == (0..<90).map { Int64($0) })
            #expect(try FileSystem.listDirectory(t.log.logDirectory).filter { $0.hasSuffix(".tmp") }.isEmpty)
        }
    }

    @Test(arguments: ["staged", "placed"])
    func killNineDuringAWriteLeavesNothingVisibleAndTheNextWriterCleansUp(point: String) throws {
        let dir = try ScratchDirectory()
        let table = dir.sub("t")
        #expect(try runTool(["write-sample", table, "--rows", "20", "--commits", "1"]).0 == 0)
        let before = try DeltaTable.open(at: table).snapshot()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try fsTableBinary())
        p.arguments = ["hang-write", table, "500", "--at", point]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let line = pipe.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).hasPrefix(point))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)

        let t = try DeltaTable.open(at: table)
        let after = try t.snapshot()
        #expect(after.version == before.version && after.files == before.files)
        let leftovers = { try FileSystem.walkFiles(table).filter { !$0.hasPrefix("_delta_log") && before.files[$0] == nil } }
        #expect(try !leftovers().isEmpty)
        // A writer with the default grace period leaves young orphans alone…
        _ = try TableWriter(table: t)
        #expect(try !leftovers().isEmpty)
        // …one past the grace period deletes what is staged; placed files are vacuum's.
        var o = TableWriterOptions()
        o.orphanGracePeriodMillis = -1_000
        let w = try TableWriter(table: t, options: o)
        #expect(w.cleanedOrphans.isEmpty == (point == "placed"))
        #expect(try leftovers().allSatisfy { !$0.hasPrefix("_staging/") })
        _ = try Vacuum(table: DeltaTable(root: table, clock: FixedWallClock(micros: SystemWallClock().nowMicros() + 2_000_000)), retentionMillis: 0, isForced: true).run()
        #expect(try leftovers().isEmpty)
        var scan = try TableScan(table: t)
        #expect(try scan.readAll().rowCount == 20)
    }

    @Test func dumpPrintsOneJSONObjectPerRowInSchemaOrder() throws {
        let dir = try ScratchDirectory()
        let table = dir.sub("t")
        let (status, info) = try runTool(["write-sample", table, "--rows", "60", "--commits", "3", "--checkpoint-interval", "2"])
        #expect(status == 0)
        let infoJSON = try JSONValue.parse(info.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(infoJSON["version"]?.int64Value == 3 && infoJSON["numRecords"]?.int64Value == 60 && infoJSON["checkpoints"] == .array([.int(2)]))
        let (s2, dump) = try runTool(["dump", table, "--columns", "id,amount,ts,fs_day,name,day"])
        #expect(s2 == 0)
        let lines = dump.split(separator: "\n")
        #expect(lines.count == 60)
        let first = try JSONValue.parse(String(lines[0]))
        #expect(first.objectValue?.map(\.0) == ["id", "amount", "ts", "fs_day", "name", "day"])
        #expect(dump.contains("\"amount\":\"NaN\"") && dump.contains("\"amount\":-0.0") && dump.contains("\"amount\":\"-Infinity\""))
        #expect(dump.contains("\"name\":\"São Paulo\"") && dump.contains("\"name\":\"\""))
        #expect(dump.contains(#""ts":"2019-01-30T00:00:00.000000Z""#))
        let (s3, _) = try runTool(["dump", table, "--columns", "nope"])
        #expect(s3 == 64)
        let (s4, _) = try runTool(["frobnicate"])
        #expect(s4 == 64)
    }
}
