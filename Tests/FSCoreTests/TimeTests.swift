import Testing
@testable import FSCore

@Suite struct TimeTests {
    @Test(arguments: [
        ("1970-01-01", Int64(0)), ("2019-01-17", Int64(17_913)), ("2000-02-29", Int64(11_016)),
        ("1969-12-31", Int64(-1)), ("1600-03-01", Int64(-135_080)),
    ])
    func civilDateRoundTripsThroughDayNumbers(text: String, days: Int64) {
        #expect(parseDate(text).map(Int64.init) == days)
        #expect(formatDate(days: Int32(days)) == text)
        #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
    }

    @Test func timestampParsingIsUTCAndHonoursOffsets() {
        let z = parseTimestamp("2019-01-17T22:50:06.000Z")
        #expect(z == 1_547_765_406_000_000)
        #expect(parseTimestamp("2019-01-17T20:50:06-02:00") == z)
        #expect(parseTimestamp("2019-01-17 22:50:06") == z)
        #expect(parseTimestamp("2019-01-17T22:50:06.1234567Z") == z! + 123_456)
        #expect(parseTimestamp("2019-01-17") == 1_547_683_200_000_000)
    }

    @Test(arguments: ["", "2019-13-01", "2019-02-30", "2019-01-17T25:00:00Z", "2019-01-17T22:50:06.Z", "2019-01-17T22:50:06Zjunk", "17/01/2019"])
    func malformedTimestampsAreRejected(text: String) {
        #expect(parseTimestamp(text) == nil)
    }

    @Test func negativeTimestampsFloorToThePreviousDay() {
        let f = UTCFields(micros: -1)
        #expect(f.date == CivilDate(year: 1969, month: 12, day: 31))
        #expect(f.hour == 23 && f.minute == 59 && f.second == 59 && f.micro == 999_999)
        #expect(formatTimestamp(micros: -1) == "1969-12-31 23:59:59.999999")
        #expect(formatISO8601(micros: 1_547_765_406_123_456, fractionDigits: 3) == "2019-01-17T22:50:06.123Z")
    }
}

@Suite struct JSONTests {
    @Test func parsesAndPrintsEveryKindKeepingKeyOrder() throws {
        let text = #"{"b":1,"a":[true,false,null,1.5,-2,"x\"\u00e9\ud83d\ude00"],"n":9223372036854775807}"#
        let v = try JSONValue.parse(text)
        #expect(v["n"]?.int64Value == Int64.max)
        #expect(v["a"]?.arrayValue?[5].stringValue == "x\"é😀")
        #expect(v.description == #"{"b":1,"a":[true,false,null,1.5,-2,"x\"é😀"],"n":9223372036854775807}"#)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"\\x\"", "1 2", "\"\\ud800\""])
    func malformedJSONReportsAnOffset(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }
}

@Suite struct ColumnTests {
    @Test func builderCreatesValidityOnlyWhenANullArrives() {
        var b = ColumnBuilder(type: .double)
        b.append(1.0); b.append(2.0)
        #expect(b.finish().validity == nil)
        b.appendNull()
        let c = b.finish()
        #expect(c.nullCount == 1 && c[2] == .null && c[1] == .double(2.0))
    }

    @Test func validityIntersectionPropagatesNulls() {
        let a = Validity((0..<130).map { $0 % 2 == 0 })
        let b = Validity((0..<130).map { $0 % 3 == 0 })
        let c = a.intersection(b)
        #expect((0..<130).allSatisfy { c.isValid($0) == ($0 % 6 == 0) })
        #expect(c.nullCount == 130 - 22)
    }

    @Test func stringsCompareAsUTF8Bytes() {
        // U+FF5E (3 bytes, EF BD 9E) sorts after U+00E9 (2 bytes, C3 A9) in byte order.
        #expect(utf8Less("é", "～"))
        #expect(utf8Less("", "a"))
        #expect(!utf8Less("b", "a"))
        let s = StringArray(["", "héllo", "x"])
        #expect(s[1] == "héllo" && s.length(1) == 6 && s.count == 3)
    }

    @Test func sparkDoubleFormatting() {
        #expect(formatSparkDouble(1) == "1.0")
        #expect(formatSparkDouble(1e10) == "1.0E10")
        #expect(formatSparkDouble(1.5e-5) == "1.5E-5")
        #expect(formatSparkDouble(-0.0) == "-0.0")
        #expect(formatSparkDouble(.nan) == "NaN")
        #expect(formatSparkDouble(123.25) == "123.25")
    }
}

@Suite struct RecordBatchTests {
    @Test func concatenationKeepsValuesAndNullsOfEveryType() {
        let schema = Schema([Field("s", .string), Field("d", .double), Field("t", .timestamp), Field("b", .boolean)])
        let a = RecordBatch(schema: schema, columns: [
            Column(.string, [.string("x"), .null]), Column(.double, [.double(1), .double(-0.0)]),
            Column(.timestamp, [.timestamp(5), .timestamp(6)]), Column(.boolean, [.boolean(true), .boolean(false)]),
        ])
        let b = RecordBatch(schema: schema, columns: [
            Column(.string, [.string("é")]), Column(.double, [.null]), Column(.timestamp, [.null]), Column(.boolean, [.boolean(true)]),
        ])
        let c = RecordBatch.concatenate([a, RecordBatch.empty(schema), b], schema: schema)
        #expect(c.rowCount == 3)
        #expect(c.row(0) == [.string("x"), .double(1), .timestamp(5), .boolean(true)])
        #expect(c.row(1) == [.null, .double(-0.0), .timestamp(6), .boolean(false)])
        #expect(c.row(2) == [.string("é"), .null, .null, .boolean(true)])
        #expect(c.columns[3].validity == nil)
    }
}
