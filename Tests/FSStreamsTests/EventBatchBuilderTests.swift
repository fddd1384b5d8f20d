import FSCore
import Testing
@testable import FSStreams

@Suite struct EventBatchBuilderTests {
    /// A restaurant event (every column type) with its fields in the given order; some values
    /// NULL or absent depending on `i`.
    private func restaurant(_ i: Int, order: [Int]) -> [UInt8] {
        let values: [String] = [
            i % 5 == 0 ? "null" : "\(Double(i) / 8)", "\"2019-01-25T01:05:\(i % 60 < 10 ? "0" : "")\(i % 60)Z\"",
            i % 3 == 0 ? "null" : "\(i * 7)", i % 4 == 0 ? "null" : (i % 2 == 0 ? "true" : "false"), "\"id-\(i)\"",
            "\"S\\u00e3o \\\"\(i)\\\"\"", "\"BR\"", i % 6 == 0 ? "null" : "\"SP\"", "\"0\(i)\"", "\(i).25", "\(i % 4)", "\(i + 10)",
        ]
        let names = StreamType.restaurantEvents.fields.map(\.name)
        let members = order.filter { !(i % 7 == 0 && $0 == 8) }.map { "\"\(names[$0])\":\(values[$0])" }
        return Array(("{" + members.joined(separator: ",") + "}").utf8)
    }

    @Test func messagesWithTheirFieldsInAnyOrderGiveTheSameRows() {
        var rng = SplitMix(seed: 42)
        let n = StreamType.restaurantEvents.fields.count
        let schemaOrder = Array(0..<n)
        var shuffled: [(key: String?, value: [UInt8])] = []
        var ordered: [(key: String?, value: [UInt8])] = []
        for i in 0..<300 {
            // Runs of one order (as producers do), then another one.
            var order = schemaOrder
            if i % 50 != 0 { for j in stride(from: n - 1, to: 0, by: -1) { order.swapAt(j, Int(rng.next() % UInt64(j + 1))) } }
            if i % 50 >= 25 { order = order.sorted { StreamType.restaurantEvents.fields[$0].name < StreamType.restaurantEvents.fields[$1].name } }
            shuffled.append((key: i % 9 == 0 ? nil : "k\(i)", value: restaurant(i, order: order)))
            ordered.append((key: i % 9 == 0 ? nil : "k\(i)", value: restaurant(i, order: schemaOrder)))
        }
        let (a, outA) = ingest(.restaurantEvents, shuffled)
        let (b, outB) = ingest(.restaurantEvents, ordered)
        #expect(outA == Array(repeating: .appended, count: 300))
        #expect(outB == outA)
        #expect(a == b)
        #expect(a.column(named: "enabled")?.nullCount == 75)
        #expect(a.column(named: "merchant_zip_code")?.nullCount == 43)
    }

    @Test func aCopyOfABuilderAppendsIndependently() {
        let v = Array(#"{"created_at":"2019-01-25T01:05:07Z","status_id":"s","value":"x"}"#.utf8)
        var a = EventBatchBuilder(streamType: .orderStatusEvents)
        _ = v.withUnsafeBytes { a.append(key: nil, value: $0, topic: "t", partition: 1, offset: 1) }
        var b = a
        _ = v.withUnsafeBytes { b.append(key: nil, value: $0, topic: "u", partition: 2, offset: 2) }
        _ = v.withUnsafeBytes { a.append(key: nil, value: $0, topic: "t", partition: 1, offset: 3) }
        let ba = a.finish(ingestionMicros: 0), bb = b.finish(ingestionMicros: 0)
        #expect(ba.column(named: "fs_offset")?.int64s == [1, 3])
        #expect(bb.column(named: "fs_offset")?.int64s == [1, 2])
        #expect(bb.column(named: "fs_topic")?.strings.map { s in (0..<s.count).map { s[$0] } } == ["t", "u"])
        #expect(bb.column(named: "fs_partition")?.int32s == [1, 2])
    }

    @Test func theTopicColumnFollowsEveryChangeOfTopicInRowOrder() {
        let v = Array(#"{"created_at":"2019-01-25T01:05:07Z"}"#.utf8)
        let bad = Array("{".utf8)
        var b = EventBatchBuilder(streamType: .orderStatusEvents)
        let topics = ["a", "a", "b", "a", "", "c", "c", "a"]
        for (i, t) in topics.enumerated() {
            _ = v.withUnsafeBytes { b.append(key: nil, value: $0, topic: t, partition: 0, offset: Int64(i)) }
            // A quarantined message of another topic between rows leaves no trace.
            _ = bad.withUnsafeBytes { b.append(key: nil, value: $0, topic: "q", partition: 0, offset: -1) }
        }
        for round in 0..<2 {
            let batch = b.finish(ingestionMicros: 0)
            #expect(batch.column(named: "fs_topic")?.strings.map { s in (0..<s.count).map { s[$0] } } == (round == 0 ? topics : []))
        }
    }

    @Test func whitespaceAroundColonsAndEscapedKeysGiveTheSameRowsAsCompactJSON() {
        let compact = #"{"created_at":"2019-01-25T01:05:07Z","order_id":"o1","status_id":"s1","value":"v"}"#
        let variants = [
            compact,
            #"{ "created_at" : "2019-01-25T01:05:07Z" ,"order_id"  :"o1",\#n"status_id"\#t:\#n"s1", "value": "v" }"#,
            #"{"cre\u0061ted_at":"2019-01-25T01:05:07Z","order\u005Fid":"o1","status_id":"s1","val\u0075e":"v"}"#,
        ]
        let expected = ingest(.orderStatusEvents, Array(repeating: (key: "k", value: Array(compact.utf8)), count: 2)).0
        for text in variants {
            // Twice: the second message has the learned field order.
            let (batch, outcomes) = ingest(.orderStatusEvents, Array(repeating: (key: "k", value: Array(text.utf8)), count: 2))
            #expect(outcomes == [.appended, .appended], "\(text)")
            #expect(batch == expected, "\(text)")
        }
    }
}
