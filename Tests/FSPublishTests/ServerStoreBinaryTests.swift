import FSCore
import FSTable
import FSTestSupport
import Foundation
import Testing
@testable import FSJobs
@testable import FSPublish

/// One of the server stores, as the fs-publish command line reaches it (flags + password
/// environment) and as the tests read it back (the store's own CLI, in OnlineTableFixture's
/// line format: `key|window_end ISO|amount or NULL|n|vip 1/0`).
enum ServerStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case postgres, mysql, redis

    var testDescription: String { rawValue }

    /// Flags naming the store and `target` (the table or key prefix).
    func arguments(target: String) throws -> [String] {
        switch self {
        case .postgres: return ["--publisher-type", "postgres", "--postgres-url", try StoreServers.postgres().url, "--output-table", target]
        case .mysql:
            let m = try StoreServers.mariadb()
            return ["--publisher-type", "mysql", "--jdbc-hostname", "127.0.0.1", "--jdbc-port", String(m.port),
                    "--jdbc-database", m.database, "--jdbc-user", m.user, "--output-table", target]
        case .redis: return ["--publisher-type", "redis", "--redis-url", try StoreServers.redis().url, "--output-table", target]
        }
    }

    var passwordVariable: String {
        switch self {
        case .postgres: return "PGPASSWORD"
        case .mysql: return "FS_MYSQL_PASSWORD"
        case .redis: return "FS_REDIS_PASSWORD"
        }
    }

    func password() throws -> String {
        switch self {
        case .postgres: return try StoreServers.postgres().password
        case .mysql: return try StoreServers.mariadb().password
        case .redis: return try StoreServers.redis().password ?? ""
        }
    }

    /// The rows the store holds for `target`, sorted, amounts canonicalized.
    func lines(target: String) throws -> [String] {
        let raw: String
        switch self {
        case .postgres:
            raw = try StoreServers.postgres().psql("""
                SELECT customer_id || '|' || to_char(window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|' ||
                       COALESCE("total-amount"::text, 'NULL') || '|' || \(SQLDialect.postgres.quoted("it's \"n\""))::text || '|' || CASE WHEN is_vip THEN '1' ELSE '0' END
                FROM "\(target)"
                """)
        case .mysql:
            raw = try StoreServers.mariadb().sql("""
                SELECT CONCAT(customer_id, '|', DATE_FORMAT(window_end, '%Y-%m-%dT%H:%i:%s.%fZ'), '|',
                       COALESCE(`total-amount`, 'NULL'), '|', `it's "n"`, '|', IF(is_vip, '1', '0'))
                FROM `\(target)`
                """)
        case .redis:
            let script = """
                local out = {}
                for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
                  if k ~= ARGV[2] then
                    local v = redis.call('HMGET', k, 'customer_id', 'window_end', 'total-amount', ARGV[3], 'is_vip')
                    for i = 1, 5 do if not v[i] then v[i] = 'NULL' end end
                    v[5] = (v[5] == 'true') and '1' or '0'
                    out[#out + 1] = table.concat(v, '|')
                  end
                end
                return table.concat(out, '\\n')
                """
            raw = try StoreServers.redis().cli(["EVAL", script, "0", target + ":*", target + ":__fs_publish_state", "it's \"n\""])
        }
        return raw.isEmpty ? [] : raw.split(separator: "\n").map { Self.canonical(String($0)) }.sorted()
    }

    /// The version recorded in the store's state for `target`.
    func publishedVersion(target: String) throws -> Int64? {
        let text: String
        switch self {
        case .postgres: text = try StoreServers.postgres().psql("SELECT version FROM fs_publish_state WHERE target_table = '\(target)'")
        case .mysql: text = try StoreServers.mariadb().sql("SELECT version FROM fs_publish_state WHERE target_table = '\(target)'")
        case .redis: text = try StoreServers.redis().cli(["HGET", target + ":__fs_publish_state", "version"])
        }
        return Int64(text)
    }

    static func canonical(_ line: String) -> String {
        var f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        if f.count > 2, f[2] != "NULL" { f[2] = canonicalDouble(f[2]) }
        return f.joined(separator: "|")
    }
}

/// The built fs-publish binary against the three server stores: batch and re-run, appended
/// commits, follow + SIGTERM, kill -9 loops, credentials.
@Suite struct ServerStoreBinaryTests {
    typealias F = OnlineTableFixture

    func run(_ store: ServerStore, _ f: F, target: String, _ extra: [String] = []) throws -> BinaryRun {
        try Binaries.run("fs-publish", ["--input-table", f.input, "--log-level", "info"] + store.arguments(target: target) + extra,
                         environment: [store.passwordVariable: try store.password()])
    }

    static func summaryValue(_ summary: String, _ key: String) -> Int64? {
        guard let json = try? JSONValue.parse(summary.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return json[key]?.int64Value
    }

    @Test(arguments: ServerStore.allCases)
    func storeEqualsLatestPerKeyReRunWritesNothingAndAnAppendedCommitPublishesOnlyItsRows(_ store: ServerStore) throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        let target = "bin-\(store.rawValue)-\(makeUUID().prefix(8))"
        let a = F.randomRows(300, keys: 40, minuteRange: 0..<500, seed: 41) + F.randomRows(50, keys: 40, minuteRange: 0..<100, seed: 42)
        try f.append(Array(a[0..<300]))
        try f.append(Array(a[300...]))
        let first = try run(store, f, target: target, ["--summary", "--batch-rows", "17"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try store.lines(target: target) == F.expectedLines(a).map(ServerStore.canonical))
        #expect(try store.publishedVersion(target: target) == 2)
        let password = try store.password()
        #expect(!first.stderr.contains(password) && !first.stdout.contains(password))

        let again = try run(store, f, target: target, ["--summary"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.summaryValue(again.stdout, "keysUpserted") == 0, "\(again.stdout)")
        #expect(Self.summaryValue(again.stdout, "rowsRead") == 0, "\(again.stdout)")

        // An appended commit of older rows (a late re-run) and a few newer ones: only its rows are read.
        let b = F.randomRows(30, keys: 40, minuteRange: 0..<50, seed: 43) + F.randomRows(5, keys: 40, minuteRange: 900..<1000, seed: 44)
        try f.append(b)
        let third = try run(store, f, target: target, ["--summary"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(Self.summaryValue(third.stdout, "rowsRead") == Int64(b.count), "\(third.stdout)")
        #expect(try store.lines(target: target) == F.expectedLines(a + b).map(ServerStore.canonical))
        #expect(try store.publishedVersion(target: target) == 3)
    }

    @Test(arguments: ServerStore.allCases)
    func followPicksUpCommitsMadeWhileItRunsAndExits0OnSIGTERM(_ store: ServerStore) throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        let target = "follow-\(store.rawValue)-\(makeUUID().prefix(8))"
        let a = F.randomRows(100, keys: 10, minuteRange: 0..<100, seed: 51)
        try f.append(a)
        let p = Process()
        p.executableURL = Binaries.productsDirectory.appendingPathComponent("fs-publish")
        p.arguments = ["--input-table", f.input, "--log-level", "error", "--follow", "--trigger-interval", "50ms", "--summary"] + (try store.arguments(target: target))
        var env = ProcessInfo.processInfo.environment
        env[store.passwordVariable] = try store.password()
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        func waitFor(_ version: Int64) {
            while (try? store.publishedVersion(target: target)) != version && Date() < deadline && p.isRunning { usleep(50_000) }
        }
        waitFor(1)
        let b = F.randomRows(50, keys: 15, minuteRange: 50..<200, seed: 52)
        try f.append(b)
        waitFor(2)
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
        #expect(try store.lines(target: target) == F.expectedLines(a + b).map(ServerStore.canonical))
    }

    @Test(arguments: ServerStore.allCases)
    func killMinus9AtRandomPointsThenAReRunEqualsTheUninterruptedResult(_ store: ServerStore) throws {
        let cycles = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1" ? 12 : 3
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        let target = "kill-\(store.rawValue)-\(makeUUID().prefix(8))"
        var rng = SplitMix64(seed: 97 &+ UInt64(store.rawValue.count))
        var all: [F.Row] = []
        var killed = 0
        for cycle in 0..<cycles {
            for c in 0..<3 {
                let rows = F.randomRows(400, keys: 300, minuteRange: Int64(cycle * 50)..<Int64(cycle * 50 + 400), seed: UInt64(2000 + cycle * 10 + c))
                all += rows
                try f.append(rows)
            }
            let p = Process()
            p.executableURL = Binaries.productsDirectory.appendingPathComponent("fs-publish")
            p.arguments = ["--input-table", f.input, "--log-level", "error", "--batch-rows", "5"] + (try store.arguments(target: target))
            var env = ProcessInfo.processInfo.environment
            env[store.passwordVariable] = try store.password()
            p.environment = env
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(rng.next() % 250_000))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
        }
        let last = try run(store, f, target: target)
        #expect(last.status == 0, "\(last.stderr)")
        let reference = "ref-\(target)"
        let uninterrupted = try run(store, f, target: reference)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        #expect(try store.lines(target: target) == store.lines(target: reference))
        #expect(try store.lines(target: target) == F.expectedLines(all).map(ServerStore.canonical))
        #expect(try store.publishedVersion(target: target) == Int64(cycles * 3))
        print("\(store) kill loop: \(cycles) cycles, \(killed) killed mid-run")
    }

    @Test(arguments: ServerStore.allCases)
    func aWrongPasswordExits69WithTheServersReasonAndNeverTheSecret(_ store: ServerStore) throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        try f.append(F.randomRows(5, keys: 2, minuteRange: 0..<10, seed: 61))
        let secret = "not-the-password-\(makeUUID().prefix(8))"
        // A long retry budget: a refused password must end the run at once, not be retried.
        let r = try Binaries.run("fs-publish", ["--input-table", f.input, "--max-retry-duration", "30s", "--summary"] + store.arguments(target: "auth"),
                                 environment: [store.passwordVariable: secret])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(!r.stderr.contains("retrying"), "an authentication failure is not retried: \(r.stderr)")
        #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret), "\(r.stderr)")
        let reason = ["postgres": "password authentication failed", "mysql": "Access denied", "redis": "WRONGPASS"][store.rawValue]!
        #expect(r.stderr.contains(reason), "\(r.stderr)")
    }

    @Test(arguments: ServerStore.allCases)
    func anUnreachableServerExits69AfterTheRetryDuration(_ store: ServerStore) throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        try f.append(F.randomRows(5, keys: 2, minuteRange: 0..<10, seed: 62))
        let port = String(try freeLoopbackPort())
        let flags: [String]
        switch store {
        case .postgres: flags = ["--publisher-type", "postgres", "--postgres-url", "postgresql://fs@127.0.0.1:\(port)/fs?connect_timeout=1"]
        case .mysql: flags = ["--publisher-type", "mysql", "--jdbc-hostname", "127.0.0.1", "--jdbc-port", port, "--jdbc-database", "fs", "--jdbc-user", "fs"]
        case .redis: flags = ["--publisher-type", "redis", "--redis-url", "redis://127.0.0.1:\(port)/0"]
        }
        let r = try Binaries.run("fs-publish", ["--input-table", f.input, "--output-table", "down", "--max-retry-duration", "1s"] + flags)
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("127.0.0.1"), "\(r.stderr)")
    }

    @Test func passwordsInFlagValuesAreUsageErrors() throws {
        let pg = try Binaries.run("fs-publish", ["--publisher-type", "postgres", "--input-table", "/tmp/x", "--output-table", "t", "--postgres-url", "postgresql://u:secret@h/db"])
        #expect(pg.status == 64)
        #expect(pg.stderr.contains("PGPASSWORD") && !pg.stderr.contains("secret"), "\(pg.stderr)")
        let rd = try Binaries.run("fs-publish", ["--publisher-type", "redis", "--input-table", "/tmp/x", "--output-table", "t", "--redis-url", "redis://:secret@h:6379/0"])
        #expect(rd.status == 64)
        #expect(rd.stderr.contains("FS_REDIS_PASSWORD") && !rd.stderr.contains("secret"), "\(rd.stderr)")
        let my = try Binaries.run("fs-publish", ["--publisher-type", "mysql", "--input-table", "/tmp/x", "--output-table", "t", "--jdbc-hostname", "h", "--jdbc-database", "d"])
        #expect(my.status == 64)
        #expect(my.stderr.contains("--jdbc-user"), "\(my.stderr)")
    }
}
