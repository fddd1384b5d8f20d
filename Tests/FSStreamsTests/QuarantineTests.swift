import FSCore
import Testing
@testable import FSStreams

@Suite struct QuarantineTests {
    static let time = #""created_at":"2019-01-25T01:05:07.000Z""#

    @Test(arguments: [
        ("", "empty_message"),
        ("{", "invalid_json"),
        (#"{"created_at":"2019-01-25T01:05:07Z""#, "invalid_json"),
        (#"{"created_at":"2019-01-25T01:05:07Z",}"#, "invalid_json"),
        (#"{"created_at":"2019-01-25T01:05:07Z"} x"#, "invalid_json"),
        (#"{"created_at":'2019'}"#, "invalid_json"),
        (#"{"created_at":"2019-01-25T01:05:07Z","value":"a\qb"}"#, "invalid_json"),
        (#"{"created_at":"2019-01-25T01:05:07Z","value":tru}"#, "invalid_json"),
        (#"{"created_at":"2019-01-25T01:05:07Z","n":01}"#, "invalid_json"),
        (#"{"created_at":"2019-01-25T01:05:07Z","x":[1,2}"#, "invalid_json"),
        ("{\"created_at\":\"2019-01-25T01:05:07Z\",\"value\":\"a\u{01}b\"}", "invalid_json"),
        ("[1,2]", "not_an_object"),
        ("\"text\"", "not_an_object"),
        ("42", "not_an_object"),
        ("null", "not_an_object"),
        (#"{"order_id":"o"}"#, "missing_time_field"),
        ("{}", "missing_time_field"),
        (#"{"created_at":null}"#, "null_time_field"),
        (#"{"created_at":"yesterday"}"#, "unparsable_time"),
        (#"{"created_at":"2019-02-30T01:00:00Z"}"#, "unparsable_time"),
        (#"{"created_at":"2019-01-25T25:00:00Z"}"#, "unparsable_time"),
        (#"{"created_at":1548378307000}"#, "wrong_type"),
        (#"{"created_at":"2019-01-25T01:05:07Z","value":{"s":"PLACED"}}"#, "wrong_type"),
        (#"{"created_at":"2019-01-25T01:05:07Z","status_id":["a"]}"#, "wrong_type"),
        (#"{"created_at":"2019-01-25T01:05:07Z","created_at":"2019-01-26T01:05:07Z"}"#, "duplicate_field"),
    ])
    func statusMessagesAreClassified(json: String, code: String) {
        guard case .quarantined(let reason) = outcome(.orderStatusEvents, json) else {
            Issue.record("\(json) was not quarantined"); return
        }
        #expect(reason.code == code, "\(json): \(reason)")
    }

    @Test(arguments: [
        (#"{"order_created_at":"2019-01-17T22:50:06Z","order_total_amount":"abc"}"#, "order_total_amount"),
        (#"{"order_created_at":"2019-01-17T22:50:06Z","order_total_amount":true}"#, "order_total_amount"),
        (#"{"order_created_at":"2019-01-17T22:50:06Z","order_scheduled":"maybe"}"#, "order_scheduled"),
        (#"{"order_created_at":"2019-01-17T22:50:06Z","order_scheduled":0}"#, "order_scheduled"),
        (#"{"order_created_at":"2019-01-17T22:50:06Z","items":{"name":"x"}}"#, "items"),
        (#"{"order_created_at":"2019-01-17T22:50:06Z","items":3}"#, "items"),
        (#"{"order_created_at":"2019-01-17T22:50:06Z","order_total_amount":1e999}"#, "order_total_amount"),
    ])
    func wrongTypedOrderValuesNameTheField(json: String, field: String) {
        guard case .quarantined(.wrongType(let f, _)) = outcome(.orderEvents, json) else {
            Issue.record("\(json) not quarantined as wrong_type"); return
        }
        #expect(f == field)
    }

    @Test func restaurantIntegerColumnRejectsFractions() {
        let o = outcome(.restaurantEvents, #"{"created_at":"2017-01-20T13:14:48Z","delivery_time":12.5}"#)
        #expect(o == .quarantined(.wrongType(field: "delivery_time", expected: "an integer")))
    }

    @Test func orderWithoutItsTimeFieldNamesIt() {
        #expect(outcome(.orderEvents, #"{"created_at":"2019-01-17T22:50:06Z"}"#) == .quarantined(.missingTimeField("order_created_at")))
    }

    @Test func oversizeMessagesAreQuarantinedBeforeParsing() {
        let big = #"{"created_at":"2019-01-25T01:05:07Z","value":""# + String(repeating: "x", count: 200) + #""}"#
        guard case .quarantined(.oversize(let bytes, let limit)) = outcome(.orderStatusEvents, big, limits: ParseLimits(maxMessageBytes: 100)) else {
            Issue.record("not oversize"); return
        }
        #expect(bytes == big.utf8.count && limit == 100)
        #expect(outcome(.orderStatusEvents, big, limits: ParseLimits(maxMessageBytes: big.utf8.count)) == .appended)
    }

    @Test(arguments: [
        [0xFF] as [UInt8], [0xC0, 0xAF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0x80],
    ])
    func invalidUTF8AnywhereIsQuarantined(bad: [UInt8]) {
        let prefix = Array(#"{"created_at":"2019-01-25T01:05:07Z","value":""#.utf8)
        let (_, outcomes) = ingest(.orderStatusEvents, [(key: nil, value: prefix + bad + Array(#""}"#.utf8))])
        #expect(outcomes == [.quarantined(.invalidUTF8(offset: prefix.count))])
    }

    /// The scanner checks UTF-8 string by string; a bad byte in any other place of the message
    /// (a field name, an unknown field, a nested array, between tokens, or before a later
    /// syntax error) must still be reported as invalid UTF-8 at its offset in the message.
    @Test(arguments: [
        (#"{"created_at":"2019-01-25T01:05:07Z","valu"#, #"e":"x"}"#),
        (#"{"created_at":"2019-01-25T01:05:07Z","other":"#, #""}"#),
        (#"{"created_at":"2019-01-25T01:05:07Z","other":["a",""#, #""]}"#),
        (#"{"created_at":"2019-01-25T01:05:07Z","other":1"#, "}"),
        (#"{"created_at":"2019-01-25T01:05:07Z","value":""#, #"","value":"again"}"#),
        (#"{"created_at":"2019-01-25T01:05:07Z","value":"a"#, #"b", oops}"#),
        (#"{"created_at":"2019-01-25T01:05:07Z","value":"\u00e9"#, #"\n"}"#),
    ])
    func invalidUTF8OutsideAKnownStringIsStillFoundFirst(before: String, after: String) {
        let message = Array(before.utf8) + [0xC3, 0x28] + Array(after.utf8)
        let (_, outcomes) = ingest(.orderStatusEvents, [(key: nil, value: message)])
        #expect(outcomes == [.quarantined(.invalidUTF8(offset: before.utf8.count))], "\(before)…\(after)")
    }

    @Test func validNonASCIITextIsAppendedUnchanged() {
        let json = #"{"created_at":"2019-01-25T01:05:07Z","value":"São Paulo 😀 \u00e9","other":["ação"]}"#
        #expect(row(.orderStatusEvents, json)["value"] == .string("São Paulo 😀 é"))
    }

    @Test func invalidUTF8KeyIsQuarantined() {
        var b = EventBatchBuilder(streamType: .orderStatusEvents)
        let value = Array(#"{"created_at":"2019-01-25T01:05:07Z"}"#.utf8)
        let o = value.withUnsafeBytes { v in [UInt8]([0xFE]).withUnsafeBytes { k in b.append(key: k, value: v, topic: "t", partition: 0, offset: 0) } }
        #expect(o == .quarantined(.invalidUTF8(offset: -1)))
        #expect(b.rowCount == 0)
    }

    @Test func deepNestingIsQuarantinedWithoutRecursion() {
        let deep = #"{"created_at":"2019-01-25T01:05:07Z","x":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(outcome(.orderStatusEvents, deep, limits: ParseLimits(maxMessageBytes: 1 << 20, maxDepth: 32)) == .quarantined(.nestingTooDeep))
        let ok = #"{"created_at":"2019-01-25T01:05:07Z","x":"# + String(repeating: "[", count: 31) + String(repeating: "]", count: 31) + "}"
        #expect(outcome(.orderStatusEvents, ok) == .appended)
    }

    @Test func everyReasonHasAStableCodeListedOnce() {
        let reasons: [QuarantineReason] = [.emptyMessage, .oversize(bytes: 2, limit: 1), .invalidUTF8(offset: 0), .invalidJSON(offset: 0), .nestingTooDeep,
                                           .notAnObject, .duplicateField("a"), .missingTimeField("t"), .nullTimeField("t"), .unparsableTime("t"),
                                           .wrongType(field: "f", expected: "a number")]
        #expect(reasons.map(\.code) == QuarantineReason.allCodes)
        #expect(QuarantineReason.wrongType(field: "f", expected: "a number").description == "wrong_type: field f is not a number")
    }

    @Test func aMixedBatchKeepsTheGoodRowsInOrderAndTheBadOnesOut() {
        let messages: [(key: String?, value: [UInt8])] = [
            ("o1", Array(#"{"created_at":"2019-01-25T01:05:07Z","order_id":"o1","status_id":"s1","value":"PLACED"}"#.utf8)),
            ("o1", Array("not json".utf8)),
            ("o2", Array(#"{"created_at":"2019-01-25T02:00:00Z","order_id":"o2","status_id":"s2","value":"REGISTERED"}"#.utf8)),
            ("o1", Array(#"{"created_at":"2019-01-25T01:05:07Z","order_id":"o1","status_id":"s1","value":"PLACED"}"#.utf8)),
            ("o3", []),
            ("o3", Array(#"{"created_at":"2019-01-25T03:00:00Z","order_id":"o3","status_id":"s3","value":{"x":1}}"#.utf8)),
            (nil, Array(#"{"created_at":"2019-01-26T00:00:00Z","order_id":"o4","status_id":"s4","value":"CONCLUDED"}"#.utf8)),
        ]
        let (batch, outcomes) = ingest(.orderStatusEvents, messages, dedup: StreamType.orderStatusEvents.dedupKey(named: "status_id"))
        #expect(outcomes.map { if case .quarantined(let r) = $0 { return r.code }; return "\($0)" } ==
                ["appended", "invalid_json", "appended", "duplicate", "empty_message", "wrong_type", "appended"])
        #expect(batch.rowCount == 3)
        #expect(batch.column(named: "status_id").map { c in (0..<c.count).map { c[$0] } } == [.string("s1"), .string("s2"), .string("s4")])
        #expect(batch.column(named: "fs_offset")?.int64s == [100, 102, 106])
        #expect(batch.column(named: "key")?[2] == .null)
        #expect(batch.column(named: "fs_day")?.int32s == [25, 25, 26])
        #expect(batch.column(named: "fs_ingestion_timestamp")?.int64s == [Int64](repeating: 1_700_000_000_000_000, count: 3))
    }

    @Test func builderIsReusableAfterFinish() {
        var b = EventBatchBuilder(streamType: .orderStatusEvents)
        let v = Array(#"{"created_at":"2019-01-25T01:05:07Z"}"#.utf8)
        for round in 0..<2 {
            _ = v.withUnsafeBytes { b.append(key: nil, value: $0, topic: "t", partition: 1, offset: Int64(round)) }
            let batch = b.finish(ingestionMicros: Int64(round))
            #expect(batch.rowCount == 1)
            #expect(batch.column(named: "fs_offset")?.int64s == [Int64(round)])
        }
    }
}

@Suite struct DedupWindowTests {
    @Test func repeatsWithinTheWindowAreDuplicatesAndEvictedKeysAreNot() {
        var w = DedupWindow(capacity: 2)
        func seen(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { w.checkAndInsert($0) } }
        #expect(!seen("a"))
        #expect(seen("a"))
        #expect(!seen("b"))
        #expect(!seen("c"))  // evicts a
        #expect(!seen("a"))  // a again is new
        #expect(seen("c"))
        #expect(w.count == 2)
    }

    @Test func emptyAndNonASCIIKeysAreDistinct() {
        var w = DedupWindow(capacity: 10)
        for s in ["", "é", "e\u{301}", "😀"] { #expect(!Array(s.utf8).withUnsafeBufferPointer { w.checkAndInsert($0) }, "\(s)") }
        #expect(w.count == 4)
    }
}
