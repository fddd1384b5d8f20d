import FSCore
import FSPublish
import FSTable
@testable import FSServe
import FSTestSupport
import Foundation
import Testing

/// The server stores fs-serve reads: PostgreSQL and Redis.
enum ServerStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case postgres, redis
    var testDescription: String { rawValue }
}

/// A real server store: its URL and password (as the environment gives them to fs-publish).
struct ServerEndpoint {
    var kind: ServerStoreKind
    var url: String
    var password: String?
    var environment: [String: String]

    static func shared(_ kind: ServerStoreKind) throws -> ServerEndpoint {
        switch kind {
        case .postgres:
            let s = try StoreServers.postgres()
            return ServerEndpoint(kind: kind, url: s.url, password: s.password, environment: s.environment)
        case .redis:
            let s = try StoreServers.redis()
            return ServerEndpoint(kind: kind, url: s.url, password: s.password, environment: s.environment)
        }
    }

    /// The fs-serve source for `table` of this store.
    func store(table: String) throws -> any FeatureSource {
        switch kind {
        case .postgres: return try PostgresStore(url: url, password: password, table: table)
        case .redis: return try RedisStore(url: url, password: password, prefix: table)
        }
    }
}

/// A table published into a server store by fs-publish's own target (`PostgresTarget`,
/// `RedisTarget`): the layout fs-serve reads is exactly the one the publisher writes.
final class PublishedFixture {
    let target: any PublishTarget

    static func layout(_ table: String) -> PublishLayout {
        PublishLayout(target: table, sourceTableId: "source-id", sourcePath: "/tmp/source",
                      keyColumns: [Field("customer_id", .int64, isNullable: false)], timeColumn: Field("window_end", .timestamp),
                      featureColumns: [Field("total-amount-sum-1h", .double), Field("order-count-1h", .int64), Field("last_platform", .string)])
    }

    init(_ endpoint: ServerEndpoint, table: String) throws {
        switch endpoint.kind {
        case .postgres: target = try PostgresTarget(.init(url: endpoint.url, password: endpoint.password, maxRetryDuration: .zero))
        case .redis: target = RedisTarget(try .init(url: endpoint.url, password: endpoint.password, maxRetryDuration: .zero))
        }
        try target.prepare(Self.layout(table))
    }

    func publish(_ rows: [FixtureRow], version: Int64) throws {
        let batch = RecordBatch(schema: Self.layout("").schema, columns: [
            Column(.int64, rows.map { .int64($0.customerId) }),
            Column(.timestamp, rows.map { .timestamp($0.windowEnd) }),
            Column(.double, rows.map { $0.amount.map(Value.double) ?? .null }),
            Column(.int64, rows.map { $0.count.map(Value.int64) ?? .null }),
            Column(.string, rows.map { $0.platform.map(Value.string) ?? .null }),
        ])
        _ = try target.publish(batch, recordingVersion: version)
    }

    func close() { target.close() }
}

/// A table name no other test uses (the shared servers outlive a test).
func uniqueTable() -> String { "serve_" + UUID().uuidString.prefix(8).lowercased() }

@Suite(.serialized) struct ServerStoreServeTests {
    @Test(arguments: ServerStoreKind.allCases)
    func onlineFeaturesAnswerEqualsThePublishedRowsForHitsAndMisses(_ kind: ServerStoreKind) throws {
        let endpoint = try ServerEndpoint.shared(kind)
        let table = uniqueTable()
        let fixture = try PublishedFixture(endpoint, table: table)
        defer { fixture.close() }
        let rows = SQLiteServeTests.fixtureRows(count: 40, seed: 7)
        try fixture.publish(rows, version: 3)
        let store = try endpoint.store(table: table)
        let service = FeatureService(sources: [store])
        #expect(store.checkHealth() == .up)
        #expect(store.publishedPosition()?.version == 3)

        let byId = Dictionary(uniqueKeysWithValues: rows.map { ($0.customerId, $0) })
        var ids: [Int64] = rows.map(\.customerId) + [0, 2, 999_999, -5]
        var rng = SplitMix64(seed: 11)
        ids.shuffle(using: &rng)
        let entityJSON = ids.enumerated().map { $0.offset % 2 == 0 ? String($0.element) : "\"\($0.element)\"" }.joined(separator: ",")
        let body = """
            {"entities":{"customer_id":[\(entityJSON),"not-a-number"]},"features":["\(table):total-amount-sum-1h","\(table):order-count-1h","\(table):last_platform"]}
            """
        let response = service.post("/get-online-features", body)
        #expect(response.status == 200, "\(response.body)")
        let parsed = try ParsedFeastResponse(response.body)
        #expect(parsed.featureNames == ["customer_id", "total-amount-sum-1h", "order-count-1h", "last_platform"])
        let amount = try #require(parsed.column("total-amount-sum-1h")), count = try #require(parsed.column("order-count-1h"))
        let platform = try #require(parsed.column("last_platform"))
        // A key that cannot be a BIGINT is a miss, not an error.
        #expect(parsed.statuses[amount].last == "NOT_FOUND")
        for (r, id) in ids.enumerated() {
            guard let row = byId[id] else {
                for c in [amount, count, platform] {
                    #expect(parsed.values[c][r] == .null)
                    #expect(parsed.statuses[c][r] == "NOT_FOUND", "customer \(id)")
                }
                continue
            }
            // Both stores keep the double's bits (-0.0 included): the answer is the published value.
            let gotAmount = parsed.values[amount][r]
            switch (gotAmount, row.amount) {
            case (.double(let g), let e?): #expect(g == e && g.sign == e.sign, "customer \(id): amount \(g) != \(e)")
            case (.int(let g), let e?): #expect(Double(g) == e, "customer \(id): amount \(g) != \(e)")
            default: #expect(gotAmount == .null && row.amount == nil, "customer \(id): amount \(gotAmount) != \(String(describing: row.amount))")
            }
            #expect(parsed.values[count][r] == (row.count.map { .int($0) } ?? .null), "customer \(id)")
            #expect(parsed.values[platform][r] == (row.platform.map { .string($0) } ?? .null), "customer \(id)")
            #expect(parsed.statuses[amount][r] == (row.amount == nil ? "NULL_VALUE" : "PRESENT"))
            #expect(parsed.statuses[platform][r] == (row.platform == nil ? "NULL_VALUE" : "PRESENT"))
            let ts = try #require(parseTimestamp(parsed.timestamps[count][r]))
            #expect(ts == row.windowEnd, "customer \(id): \(parsed.timestamps[count][r])")
        }

        // One vector by path, and a miss.
        let one = service.get("/features/\(table)/\(rows[3].customerId)")
        #expect(one.status == 200, "\(one.body)")
        #expect(service.get("/features/\(table)/424242").status == 404)
    }

    @Test(arguments: ServerStoreKind.allCases)
    func aTableNeverPublishedIsUnavailableUntilItIs(_ kind: ServerStoreKind) throws {
        let endpoint = try ServerEndpoint.shared(kind)
        let table = uniqueTable()
        let store = try endpoint.store(table: table)
        let service = FeatureService(sources: [store])
        #expect(service.get("/health").status == 503)
        let fixture = try PublishedFixture(endpoint, table: table)
        defer { fixture.close() }
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 60_000_000, amount: 1, count: 1, platform: "a")], version: 0)
        // The pool waits a moment after a failed attempt before connecting again.
        let deadline = Date().addingTimeInterval(5)
        while service.get("/health").status != 200 && Date() < deadline { usleep(50_000) }
        #expect(service.get("/health").status == 200)
        #expect(service.get("/features/\(table)/1").status == 200)
    }

    @Test(arguments: ServerStoreKind.allCases)
    func concurrentReadsDuringPublishesNeverSeeAMixedVector(_ kind: ServerStoreKind) throws {
        let endpoint = try ServerEndpoint.shared(kind)
        let table = uniqueTable()
        let fixture = try PublishedFixture(endpoint, table: table)
        defer { fixture.close() }
        try fixture.publish([], version: 0)
        let service = FeatureService(sources: [try endpoint.store(table: table)])
        let outcome = try ConsistencyTests.hammer(service, table: table) { v in
            let rows = (1...Int64(ConsistencyTests.keys)).map {
                FixtureRow(customerId: $0, windowEnd: v * 60_000_000, amount: Double(v), count: v, platform: String(v))
            }
            try fixture.publish(rows, version: v)
        }
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
        #expect(outcome.reads > 0)
    }

    /// A dedicated server (the shared ones must keep running), stopped and started again on the
    /// same port: 503 while it is gone, 200 once it is back and published again.
    @Test(arguments: ServerStoreKind.allCases)
    func answers503WhileTheServerIsStoppedAnd200AfterItRestarts(_ kind: ServerStoreKind) throws {
        var stop: () -> Void
        var restart: () throws -> ServerEndpoint
        let endpoint: ServerEndpoint
        switch kind {
        case .postgres:
            let s = try PostgresServer.start()
            endpoint = ServerEndpoint(kind: kind, url: s.url, password: s.password, environment: s.environment)
            stop = s.stop
            restart = {
                let again = try PostgresServer.start(password: s.password, port: s.port)
                stop = again.stop
                return ServerEndpoint(kind: kind, url: again.url, password: again.password, environment: again.environment)
            }
        case .redis:
            let s = try RedisServer.start()
            endpoint = ServerEndpoint(kind: kind, url: s.url, password: s.password, environment: s.environment)
            stop = s.stop
            restart = {
                let again = try RedisServer.start(password: s.password, port: s.port)
                stop = again.stop
                return ServerEndpoint(kind: kind, url: again.url, password: again.password, environment: again.environment)
            }
        }
        defer { stop() }
        let table = uniqueTable()
        let row = FixtureRow(customerId: 7, windowEnd: 60_000_000, amount: 2.5, count: 3, platform: "IOS")
        let fixture = try PublishedFixture(endpoint, table: table)
        try fixture.publish([row], version: 1)
        fixture.close()
        let service = FeatureService(sources: [try endpoint.store(table: table)])
        #expect(service.get("/features/\(table)/7").status == 200)
        #expect(service.get("/health").status == 200)

        stop()
        #expect(service.get("/features/\(table)/7").status == 503)
        #expect(service.get("/health").status == 503)

        let back = try restart()
        #expect(back.url == endpoint.url)
        let again = try PublishedFixture(back, table: table)
        defer { again.close() }
        try again.publish([row], version: 1)
        let deadline = Date().addingTimeInterval(10)
        while service.get("/health").status != 200 && Date() < deadline { usleep(50_000) }
        #expect(service.get("/health").status == 200)
        let answer = service.get("/features/\(table)/7")
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.body.contains("\"IOS\""), "\(answer.body)")
    }
}

/// A real `fs-publish --follow` into PostgreSQL or Redis, committing a new version of every key
/// while fs-serve's store is read concurrently: no read mixes two publishes.
@Suite(.serialized) struct FollowingServerPublisherTests {
    @Test(arguments: ServerStoreKind.allCases)
    func readsDuringFsPublishFollowNeverSeeAMixedVector(_ kind: ServerStoreKind) throws {
        let endpoint = try ServerEndpoint.shared(kind)
        let dir = TempDir()
        defer { dir.remove() }
        let name = uniqueTable()
        let table = try DeltaTable.create(at: dir.path + "/" + name, schema: DeltaServeTests.schema)
        let writer = try TableWriter(table: table)
        try writer.write(DeltaServeTests.batch((1...Int64(ConsistencyTests.keys)).map { ($0, 60_000_000, 0) }))
        _ = try writer.commit()
        let publisher = Process()
        publisher.executableURL = FollowingPublisherTests.fsPublish
        let storeFlags = kind == .postgres ? ["--publisher-type", "postgres", "--postgres-url", endpoint.url]
                                           : ["--publisher-type", "redis", "--redis-url", endpoint.url]
        publisher.arguments = storeFlags + ["--input-table", table.root, "--output-table", name, "--key-field", "customer_id",
                                            "--time-field", "window_end", "--follow", "--trigger-interval", "50ms", "--log-level", "warning"]
        publisher.environment = ProcessInfo.processInfo.environment.merging(endpoint.environment) { $1 }
        let err = Pipe()
        publisher.standardError = err
        publisher.standardOutput = Pipe()
        try publisher.run()
        defer { if publisher.isRunning { kill(publisher.processIdentifier, SIGKILL) } }

        let store = try endpoint.store(table: name)
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
        let outcome = try ConsistencyTests.hammer(service, table: name, count: commits) { v in
            try writer.write(DeltaServeTests.batch((1...Int64(ConsistencyTests.keys)).map { ($0, (v + 1) * 60_000_000, v) }))
            lastVersion = try writer.commit().version ?? lastVersion
        }
        waitForVersion(lastVersion)
        #expect(store.publishedPosition()?.version == lastVersion)
        let final = try ParsedFeastResponse(service.post("/get-online-features", ConsistencyTests.requestBody(table: name)).body)
        try #require(final.values.count == 4, "\(final)")
        #expect(final.values[2] == Array(repeating: .int(Int64(commits)), count: ConsistencyTests.keys))
        kill(publisher.processIdentifier, SIGTERM)
        publisher.waitUntilExit()
        #expect(publisher.terminationStatus == 0, "\(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
        #expect(outcome.reads > 0)
    }
}

/// Composite keys with text parts that need escaping in a PostgreSQL array literal (`"`, `\`,
/// `,`, `{}`) and in a Redis key (`:`, `\`, a leading `_`), plus non-ASCII and empty text.
@Suite(.serialized) struct CompositeKeyServeTests {
    static let parts = ["plain", "a:b", "quote\"d", "back\\slash", "_under", "comma,{brace}", "ñandú ✓", "", "NULL"]

    @Test(arguments: ServerStoreKind.allCases)
    func compositeKeysWithSpecialCharactersAnswerTheirOwnRows(_ kind: ServerStoreKind) throws {
        let endpoint = try ServerEndpoint.shared(kind)
        let table = uniqueTable()
        let layout = PublishLayout(target: table, sourceTableId: "source-id", sourcePath: "/tmp/source",
                                   keyColumns: [Field("customer_id", .int64, isNullable: false), Field("platform", .string, isNullable: false)],
                                   timeColumn: Field("window_end", .timestamp), featureColumns: [Field("orders", .int64)])
        let target: any PublishTarget = switch kind {
        case .postgres: try PostgresTarget(.init(url: endpoint.url, password: endpoint.password, maxRetryDuration: .zero))
        case .redis: RedisTarget(try .init(url: endpoint.url, password: endpoint.password, maxRetryDuration: .zero))
        }
        defer { target.close() }
        try target.prepare(layout)
        // Row i: (7, parts[i]) with orders = i; customer 8 has only "plain".
        let keys = Self.parts.map { (Int64(7), $0) } + [(8, "plain")]
        let batch = RecordBatch(schema: layout.schema, columns: [
            Column(.int64, keys.map { .int64($0.0) }),
            Column(.string, keys.map { .string($0.1) }),
            Column(.timestamp, keys.map { _ in .timestamp(60_000_000) }),
            Column(.int64, keys.indices.map { .int64(Int64($0)) }),
        ])
        _ = try target.publish(batch, recordingVersion: 1)
        let service = FeatureService(sources: [try endpoint.store(table: table)])

        // Every published key, then misses: a part of one key with the other's customer, and
        // texts an unescaped encoding would confuse with a published key.
        let asked = keys + [(8, "a:b"), (7, "a"), (7, "quote"), (7, "_under\\")]
        func json(_ s: String) -> String { var out = ""; JSONValue.writeString(s, to: &out); return out }
        let body = """
            {"entities":{"customer_id":[\(asked.map { String($0.0) }.joined(separator: ","))],"platform":[\(asked.map { json($0.1) }.joined(separator: ","))]},"features":["\(table):orders"]}
            """
        let response = service.post("/get-online-features", body)
        #expect(response.status == 200, "\(response.body)")
        let parsed = try ParsedFeastResponse(response.body)
        let orders = try #require(parsed.column("orders"))
        for (r, key) in asked.enumerated() {
            if r < keys.count {
                #expect(parsed.values[orders][r] == .int(Int64(r)), "key \(key)")
                #expect(parsed.statuses[orders][r] == "PRESENT", "key \(key)")
            } else {
                #expect(parsed.statuses[orders][r] == "NOT_FOUND", "key \(key)")
            }
        }
    }
}

/// The built binary with `--store postgres:URL` / `redis:URL`: the password comes from the
/// environment fs-publish reads it from (PGPASSWORD, FS_REDIS_PASSWORD) and is never logged.
@Suite(.serialized) struct ServerStoreProcessTests {
    @Test(arguments: ServerStoreKind.allCases)
    func theBinaryServesTheStoreWithThePasswordFromTheEnvironment(_ kind: ServerStoreKind) throws {
        let endpoint = try ServerEndpoint.shared(kind)
        let table = uniqueTable()
        let fixture = try PublishedFixture(endpoint, table: table)
        defer { fixture.close() }
        try fixture.publish([FixtureRow(customerId: 7, windowEnd: 1_547_730_300_000_000, amount: 2.5, count: 3, platform: "IOS")], version: 1)
        let server = try ServeProcess(["--store", "\(kind.rawValue):\(endpoint.url)", "--table", table, "--log-level", "debug"],
                                      environment: endpoint.environment)
        let c = try RawHTTPConnection(port: server.port)
        c.send(RawHTTPConnection.post("/get-online-features", #"{"entities":{"customer_id":[7,8]},"features":["\#(table):last_platform"]}"#))
        let answer = try #require(c.readResponse())
        #expect(answer.status == 200, "\(answer.body)")
        let parsed = try ParsedFeastResponse(answer.body)
        #expect(parsed.values.last == [.string("IOS"), .null])
        #expect(parsed.statuses.last == ["PRESENT", "NOT_FOUND"])
        server.terminate()
        let end = server.wait()
        #expect(end.status == 0, "\(end.stderr)")
        if let password = endpoint.password { #expect(!end.stderr.contains(password)) }
    }
}
