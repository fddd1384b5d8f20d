import FSCore
import FSTable
@testable import FSServe
import Foundation
import Testing

/// Reads during a running publish see each publish whole or not at all: every publish below
/// writes one version number into every feature of every key, so a response mixing two numbers
/// (within one vector, or across the keys of one request) is a half-published read.
@Suite struct ConsistencyTests {
    static let publishes = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 1_000 : 40
    static let keys = 20

    static func requestBody(table: String) -> String {
        let ids = (1...keys).map(String.init).joined(separator: ",")
        return #"{"entities":{"customer_id":[\#(ids)]},"features":["\#(table):total-amount-sum-1h","\#(table):order-count-1h","\#(table):last_platform"]}"#
    }

    /// The single version a response shows, or a description of how it mixes versions.
    static func versionOf(_ body: String) throws -> Result<Int64?, Mixed> {
        let p = try ParsedFeastResponse(body)
        var seen = Set<Int64>()
        var found = 0
        for r in 0..<keys {
            let statuses = (1...3).map { p.statuses[$0][r] }
            if statuses.allSatisfy({ $0 == "NOT_FOUND" }) { continue }
            guard statuses.allSatisfy({ $0 == "PRESENT" }) else { return .failure(Mixed("key \(r + 1): statuses \(statuses)")) }
            guard case .double(let a) = p.values[1][r], case .int(let c) = p.values[2][r], case .string(let s) = p.values[3][r] else {
                return .failure(Mixed("key \(r + 1): values \(p.values.map { $0[r] })"))
            }
            guard Int64(a) == c, String(c) == s else { return .failure(Mixed("key \(r + 1): mixed vector \(a), \(c), \(s)")) }
            seen.insert(c)
            found += 1
        }
        if seen.count > 1 { return .failure(Mixed("one request saw versions \(seen.sorted())")) }
        if found != 0 && found != keys { return .failure(Mixed("one request saw \(found) of \(keys) keys of a publish")) }
        return .success(seen.first)
    }

    /// Runs `readers` threads against `service` until `publish` has run `publishes` times.
    static func hammer(_ service: FeatureService, table: String, count: Int = ConsistencyTests.publishes,
                       publish: (Int64) throws -> Void) throws -> (reads: Int, versions: Int, failures: [String]) {
        let body = requestBody(table: table)
        let done = Atomic(false)
        let failures = Locked<[String]>([])
        let reads = Locked(0)
        let versions = Locked(Set<Int64>())
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                var lastVersion: Int64 = 0
                while !done.load() {
                    let r = service.post("/get-online-features", body)
                    guard r.status == 200 else { failures.mutate { $0.append("status \(r.status): \(r.body)") }; continue }
                    switch (try? versionOf(r.body)) ?? .failure(Mixed("unparsable \(r.body)")) {
                    case .failure(let f): failures.mutate { $0.append(f.description) }
                    case .success(let v?):
                        if v < lastVersion { failures.mutate { $0.append("went back from version \(lastVersion) to \(v)") } }
                        lastVersion = v
                        versions.mutate { $0.insert(v) }
                    case .success(nil): break
                    }
                    reads.mutate { $0 += 1 }
                }
            }
        }
        // Each publish waits for reads to have happened since the previous one, so reads and
        // publishes interleave however slowly the reader threads get scheduled.
        for v in 1...Int64(count) {
            let before = reads.value
            let deadline = Date().addingTimeInterval(10)
            while reads.value < before + 2 && Date() < deadline { usleep(100) }
            try publish(v)
        }
        done.store(true)
        group.wait()
        return (reads.value, versions.value.count, failures.value)
    }

    @Test func concurrentReadsDuringSQLitePublishesNeverSeeAMixedVector() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([], version: 0)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)])
        let outcome = try Self.hammer(service, table: SQLiteFixture.table) { v in
            let rows = (1...Int64(Self.keys)).map {
                FixtureRow(customerId: $0, windowEnd: v * 60_000_000, amount: Double(v), count: v, platform: String(v))
            }
            try fixture.publish(rows, version: v)
        }
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
        #expect(outcome.reads > 0)
    }

    @Test func concurrentReadsDuringDeltaCommitsNeverSeeAMixedVector() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let table = try DeltaTable.create(at: dir.path + "/order_agg", schema: DeltaServeTests.schema)
        let writer = try TableWriter(table: table)
        try writer.write(DeltaServeTests.batch((1...Int64(Self.keys)).map { ($0, 0, 0) }))
        _ = try writer.commit()
        let store = DeltaMemoryStore(name: "order_agg", root: table.root)
        try store.refresh()
        let service = FeatureService(sources: [store])
        let outcome = try Self.hammer(service, table: "order_agg") { v in
            try writer.write(DeltaServeTests.batch((1...Int64(Self.keys)).map { ($0, v * 60_000_000, v) }))
            _ = try writer.commit()
            try store.refresh()
        }
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
        #expect(outcome.reads > 0)
    }
}

/// How a response mixed publishes.
struct Mixed: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A value behind a lock, for the test threads.
final class Locked<T>: @unchecked Sendable {
    private var v: T
    private let lock = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}

/// A flag shared by the test threads.
final class Atomic: @unchecked Sendable {
    private let inner: Locked<Bool>
    init(_ v: Bool) { inner = Locked(v) }
    func load() -> Bool { inner.value }
    func store(_ v: Bool) { inner.mutate { $0 = v } }
}

/// The real publisher: `fs-publish --publisher-type sqlite --follow` tails a Delta table whose
/// every commit writes one version number into every feature of every key, while fs-serve's
/// SQLite store is read concurrently.
@Suite(.serialized) struct FollowingPublisherTests {
    static var fsPublish: URL { ServeProcess.binary.deletingLastPathComponent().appendingPathComponent("fs-publish") }

    @Test func readsDuringFsPublishFollowNeverSeeAMixedVector() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let table = try DeltaTable.create(at: dir.path + "/order_agg", schema: DeltaServeTests.schema)
        let writer = try TableWriter(table: table)
        try writer.write(DeltaServeTests.batch((1...Int64(ConsistencyTests.keys)).map { ($0, 60_000_000, 0) }))
        _ = try writer.commit()
        let db = dir.path + "/features.db"
        let publisher = Process()
        publisher.executableURL = Self.fsPublish
        publisher.arguments = ["--publisher-type", "sqlite", "--input-table", table.root, "--sqlite-path", db,
                               "--output-table", "order_agg", "--key-field", "customer_id", "--time-field", "window_end",
                               "--follow", "--trigger-interval", "50ms", "--log-level", "warning"]
        let err = Pipe()
        publisher.standardError = err
        publisher.standardOutput = Pipe()
        try publisher.run()
        defer { if publisher.isRunning { kill(publisher.processIdentifier, SIGKILL) } }

        let store = SQLiteStore(path: db, table: "order_agg")
        let service = FeatureService(sources: [store])
        func waitForVersion(_ v: Int64) {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if store.checkHealth() == .up, let p = store.publishedPosition(), p.version >= v { return }
                usleep(20_000)
            }
        }
        waitForVersion(0)
        #expect(store.checkHealth() == .up)
        let commits = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 300 : 25
        var lastVersion: Int64 = 0
        let outcome = try ConsistencyTests.hammer(service, table: "order_agg", count: commits) { v in
            try writer.write(DeltaServeTests.batch((1...Int64(ConsistencyTests.keys)).map { ($0, (v + 1) * 60_000_000, v) }))
            lastVersion = try writer.commit().version ?? lastVersion
        }
        waitForVersion(lastVersion)
        #expect(store.publishedPosition()?.version == lastVersion)
        let final = try ParsedFeastResponse(service.post("/get-online-features", ConsistencyTests.requestBody(table: "order_agg")).body)
        #expect(final.values[2] == Array(repeating: .int(Int64(commits)), count: ConsistencyTests.keys))
        kill(publisher.processIdentifier, SIGTERM)
        publisher.waitUntilExit()
        #expect(publisher.terminationStatus == 0, "\(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
        #expect(outcome.reads > 0)
    }
}
