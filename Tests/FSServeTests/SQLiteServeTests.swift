import FSCore
@testable import FSServe
import Foundation
import Testing

/// fs-serve over a SQLite store laid out as fs-publish writes it: the answer equals the store.
@Suite struct SQLiteServeTests {
    /// Rows with every edge the JSON must carry: NULLs, NaN, ±0.0, empty and non-ASCII text.
    static func fixtureRows(count: Int, seed: UInt64) -> [FixtureRow] {
        var rng = SplitMix64(seed: seed)
        let base: Int64 = 1_547_730_300_000_000  // 2019-01-17T13:05:00Z
        var rows: [FixtureRow] = []
        for i in 0..<count {
            let r = rng.next()
            let amount: Double? = switch i % 7 { case 0: nil; case 1: -0.0; case 2: 0.1 + 0.2; default: Double(r % 100_000) / 100 }
            let platform: String? = switch i % 5 { case 0: nil; case 1: ""; case 2: "IOS ✓ \"quoted\"\n"; default: "ANDROID" }
            rows.append(FixtureRow(customerId: Int64(i * 3 + 1), windowEnd: base + Int64(i) * 60_000_000 + (i % 3 == 0 ? 0 : 123_456),
                                   amount: amount, count: i % 4 == 0 ? nil : Int64(r % 50), platform: platform))
        }
        return rows
    }

    @Test func onlineFeaturesAnswerEqualsTheStoreRowsForHitsAndMisses() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        let rows = Self.fixtureRows(count: 40, seed: 7)
        try fixture.publish(rows, version: 3)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)])

        // Every stored key, a few never published, in a shuffled order, as numbers and as strings.
        let byId = Dictionary(uniqueKeysWithValues: rows.map { ($0.customerId, $0) })
        var ids: [Int64] = rows.map(\.customerId) + [0, 2, 999_999, -5]
        var rng = SplitMix64(seed: 11)
        ids.shuffle(using: &rng)
        let entityJSON = ids.enumerated().map { $0.offset % 2 == 0 ? String($0.element) : "\"\($0.element)\"" }.joined(separator: ",")
        let body = """
            {"entities":{"customer_id":[\(entityJSON)]},"features":["order_agg:total-amount-sum-1h","order_agg:order-count-1h","order_agg:last_platform"]}
            """
        let response = service.post("/get-online-features", body)
        #expect(response.status == 200, "\(response.body)")
        let parsed = try ParsedFeastResponse(response.body)
        #expect(parsed.featureNames == ["customer_id", "total-amount-sum-1h", "order-count-1h", "last_platform"])
        let amount = try #require(parsed.column("total-amount-sum-1h")), count = try #require(parsed.column("order-count-1h"))
        let platform = try #require(parsed.column("last_platform"))
        for (r, id) in ids.enumerated() {
            #expect(parsed.statuses[0][r] == "PRESENT")
            #expect(parsed.timestamps[0][r] == "1970-01-01T00:00:00Z")
            guard let row = byId[id] else {
                for c in [amount, count, platform] {
                    #expect(parsed.values[c][r] == .null)
                    #expect(parsed.statuses[c][r] == "NOT_FOUND")
                    #expect(parsed.timestamps[c][r] == "1970-01-01T00:00:00Z")
                }
                continue
            }
            let expectedAmount: JSONValue = row.amount.map { .double($0) } ?? .null
            let gotAmount = parsed.values[amount][r]
            if case .double(let g) = gotAmount, let e = row.amount {
                // SQLite keeps an integral REAL as an integer, so -0.0 comes back as 0.0: the
                // answer equals what the store holds, and the sign survives for non-zero values.
                #expect(g == e && (e == 0 || g.sign == e.sign), "customer \(id): amount \(g) != \(e)")
            } else if case .int(let g) = gotAmount, let e = row.amount {
                #expect(Double(g) == e, "customer \(id): amount \(g) != \(e)")
            } else {
                #expect(gotAmount == expectedAmount, "customer \(id)")
            }
            #expect(parsed.values[count][r] == (row.count.map { .int($0) } ?? .null))
            #expect(parsed.values[platform][r] == (row.platform.map { .string($0) } ?? .null))
            #expect(parsed.statuses[amount][r] == (row.amount == nil ? "NULL_VALUE" : "PRESENT"))
            #expect(parsed.statuses[platform][r] == (row.platform == nil ? "NULL_VALUE" : "PRESENT"))
            let ts = try #require(parseTimestamp(parsed.timestamps[count][r]))
            #expect(ts == row.windowEnd, "customer \(id): \(parsed.timestamps[count][r])")
        }
    }

    @Test func oneVectorRouteReturnsTheRowAsAnObjectAndNotFoundFor404() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        let row = FixtureRow(customerId: 42, windowEnd: 1_547_730_300_000_000, amount: 12.5, count: 3, platform: "IOS")
        try fixture.publish([row], version: 1)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)])

        let hit = service.get("/features/order_agg/42")
        #expect(hit.status == 200)
        let json = try JSONValue.parse(hit.body)
        #expect(json["customer_id"] == .int(42))
        #expect(json["window_end"] == .string("2019-01-17T13:05:00Z"))
        #expect(json["total-amount-sum-1h"] == .double(12.5))
        #expect(json["order-count-1h"] == .int(3))
        #expect(json["last_platform"] == .string("IOS"))

        let miss = service.get("/features/order_agg/43")
        #expect(miss.status == 404)
        #expect(try JSONValue.parse(miss.body)["status"] == .string("NOT_FOUND"))
        #expect(service.get("/features/nope/42").status == 422)
        #expect(service.get("/features/order_agg").status == 422)
    }

    @Test func bearerTokenIsRequiredOnEveryRouteButHealth() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 1, platform: "x")], version: 1)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)], authToken: "s3cret")
        let body = #"{"entities":{"customer_id":[1]},"features":["order_agg:order-count-1h"]}"#
        #expect(service.post("/get-online-features", body).status == 401)
        #expect(service.post("/get-online-features", body, authorization: "Bearer wrong").status == 401)
        #expect(service.post("/get-online-features", body, authorization: "Bearer s3cret2").status == 401)
        #expect(service.post("/get-online-features", body, authorization: "s3cret").status == 401)
        #expect(service.post("/get-online-features", body, authorization: "Bearer s3cret").status == 200)
        #expect(service.get("/features/order_agg/1").status == 401)
        #expect(service.get("/metrics").status == 401)
        #expect(service.get("/health").status == 200)
        #expect(!service.post("/get-online-features", body).body.contains("s3cret"))
    }

    /// (body, status): oversized bodies 413, malformed or out-of-limit requests 422.
    static let badRequests: [(String, Int)] = [
        ("", 422),
        ("not json", 422),
        ("[1,2]", 422),
        (#"{"entities":{"customer_id":[1]}}"#, 422),
        (#"{"features":["order_agg:order-count-1h"]}"#, 422),
        (#"{"entities":{"customer_id":[1]},"features":[]}"#, 422),
        (#"{"entities":{"customer_id":1},"features":["order_agg:order-count-1h"]}"#, 422),
        (#"{"entities":{"customer_id":[1],"other":[1,2]},"features":["order_agg:order-count-1h"]}"#, 422),
        (#"{"entities":{"customer_id":[[1]]},"features":["order_agg:order-count-1h"]}"#, 422),
        (#"{"entities":{"customer_id":[1]},"features":["order_agg:no-such-feature"]}"#, 422),
        (#"{"entities":{"customer_id":[1]},"features":["order_agg:customer_id"]}"#, 422),
        (#"{"entities":{"customer_id":[1]},"features":["other_table:x"]}"#, 422),
        (#"{"entities":{"id":[1]},"features":["order_agg:order-count-1h"]}"#, 422),
        (#"{"entities":{"customer_id":[1]},"features":["order_agg:x\"; DROP TABLE order_agg; --"]}"#, 422),
        (#"{"entities":{"customer_id":[1]},"feature_service":"svc","features":["order_agg:order-count-1h"]}"#, 422),
        (#"{"entities":{"customer_id":[1,2,3,4,5,6]},"features":["order_agg:order-count-1h"]}"#, 422),
        (#"{"entities":{"customer_id":[1]},"features":["order_agg:order-count-1h"],"pad":"\#(String(repeating: "x", count: 600))"}"#, 413),
    ]

    @Test(arguments: badRequests)
    func oversizedOrMalformedRequestsAreRefusedWithTheirStatus(_ body: String, _ status: Int) throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 1, platform: "x")], version: 1)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)],
                                     limits: ServeLimits(maxRequestBytes: 512, maxKeys: 5))
        let response = service.post("/get-online-features", body)
        #expect(response.status == status, "\(body) → \(response.body)")
        #expect(try JSONValue.parse(response.body)["error"]?.stringValue != nil)
        // The store is intact and still answers.
        let ok = service.post("/get-online-features", #"{"entities":{"customer_id":[1]},"features":["order_agg:order-count-1h"]}"#)
        #expect(ok.status == 200)
    }

    @Test func healthIs503WhileTheStoreIsGoneAnd200WhenItReturns() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let path = dir.path + "/features.db"
        let fixture = try SQLiteFixture(path: path)
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 7, platform: "x")], version: 1)
        fixture.close()
        let service = FeatureService(sources: [SQLiteStore(path: path, table: SQLiteFixture.table)])
        let body = #"{"entities":{"customer_id":[1]},"features":["order_agg:order-count-1h"]}"#
        #expect(service.get("/health").status == 200)
        #expect(service.post("/get-online-features", body).status == 200)

        // The store goes away (moved aside, as a restore or an operator would).
        for suffix in ["", "-wal", "-shm"] { rename(path + suffix, path + ".away" + suffix) }
        #expect(service.get("/health").status == 503)
        #expect(service.post("/get-online-features", body).status == 503)
        #expect(service.get("/metrics").body.contains("fs_serve_store_errors_total{table=\"order_agg\"} 1"))

        // It comes back: served again without a restart, with its current rows.
        for suffix in ["", "-wal", "-shm"] { rename(path + ".away" + suffix, path + suffix) }
        #expect(service.get("/health").status == 200)
        let back = service.post("/get-online-features", body)
        #expect(back.status == 200)
        #expect(try ParsedFeastResponse(back.body).values[1] == [.int(7)])
    }

    @Test func aQueryStringDoesNotChangeTheRoute() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 7, platform: "x")], version: 1)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)])
        #expect(service.get("/health?probe=1").status == 200)
        let body = #"{"entities":{"customer_id":[1]},"features":["order_agg:order-count-1h"]}"#
        let answer = service.post("/get-online-features?trace=é?x", body)
        #expect(answer.status == 200)
        #expect(try ParsedFeastResponse(answer.body).values[1] == [.int(7)])
        #expect(service.get("/features/order_agg/1?fields=all").status == 200)
        #expect(service.get("/nowhere?x=/health").status == 404)
    }

    @Test func aStoreFileReplacedUnderTheServerIsServedWithinMilliseconds() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let path = dir.path + "/features.db"
        let old = try SQLiteFixture(path: path)
        try old.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 7, platform: "x")], version: 1)
        old.close()
        let service = FeatureService(sources: [SQLiteStore(path: path, table: SQLiteFixture.table)])
        let body = #"{"entities":{"customer_id":[1]},"features":["order_agg:order-count-1h"]}"#
        #expect(try ParsedFeastResponse(service.post("/get-online-features", body).body).values[1] == [.int(7)])

        // A new file renamed over the old one, as a restore would: the open connection keeps
        // the old inode, and the next identity check (at most 5 ms later) moves to the new file.
        let new = try SQLiteFixture(path: dir.path + "/next.db")
        try new.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 8, platform: "x")], version: 2)
        new.close()
        #expect(rename(dir.path + "/next.db", path) == 0)
        usleep(20_000)
        #expect(try ParsedFeastResponse(service.post("/get-online-features", body).body).values[1] == [.int(8)])
    }

    @Test func metricsCountRequestsKeysAndPublishedVersion() throws {
        let dir = TempDir()
        defer { dir.remove() }
        let fixture = try SQLiteFixture(path: dir.path + "/features.db")
        try fixture.publish([FixtureRow(customerId: 1, windowEnd: 0, amount: 1, count: 1, platform: "x")], version: 9)
        let service = FeatureService(sources: [SQLiteStore(path: fixture.path, table: SQLiteFixture.table)])
        _ = service.post("/get-online-features", #"{"entities":{"customer_id":[1,2]},"features":["order_agg:order-count-1h"]}"#)
        _ = service.post("/get-online-features", "{")
        let text = service.get("/metrics").body
        #expect(text.contains("fs_serve_requests_total{route=\"get-online-features\",status=\"200\"} 1"))
        #expect(text.contains("fs_serve_requests_total{route=\"get-online-features\",status=\"422\"} 1"))
        #expect(text.contains("fs_serve_keys_total 2"))
        #expect(text.contains("fs_serve_keys_not_found_total 1"))
        #expect(text.contains("fs_serve_published_version{table=\"order_agg\"} 9"))
        #expect(text.contains("fs_serve_request_duration_seconds_count{route=\"get-online-features\"} 2"))
        #expect(text.contains("fs_serve_store_lag_seconds{table=\"order_agg\"}"))
        #expect(text.contains("# TYPE fs_serve_request_duration_seconds histogram\n"))
        #expect(text.contains("fs_serve_request_duration_seconds_bucket{route=\"get-online-features\",le=\"+Inf\"} 2\n"))
        // Every sample line belongs to the family whose HELP/TYPE came last (the exposition rule).
        var family = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") { family = String(line.split(separator: " ")[2]); continue }
            if line.hasPrefix("#") { continue }
            #expect(!family.isEmpty && line.hasPrefix(family), "\(line)")
        }
    }
}
