import FSCore
import FSStreams
import FSSandbox
import FSJobs
import Foundation
import Testing

@Suite("fs-sandbox generate")
struct SandboxGeneratorTests {
    static func temporaryDirectory() throws -> String { try FileSystem.makeTemporaryDirectory(prefix: "fs-sandbox-gen") }

    @Test func theSameSeedWritesTheSameBytesAndAnotherSeedDoesNot() throws {
        let a = try Self.temporaryDirectory(), b = try Self.temporaryDirectory(), c = try Self.temporaryDirectory()
        defer { for d in [a, b, c] { try? FileSystem.removeTree(d) } }
        _ = try SampleGenerator(orders: 120, seed: 9).write(to: a)
        _ = try SampleGenerator(orders: 120, seed: 9).write(to: b)
        _ = try SampleGenerator(orders: 120, seed: 10).write(to: c)
        for stream in StreamType.allCases {
            let name = stream.sourceFileName
            #expect(try FileSystem.readFile("\(a)/\(name)") == FileSystem.readFile("\(b)/\(name)"), "\(name)")
            #expect(try FileSystem.readFile("\(a)/\(name)") != FileSystem.readFile("\(c)/\(name)"), "\(name)")
        }
    }

    @Test func ordersFollowTheIFoodShape() throws {
        let texts = SampleGenerator(orders: 200, seed: 1).generate()
        let lines = try #require(texts[.orderEvents]).split(separator: "\n")
        #expect(lines.count == 200)
        let expectedFields = ["cpf", "customer_id", "customer_name", "delivery_address_city", "delivery_address_country",
                              "delivery_address_district", "delivery_address_external_id", "delivery_address_latitude",
                              "delivery_address_longitude", "delivery_address_state", "delivery_address_zip_code", "items",
                              "merchant_id", "merchant_latitude", "merchant_longitude", "merchant_timezone", "order_created_at",
                              "order_id", "order_scheduled", "order_scheduled_date", "order_total_amount", "origin_platform"]
        for line in lines {
            let object = try #require(try JSONValue.parse(String(line)).objectValue)
            #expect(object.map(\.0) == expectedFields)
            let order = JSONValue.object(object)
            #expect(order["order_scheduled"]?.boolValue != nil)
            #expect(parseTimestamp(order["order_created_at"]?.stringValue ?? "") != nil)
            let items = try #require(try JSONValue.parse(order["items"]?.stringValue ?? "").arrayValue)
            #expect((1 ... 5).contains(items.count))
            var cents: Int64 = 0
            for item in items {
                #expect(item["totalValue"]?["currency"]?.stringValue == "BRL")
                cents += Int64(item["totalValue"]?["value"]?.stringValue ?? "") ?? -1_000_000
                #expect(item["garnishItems"]?.arrayValue != nil)
            }
            #expect(order["order_total_amount"]?.doubleValue == Double(cents) / 100)
        }
    }

    @Test func statusHasTheLifecycleAndExactDuplicates() throws {
        let texts = SampleGenerator(orders: 100, seed: 3).generate()
        let lines = try #require(texts[.orderStatusEvents]).split(separator: "\n").map(String.init)
        #expect(Set(lines).count < lines.count, "exact duplicate lines exist")
        var valuesByOrder: [String: Set<String>] = [:]
        for line in lines {
            let event = try JSONValue.parse(line)
            let order = try #require(event["order_id"]?.stringValue)
            valuesByOrder[order, default: []].insert(try #require(event["value"]?.stringValue))
            #expect(parseTimestamp(event["created_at"]?.stringValue ?? "") != nil)
        }
        #expect(valuesByOrder.count == 100)
        for values in valuesByOrder.values {
            #expect(values.isSuperset(of: ["REGISTERED", "PLACED"]))
            #expect(!values.isDisjoint(with: ["CONCLUDED", "CANCELLED"]))
            #expect(values.isSubset(of: ["REGISTERED", "PLACED", "CONCLUDED", "CANCELLED"]))
        }
    }

    @Test func csvSourcesHaveTheOriginalHeaders() throws {
        let texts = SampleGenerator(orders: 60, seed: 5).generate()
        let restaurants = try #require(texts[.restaurantEvents]).split(separator: "\n")
        #expect(restaurants.first == "id,created_at,enabled,price_range,average_ticket,takeout_time,delivery_time,minimum_order_value,merchant_zip_code,merchant_city,merchant_state,merchant_country")
        #expect(restaurants.count == 1 + 6)
        let consumers = try #require(texts[.consumerEvents]).split(separator: "\n")
        #expect(consumers.first == "customer_id,language,created_at,active,customer_name,customer_phone_area,customer_phone_number")
        #expect(consumers.count == 1 + 20)
        #expect(consumers.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 7 })
    }

    @Test func zeroOrdersGivesEmptyEventFilesAndOneEntityEach() throws {
        let texts = SampleGenerator(orders: 0, seed: 1).generate()
        #expect(texts[.orderEvents] == "")
        #expect(texts[.orderStatusEvents] == "")
        #expect(texts[.restaurantEvents]?.split(separator: "\n").count == 2)
        #expect(texts[.consumerEvents]?.split(separator: "\n").count == 2)
    }

    /// The committed samples are what `fs-sandbox generate --out examples/data` writes (defaults:
    /// 300 orders, seed 42): regenerate them with that command when the generator changes.
    @Test func committedExamplesMatchTheGenerator() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let fresh = try Self.temporaryDirectory()
        defer { try? FileSystem.removeTree(fresh) }
        _ = try SampleGenerator(orders: 300, seed: 42).write(to: fresh)
        for stream in StreamType.allCases {
            let name = stream.sourceFileName
            #expect(try FileSystem.readFile("\(repo)/examples/data/\(name)") == FileSystem.readFile("\(fresh)/\(name)"), "examples/data/\(name) is stale: run fs-sandbox generate --out examples/data")
        }
    }
}
