import FSTestSupport
import FSCore
import FSTable
import Foundation
import Testing
@testable import FSJobs
@testable import FSPublish

/// The built fs-publish binary with the SQLite store: follow mode, signals, kill -9.
@Suite struct SQLitePublisherBinaryTests {
    typealias F = OnlineTableFixture

    func args(_ f: F, db: String? = nil) -> [String] {
        ["--publisher-type", "sqlite", "--input-table", f.input, "--sqlite-path", db ?? f.database, "--output-table", "features",
         "--log-level", "error"]
    }

    func waitUntil(_ deadline: Date, _ p: Process, _ condition: () -> Bool) {
        while !condition() && Date() < deadline && p.isRunning { usleep(20_000) }
    }

    @Test func followPicksUpCommitsMadeWhileItRunsAndExits0OnSIGTERM() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        let a = F.randomRows(100, keys: 10, minuteRange: 0..<100, seed: 21)
        try f.append(a)
        let p = Process()
        p.executableURL = Binaries.productsDirectory.appendingPathComponent("fs-publish")
        p.arguments = args(f) + ["--follow", "--trigger-interval", "50ms", "--summary"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        waitUntil(deadline, p) { (try? F.publishedVersion(f.database)) == 1 }
        let b = F.randomRows(50, keys: 15, minuteRange: 50..<200, seed: 22)
        try f.append(b)
        waitUntil(deadline, p) { (try? F.publishedVersion(f.database)) == 2 }
        #expect(p.isRunning, "follow mode exited by itself")
        kill(p.processIdentifier, SIGTERM)
        let stopBy = Date().addingTimeInterval(30)
        while p.isRunning && Date() < stopBy { usleep(20_000) }
        if p.isRunning { Issue.record("fs-publish did not stop within 30 s of SIGTERM"); kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let summary = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(stderr)")
        #expect(summary.contains("\"stoppedBySignal\":true"), "\(summary)")
        #expect(summary.contains("\"versionsPublished\":2"), "\(summary)")
        #expect(try F.storeLines(f.database) == F.expectedLines(a + b))
    }

    @Test func killMinus9AtRandomPointsThenAReRunEqualsTheUninterruptedResult() throws {
        let cycles = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 12 : 3
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        var rng = SplitMix64(seed: 77)
        var all: [F.Row] = []
        var killed = 0
        var progress: [String] = []  // published version / rows in the store after each kill
        for cycle in 0..<cycles {
            for c in 0..<3 {
                let rows = F.randomRows(400, keys: 300, minuteRange: Int64(cycle * 50)..<Int64(cycle * 50 + 400), seed: UInt64(1000 + cycle * 10 + c))
                all += rows
                try f.append(rows)
            }
            let p = Process()
            p.executableURL = Binaries.productsDirectory.appendingPathComponent("fs-publish")
            p.arguments = args(f) + ["--batch-rows", "20"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(rng.next() % 400_000))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
            progress.append("v\((try? F.publishedVersion(f.database)).flatMap { $0 }.map(String.init) ?? "-")/\((try? F.storeLines(f.database))?.count ?? 0)")
        }
        let last = try Binaries.run("fs-publish", args(f) + ["--summary"])
        #expect(last.status == 0, "\(last.stderr)")
        let reference = try Binaries.run("fs-publish", args(f, db: f.root + "/reference.db"))
        #expect(reference.status == 0, "\(reference.stderr)")
        #expect(try F.storeLines(f.database) == F.storeLines(f.root + "/reference.db"))
        #expect(try F.storeLines(f.database) == F.expectedLines(all))
        #expect(try F.publishedVersion(f.database) == Int64(cycles * 3))
        print("sqlite kill loop: \(cycles) cycles, \(killed) killed mid-run; store after each: \(progress.joined(separator: " "))")
    }

    @Test func aMissingKeyColumnExits64NamingCloseColumns() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        try f.append(F.randomRows(5, keys: 2, minuteRange: 0..<10, seed: 23))
        let r = try Binaries.run("fs-publish", args(f) + ["--key-field", "customer"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--key-field"), "\(r.stderr)")
        #expect(r.stderr.contains("customer_id"), "\(r.stderr)")
    }

    @Test func aDirectoryThatIsNotADeltaTableExits64() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        let r = try Binaries.run("fs-publish", args(f))
        #expect(r.status == 64)
        #expect(r.stderr.contains("no Delta table"), "\(r.stderr)")
    }

    @Test func sqliteWithoutAPathIsAUsageError() throws {
        let r = try Binaries.run("fs-publish", ["--publisher-type", "sqlite", "--input-table", "/tmp/x", "--output-table", "t"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--sqlite-path"), "\(r.stderr)")
    }
}
