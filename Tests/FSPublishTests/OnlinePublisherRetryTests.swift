import FSCore
import Logging
import Testing
@testable import FSJobs
@testable import FSPublish

/// The job loop against a store that is unreachable for a while: retried, then published; or
/// given up with exit 69 once --max-retry-duration has passed.
@Suite struct OnlinePublisherRetryTests {
    typealias F = OnlineTableFixture

    struct Unreachable: CategorizedError {
        var exitStatus: FSCore.ExitStatus { .unavailable }
        var description: String { "store at 127.0.0.1:1 refused the connection" }
    }

    /// Fails its first `failures` openings, then opens the real SQLite store.
    final class FlakyStore: @unchecked Sendable {
        var failures: Int
        var attempts = 0
        init(failures: Int) { self.failures = failures }
        func open(_ config: PublishConfig) throws -> any PublishTarget {
            attempts += 1
            if attempts <= failures { throw Unreachable() }
            return try SQLiteTarget(path: config.connection.sqlitePath!, table: config.outputTable)
        }
    }

    @Test func anUnreachableStoreIsRetriedThenPublished() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        let rows = F.randomRows(30, keys: 5, minuteRange: 0..<50, seed: 41)
        try f.append(rows)
        let store = FlakyStore(failures: 2)
        let config = f.config()
        let summary = try OnlinePublisher(config: config, logger: Logger(label: "t"), shouldStop: { false }) { try store.open(config) }.run()
        #expect(store.attempts == 3)
        #expect(summary.sourceVersion == 1)
        #expect(try F.storeLines(f.database) == F.expectedLines(rows))
    }

    @Test func aStoreStillUnreachableAfterMaxRetryDurationExits69() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        try f.append(F.randomRows(5, keys: 2, minuteRange: 0..<10, seed: 42))
        let store = FlakyStore(failures: .max)
        let config = f.config { $0.maxRetryDuration = .seconds(1) }
        #expect {
            _ = try OnlinePublisher(config: config, logger: Logger(label: "t"), shouldStop: { false }) { try store.open(config) }.run()
        } throws: { ($0 as? CategorizedError)?.exitStatus == .unavailable }
        #expect(store.attempts >= 2)
    }
}
