import FSCore
import Testing
@testable import FSTable

@Suite struct PartitionTests {
    @Test(arguments: [
        (Value.int32(2019), "2019"), (.int32(1), "1"), (.int64(-5), "-5"), (.boolean(true), "true"),
        (.date(17_913), "2019-01-17"), (.timestamp(1_547_765_406_123_000), "2019-01-17 22:50:06.123"),
        (.double(-0.0), "0.0"), (.double(1.5), "1.5"), (.string("São Paulo"), "São Paulo"),
    ])
    func valuesSerializeAsDeltaStringsAndParseBack(value: Value, text: String) {
        #expect(PartitionValues.serialize(value) == text)
        let back = PartitionValues.parse(text, as: value.type!)
        if case .double(let d) = value { #expect(back == .double(d == 0 ? 0 : d)) } else { #expect(back == value) }
    }

    @Test func nullAndEmptyStringBothMeanNull() {
        #expect(PartitionValues.serialize(.null) == nil)
        #expect(PartitionValues.serialize(.string("")) == nil)
        #expect(PartitionValues.parse(nil, as: .int32) == .null)
        #expect(PartitionValues.parse("", as: .string) == .null)
        #expect(PartitionValues.parse("x", as: .int32) == nil)
    }

    @Test func directoriesAreUnpaddedEscapedAndNullIsTheHiveDefault() {
        #expect(PartitionValues.directory(columns: ymd, values: ["fs_year": "2019", "fs_month": "1", "fs_day": "7"]) == "fs_year=2019/fs_month=1/fs_day=7")
        #expect(PartitionValues.directory(columns: ["city"], values: ["city": "a/b:c=d%"]) == "city=a%2Fb%3Ac%3Dd%25")
        #expect(PartitionValues.directory(columns: ["city"], values: ["city": nil]) == "city=__HIVE_DEFAULT_PARTITION__")
        #expect(PartitionValues.directory(columns: ["city"], values: ["city": "São Paulo"]) == "city=São Paulo")
    }

    @Test func directoryComponentsParseBack() {
        #expect(PartitionValues.parseDirectoryComponent("city=a%2Fb%3Ac")! == ("city", "a/b:c"))
        #expect(PartitionValues.parseDirectoryComponent("city=__HIVE_DEFAULT_PARTITION__")! == ("city", nil))
        #expect(PartitionValues.parseDirectoryComponent("city") == nil)
        #expect(PartitionValues.parseDirectoryComponent("=x") == nil)
        #expect(PathEscaping.unescapePathName("100%") == "100%")
    }

    @Test func uriPathsEscapeSpacesPercentsAndNonASCIIOnly() {
        #expect(PathEscaping.uriEncode("fs_year=2019/part-0.parquet") == "fs_year=2019/part-0.parquet")
        #expect(PathEscaping.uriEncode("c=a b/x%3A#?.parquet") == "c=a%20b/x%253A%23%3F.parquet")
        #expect(PathEscaping.uriDecode("c=a%20b/x%253A%23%3F.parquet") == "c=a b/x%3A#?.parquet")
        #expect(PathEscaping.uriDecode("file:///data/t/x.parquet") == "/data/t/x.parquet")
        #expect(PathEscaping.uriDecode("bad%2") == nil)
        #expect(PathEscaping.uriDecode("%FF") == nil)
    }

    @Test func splitterGroupsRowsByPartitionKeepingOrderAndDroppingPartitionColumns() throws {
        let batch = RecordBatch(schema: ordersSchema, columns: [
            Column(.int64, [.int64(1), .int64(2), .int64(3), .int64(4), .int64(5)]),
            Column(.double, [.double(1), .null, .double(.nan), .double(-0.0), .double(5)]),
            Column(.string, [.string("a"), .string(""), .null, .string("é"), .string("e")]),
            Column(.int32, [.int32(2019), .int32(2019), .int32(2020), .int32(2019), .null]),
            Column(.int32, [.int32(12), .int32(1), .int32(1), .int32(12), .int32(1)]),
            Column(.int32, [.int32(31), .int32(1), .int32(1), .int32(31), .int32(1)]),
        ])
        let splitter = try PartitionSplitter(tableSchema: ordersSchema, partitionColumns: ymd)
        let slices = try splitter.split(batch)
        #expect(slices.map(\.directory) == [
            "fs_year=__HIVE_DEFAULT_PARTITION__/fs_month=1/fs_day=1",
            "fs_year=2019/fs_month=1/fs_day=1",
            "fs_year=2019/fs_month=12/fs_day=31",
            "fs_year=2020/fs_month=1/fs_day=1",
        ])
        #expect(slices.map { $0.batch.column(named: "id")!.int64s! } == [[5], [2], [1, 4], [3]])
        #expect(slices[0].logValues == ["fs_year": nil, "fs_month": "1", "fs_day": "1"])
        #expect(slices.allSatisfy { $0.batch.schema.names == ["id", "amount", "name"] })
        #expect(slices[2].batch.column(named: "name")!.strings! == StringArray(["a", "é"]))
    }

    /// Rows of days `days`, with ids 0, 1, 2, … (ordersSchema, year 2019, month 1).
    static func batch(days: [Int32]) -> RecordBatch {
        RecordBatch(schema: ordersSchema, columns: [
            Column(.int64, days.indices.map { .int64(Int64($0)) }),
            Column(.double, days.indices.map { .double(Double($0)) }),
            Column(.string, days.indices.map { .string("r\($0)") }),
            Column(.int32, days.map { _ in .int32(2019) }),
            Column(.int32, days.map { _ in .int32(1) }),
            Column(.int32, days.map { .int32($0) }),
        ])
    }

    /// Days of the input rows, and the runs `forEachSlice` should pass per partition.
    static let runCases: [(days: [Int32], runs: [[Range<Int>]])] = {
        let ones = [Int32](repeating: 1, count: 64), twos = [Int32](repeating: 2, count: 64)
        let alternating: [Int32] = (0..<100).map { Int32(1 + $0 % 2) }
        return [
            // Day 2 is one run; day 1's two short runs are copied.
            ([1, 1, 2, 2, 2, 1], [[0..<3], [2..<5]]),
            // Long runs (≥ 32 rows on average) are passed as runs, even when a partition has several.
            (ones + twos + ones, [[0..<64, 128..<192], [64..<128]]),
            // Rows alternating between days: every run is one row, so both days are copied.
            (alternating, [[0..<50], [0..<50]]),
        ]
    }()

    @Test(arguments: runCases)
    func forEachSlicePassesLongRunsUncopiedAndTheSameRowsAsSplit(days: [Int32], runs: [[Range<Int>]]) throws {
        let batch = Self.batch(days: days)
        let splitter = try PartitionSplitter(tableSchema: ordersSchema, partitionColumns: ymd)
        var seen: [PartitionSlice] = []
        try splitter.forEachSlice(batch) { seen.append($0) }
        let split = try splitter.split(batch)
        #expect(seen.map(\.directory) == split.map(\.directory))
        #expect(seen.map(\.runs) == runs)
        for (s, t) in zip(seen, split) {
            let ids = s.batch.column(named: "id")!.int64s!
            #expect(s.runs.flatMap { Array(ids[$0]) } == t.batch.column(named: "id")!.int64s!)
            #expect(t.runs == [0..<t.batch.rowCount])
            if s.runs.first != 0..<s.batch.rowCount || s.runs.count > 1 { #expect(s.batch.rowCount == days.count) }  // the input itself, not a copy
        }
    }

    @Test func splitterAcceptsColumnsInAnyOrderButRejectsMissingMistypedOrExtraOnes() throws {
        let splitter = try PartitionSplitter(tableSchema: Schema([Field("a", .int64), Field("p", .string)]), partitionColumns: ["p"])
        let reordered = RecordBatch(schema: Schema([Field("p", .string), Field("a", .int64)]), columns: [Column(.string, [.string("x")]), Column(.int64, [.int64(1)])])
        #expect(try splitter.split(reordered).map(\.directory) == ["p=x"])
        let missing = RecordBatch(schema: Schema([Field("a", .int64)]), columns: [Column(.int64, [.int64(1)])])
        #expect(throws: TableError.schemaMismatch(reason: "column p is missing")) { try splitter.split(missing) }
        let mistyped = RecordBatch(schema: Schema([Field("a", .int32), Field("p", .string)]), columns: [Column(.int32, [.int32(1)]), Column(.string, [.string("x")])])
        #expect(throws: TableError.self) { try splitter.split(mistyped) }
        let extra = RecordBatch(schema: Schema([Field("a", .int64), Field("p", .string), Field("z", .int64)]),
                                columns: [Column(.int64, [.int64(1)]), Column(.string, [.string("x")]), Column(.int64, [.int64(1)])])
        #expect(throws: TableError.schemaMismatch(reason: "unknown column(s) z")) { try splitter.split(extra) }
        #expect(try splitter.split(RecordBatch.empty(splitter.tableSchema)).isEmpty)
    }
}

@Suite struct FileStatisticsTests {
    static let fields = [
        Field("i", .int32), Field("l", .int64), Field("d", .double), Field("s", .string), Field("b", .boolean),
        Field("day", .date), Field("ts", .timestamp), Field("allnull", .string), Field("nan", .double),
        Field("long", .string), Field("inf", .double),
    ]

    static func sample() -> FileStatistics {
        FileStatistics(
            numRecords: 3, fields: fields,
            nullCounts: [0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0],
            mins: [.int32(-1), .int64(5), .double(-0.5), .string(""), .boolean(false), .date(17_913), .timestamp(1_559_347_209_247_900), nil, .double(1),
                   .string(String(repeating: "x", count: 33)), .double(1)],
            maxs: [.int32(7), .int64(9), .double(1e20), .string("zé"), .boolean(true), .date(17_914), .timestamp(1_559_347_209_000_900), nil, .double(2),
                   .string("y"), .double(.infinity)],
            nanCounts: [nil, nil, 0, nil, nil, nil, nil, nil, 1, nil, 0])
    }

    @Test func statsJSONMatchesTheGoldenFormat() {
        #expect(Self.sample().json == #"{"numRecords":3,"minValues":{"i":-1,"l":5,"d":-0.5,"s":"","b":false,"day":"2019-01-17","ts":"2019-06-01T00:00:09.247Z"},"maxValues":{"i":7,"l":9,"d":1e+20,"s":"zé","b":true,"day":"2019-01-18","ts":"2019-06-01T00:00:09.001Z"},"nullCount":{"i":0,"l":1,"d":0,"s":0,"b":0,"day":0,"ts":0,"allnull":3,"nan":0,"long":0,"inf":0}}"#)
    }

    @Test func timestampMinIsTruncatedDownAndMaxRoundedUpToTheMillisecond() {
        #expect(FileStatistics.lowerBound(.timestamp(1_999)) == .timestamp(1_000))
        #expect(FileStatistics.lowerBound(.timestamp(-1)) == .timestamp(-1_000))
        #expect(FileStatistics.upperBound(.timestamp(1_001)) == .timestamp(2_000))
        #expect(FileStatistics.upperBound(.timestamp(2_000)) == .timestamp(2_000))
        #expect(FileStatistics.upperBound(.timestamp(-999)) == .timestamp(0))
    }

    @Test func statsParseBackToTypedValues() throws {
        let schema = Schema(Self.fields + [Field("fs_year", .int32)])
        let parsed = try #require(FileStatistics.parse(Self.sample().json, schema: schema))
        #expect(parsed.numRecords == 3)
        #expect(parsed.column("ts")?.min == .timestamp(1_559_347_209_247_000))
        #expect(parsed.column("ts")?.max == .timestamp(1_559_347_209_001_000))
        #expect(parsed.column("day")?.max == .date(17_914))
        #expect(parsed.column("d")?.max == .double(1e20))
        #expect(parsed.column("allnull") == FileStatistics.ColumnEntry(name: "allnull", nullCount: 3))
        #expect(parsed.column("nan")?.min == nil && parsed.column("long")?.max == nil && parsed.column("inf")?.max == nil)
        #expect(parsed.column("fs_year") == nil)
    }

    @Test func onlyTheIndexedLeadingColumnsGetStatistics() {
        let fields = (0..<40).map { Field("c\($0)", .int64) }
        let s = FileStatistics(numRecords: 1, fields: fields, nullCounts: Array(repeating: 0, count: 40), mins: Array(repeating: .int64(1), count: 40),
                               maxs: Array(repeating: .int64(1), count: 40), nanCounts: Array(repeating: nil, count: 40))
        #expect(s.columns.count == 32)
        #expect(FileStatistics.parse(#"not json"#, schema: Schema(fields)) == nil)
    }

    @Test func foreignStatsWithMismatchedTypesAreIgnoredNotFatal() throws {
        let schema = Schema([Field("a", .int32), Field("b", .date)])
        let parsed = try #require(FileStatistics.parse(#"{"numRecords":2,"minValues":{"a":"x","b":"2019-13-01","zz":1,"n":{"x":1}},"nullCount":{"a":0}}"#, schema: schema))
        #expect(parsed.column("a") == FileStatistics.ColumnEntry(name: "a", nullCount: 0))
        #expect(parsed.column("b")?.min == nil)
    }
}

@Suite struct ScanPredicateTests {
    static let range = ColumnRange(min: .int64(10), max: .int64(20), nullCount: 0, rowCount: 5)

    @Test(arguments: [
        (ScanPredicate.compare(column: "x", op: .equal, value: .int64(15)), true),
        (.compare(column: "x", op: .equal, value: .int64(21)), false),
        (.compare(column: "x", op: .equal, value: .int32(9)), false),
        (.compare(column: "x", op: .less, value: .int64(10)), false),
        (.compare(column: "x", op: .lessOrEqual, value: .int64(10)), true),
        (.compare(column: "x", op: .greater, value: .double(20.0)), false),
        (.compare(column: "x", op: .greaterOrEqual, value: .double(19.5)), true),
        (.compare(column: "x", op: .notEqual, value: .int64(10)), true),
        (.compare(column: "x", op: .equal, value: .null), false),
        (.compare(column: "x", op: .equal, value: .string("15")), true),
        (.compare(column: "unknown", op: .equal, value: .int64(0)), true),
        (.isNull(column: "x"), false),
        (.isNotNull(column: "x"), true),
        (.inList(column: "x", values: [.int64(1), .int64(30)]), false),
        (.inList(column: "x", values: [.int64(1), .int64(12)]), true),
        (.and([.compare(column: "x", op: .greater, value: .int64(12)), .compare(column: "x", op: .less, value: .int64(5))]), false),
        (.or([.compare(column: "x", op: .greater, value: .int64(30)), .compare(column: "unknown", op: .less, value: .int64(5))]), true),
    ])
    func predicatesSkipOnlyWhenNoRowCanMatch(p: ScanPredicate, expected: Bool) {
        #expect(p.mayMatch { $0 == "x" ? Self.range : nil } == expected)
    }

    @Test func allNullColumnsMatchOnlyIsNull() {
        let r = ColumnRange(min: nil, max: nil, nullCount: 4, rowCount: 4)
        #expect(!ScanPredicate.compare(column: "x", op: .greater, value: .int64(0)).mayMatch { _ in r })
        #expect(ScanPredicate.isNull(column: "x").mayMatch { _ in r })
        #expect(!ScanPredicate.isNotNull(column: "x").mayMatch { _ in r })
    }

    @Test func exactPartitionRangesSkipNotEqual() {
        let p = ColumnRange.partition(.int32(2019), rowCount: 3)
        #expect(!ScanPredicate.compare(column: "y", op: .notEqual, value: .int32(2019)).mayMatch { _ in p })
        #expect(!ScanPredicate.compare(column: "y", op: .equal, value: .int32(2020)).mayMatch { _ in p })
        #expect(!ScanPredicate.isNull(column: "y").mayMatch { _ in p })
        #expect(ScanPredicate.isNull(column: "y").mayMatch { _ in .partition(.null, rowCount: 3) })
    }

    @Test func deltaStatsAreWidenedForTruncatedTimestampsStringsAndNaN() {
        let ts = ColumnRange.deltaStats(.init(name: "t", min: .timestamp(1_000), max: .timestamp(2_000), nullCount: 0), rowCount: 1)
        #expect(ScanPredicate.compare(column: "t", op: .greater, value: .timestamp(2_500)).mayMatch { _ in ts })
        #expect(!ScanPredicate.compare(column: "t", op: .greater, value: .timestamp(3_000)).mayMatch { _ in ts })
        let long = String(repeating: "a", count: 32)
        let s = ColumnRange.deltaStats(.init(name: "s", min: .string("a"), max: .string(long), nullCount: 0), rowCount: 1)
        #expect(ScanPredicate.compare(column: "s", op: .greater, value: .string(long + "z")).mayMatch { _ in s })
        let nan = ColumnRange(min: .double(1), max: .double(2), nullCount: 0, rowCount: 2, mayContainNaN: true)
        #expect(ScanPredicate.compare(column: "d", op: .greater, value: .double(5)).mayMatch { _ in nan })
        #expect(!ScanPredicate.compare(column: "d", op: .less, value: .double(0)).mayMatch { _ in nan })
    }

    @Test func stringsCompareAsUTF8Bytes() {
        let r = ColumnRange(min: .string("Z"), max: .string("é"), nullCount: 0, rowCount: 2)
        #expect(ScanPredicate.compare(column: "s", op: .equal, value: .string("a")).mayMatch { _ in r })
        #expect(!ScanPredicate.compare(column: "s", op: .equal, value: .string("A")).mayMatch { _ in r })
    }
}
