import FSCore
import Testing
@testable import FSParquet

/// Files written by fs's own writer read back exactly (bit for bit for doubles).
@Suite struct ReaderRoundTripTests {
    static let schema = Schema([
        Field("b", .boolean), Field("i", .int32), Field("l", .int64, isNullable: false), Field("d", .double),
        Field("s", .string), Field("day", .date), Field("ts", .timestamp),
    ])

    static func batch(rows: Int) -> RecordBatch {
        let words = ["", "a", "çé", "日本語", "emoji 🚀", String(repeating: "x", count: 300)]
        let specials: [Double] = [.nan, 0.0, -0.0, .infinity, -.infinity, 1.5]
        var cols = schema.fields.map { ColumnBuilder(type: $0.type, capacity: rows) }
        for r in 0 ..< rows {
            let null = r % 7 == 3
            if null || r % 5 == 1 { cols[0].appendNull() } else { cols[0].append(r % 3 == 0) }
            if null { cols[1].appendNull() } else { cols[1].append(Int32(truncatingIfNeeded: r &* 2_654_435_761)) }
            cols[2].append(Int64(r) * -1_000_003)
            if null { cols[3].appendNull() } else { cols[3].append(r < specials.count ? specials[r] : Double(r) / 7) }
            if null { cols[4].appendNull() } else { cols[4].append(r % 4 == 0 ? "row \(r)" : words[r % words.count]) }
            if null { cols[5].appendNull() } else { cols[5].append(Int32(r - 5000)) }
            if null { cols[6].appendNull() } else { cols[6].append(Int64(r) * 86_400_000_123 - 1) }
        }
        return RecordBatch(schema: schema, columns: cols.map { $0.finish() })
    }

    static func identical(_ a: Column, _ b: Column) -> Bool {
        guard a.type == b.type, a.count == b.count, a.nullCount == b.nullCount else { return false }
        for r in 0 ..< a.count {
            switch (a[r], b[r]) {
            case (.double(let x), .double(let y)): if x.bitPattern != y.bitPattern { return false }
            case let (x, y): if x != y { return false }
            }
        }
        return true
    }

    static func options(_ configure: (inout ParquetWriterOptions) -> Void) -> ParquetWriterOptions {
        var o = ParquetWriterOptions()
        configure(&o)
        return o
    }

    @Test(arguments: [
        ("default", options { _ in }),
        ("uncompressed", options { $0.compression = .uncompressed }),
        ("small pages", options { $0.maxPageRows = 50; $0.maxPageBytes = 2000 }),
        ("dictionary fallback", options { $0.maxDictionaryBytes = 64 }),
        ("many row groups", options { $0.rowGroupBytes = 4096; $0.maxPageRows = 100 }),
    ])
    func writerOutputReadsBackIdentically(label: String, options: ParquetWriterOptions) throws {
        let input = Self.batch(rows: 1500)
        let bytes = try encodeParquet(input, options: options)
        let reader = try ParquetFileReader(bytes: bytes, name: label)
        #expect(reader.schema == Self.schema)
        let output = try reader.readAll()
        #expect(output.rowCount == input.rowCount)
        for (c, field) in Self.schema.fields.enumerated() {
            #expect(Self.identical(input.columns[c], output.columns[c]), "\(label): column \(field.name)")
        }
        #expect(output.columns[2].validity == nil, "a REQUIRED column carries no validity")
    }

    @Test(arguments: [0, 1])
    func zeroAndOneRowFilesReadBack(rows: Int) throws {
        let input = Self.batch(rows: rows)
        let output = try ParquetFileReader(bytes: encodeParquet(input)).readAll()
        #expect(output.rowCount == rows)
        for c in 0 ..< Self.schema.count { #expect(Self.identical(input.columns[c], output.columns[c])) }
    }

    @Test func writerStatisticsReadBackAsTheWriterComputedThem() throws {
        // Row 3 (+infinity) is NULL, row 0 is NaN: the maximum is the last finite value.
        let input = Self.batch(rows: 1000)
        let reader = try ParquetFileReader(bytes: encodeParquet(input))
        let stats = try #require(reader.rowGroups.first).statistics
        #expect(stats[2]?.min == .int64(999 * -1_000_003) && stats[2]?.max == .int64(0))
        #expect(stats[3]?.max == .double(999.0 / 7) && stats[3]?.nanCount == 1 && stats[3]?.min == .double(-.infinity), "\(String(describing: stats[3]))")
        #expect(stats[4]?.min == .string(""))
        #expect(stats[0]?.nullCount == Int64(input.columns[0].nullCount))
    }

    @Test func nestedWriterOutputAssemblesBackToTheSameRecords() throws {
        let schema: [ParquetNode] = [
            .group(name: "txn", repetition: .optional, annotation: .none, children: [
                .leaf(name: "appId", type: .string, repetition: .required),
                .leaf(name: "version", type: .int64, repetition: .required),
            ]),
            .group(name: "add", repetition: .optional, annotation: .none, children: [
                .leaf(name: "path", type: .string, repetition: .required),
                .stringMap(name: "partitionValues", repetition: .required),
                .leaf(name: "size", type: .int64, repetition: .required),
                .list(name: "tags", repetition: .optional, element: .leaf(name: "element", type: .string, repetition: .optional)),
                .leaf(name: "modificationTime", type: .timestamp, repetition: .optional),
            ]),
        ]
        let rows: [NestedValue] = [
            .group(["txn": .group(["appId": .value(.string("app")), "version": .value(.int64(7))])]),
            .group(["add": .group([
                "path": .value(.string("fs_year=2019/part-0.parquet")),
                "partitionValues": .map([(key: "fs_year", value: .value(.string("2019"))), (key: "fs_month", value: .null)]),
                "size": .value(.int64(123)),
                "tags": .list([.value(.string("a")), .null, .value(.string("ç"))]),
                "modificationTime": .value(.timestamp(1_547_765_406_000_000)),
            ])]),
            .group(["add": .group(["path": .value(.string("p2")), "partitionValues": .map([]), "size": .value(.int64(0)), "tags": .list([])])]),
            .group([:]),
        ]
        let bytes = try encodeNestedParquet(schema: schema, rows: rows)
        let (readSchema, readRows) = try ParquetFileReader(bytes: bytes).readNested()
        #expect(readSchema == schema)
        #expect(readRows == rows)
    }

    /// A chunk above `prefetchThreshold` decompresses on the prefetch thread, and a read above
    /// `parallelThreshold` decodes its columns concurrently: results must not change.
    @Test func largeChunksDecodeThroughThePrefetcherAndInParallel() throws {
        let rows = 120_000
        var state: UInt64 = 42
        var s = ColumnBuilder(type: .string, capacity: rows)
        var d = ColumnBuilder(type: .double, capacity: rows)
        let hex = Array("0123456789abcdef".utf8)
        for r in 0 ..< rows {
            var text: [UInt8] = []
            for _ in 0 ..< 24 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text.append(hex[Int(state >> 60)])
            }
            if r % 97 == 0 { s.appendNull() } else { s.append(String(decoding: text, as: UTF8.self)) }
            d.append(Double(bitPattern: state >> 2))
        }
        let input = RecordBatch(schema: Schema([Field("s", .string), Field("d", .double)]), columns: [s.finish(), d.finish()])
        var options = ParquetWriterOptions()
        options.maxPageRows = 4000
        let bytes = try encodeParquet(input, options: options)
        let reader = try ParquetFileReader(bytes: bytes)
        let chunk = try #require(reader.metadata.rowGroups.first?.columns[0].metaData)
        #expect(Int(chunk.totalCompressedSize) >= ColumnChunkDecoder.prefetchThreshold)
        let output = try reader.readAll()
        #expect(Self.identical(input.columns[0], output.columns[0]))
        #expect(Self.identical(input.columns[1], output.columns[1]))
    }
}
