import FSCore
import Testing
@testable import FSParquet

@Suite struct ReaderStatisticsTests {
    /// Every recorded min/max bounds the values of its row group, and null counts are exact.
    @Test(arguments: ReaderFixtures.flatNames)
    func rowGroupStatisticsBoundTheDecodedValues(name: String) throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path(name))
        for (g, info) in reader.rowGroups.enumerated() {
            let batch = try reader.read(rowGroup: g)
            for (c, stats) in info.statistics.enumerated() {
                guard let stats else { continue }
                let column = batch.columns[c]
                #expect(stats.nullCount == Int64(column.nullCount), "\(name) rg \(g) \(batch.schema.fields[c].name)")
                guard let low = stats.min, let high = stats.max else { continue }
                for r in 0 ..< column.count {
                    let v = column[r]
                    if v.isNull { continue }
                    if case .double(let d) = v, d.isNaN { continue }
                    #expect(!less(v, low) && !less(high, v), "\(name) rg \(g) \(batch.schema.fields[c].name): \(v) outside [\(low), \(high)]")
                }
            }
        }
    }

    @Test func pyarrowMultiRowGroupStatisticsLetCallersSkipGroups() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_multi_rowgroup"))
        let idField = try #require(reader.schema.index(of: "id"))
        let ranges = reader.rowGroups.map { ($0.statistics[idField]?.min, $0.statistics[idField]?.max) }
        #expect(ranges.count == 4)
        #expect(ranges[0].0 == .int64(0) && ranges[0].1 == .int64(499))
        #expect(ranges[3].0 == .int64(1500) && ranges[3].1 == .int64(1999))
        // A predicate id >= 1600 keeps only the last group.
        let kept = reader.rowGroups.indices.filter { g in
            if case .int64(let m)? = reader.rowGroups[g].statistics[idField]?.max { return m >= 1600 }
            return true
        }
        #expect(kept == [3])
    }

    @Test func sparkINT96TimestampsCarryNoMinMax() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("spark_default"))
        let ts = try #require(reader.schema.index(of: "ts"))
        let stats = reader.rowGroups[0].statistics[ts]
        #expect(stats?.min == nil && stats?.max == nil)
    }

    private func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.boolean(let x), .boolean(let y)): return !x && y
        case (.string(let x), .string(let y)): return utf8Less(x, y)
        case (.double(let x), .double(let y)): return x < y
        default:
            if let x = a.asInt64, let y = b.asInt64 { return x < y }
            return false
        }
    }
}

@Suite struct ReaderCorruptionTests {
    private func readEverything(_ bytes: [UInt8]) throws {
        let reader = try ParquetFileReader(bytes: bytes, name: "fuzzed.parquet")
        _ = try reader.readAll()
    }

    @Test(arguments: ["pyarrow_default", "spark_default", "duckdb_v2", "pyarrow_v2_pages", "polars_default", "spark_v2_no_dictionary"])
    func everyTruncationIsAnErrorNotACrash(name: String) throws {
        let bytes = try ReaderFixtures.bytes(name)
        var lengths = Array(stride(from: 0, to: bytes.count, by: Swift.max(1, bytes.count / 60)))
        lengths += [bytes.count - 1, bytes.count - 8, bytes.count - 9]
        for n in lengths where n >= 0 && n < bytes.count {
            #expect(throws: ParquetError.self, "truncated to \(n)") { try readEverything(Array(bytes[0 ..< n])) }
        }
    }

    /// Flips bits all over the file (data pages, headers, footer): each read either succeeds
    /// (a flip inside a value) or throws a ParquetError — it never crashes.
    @Test(arguments: ["pyarrow_default", "spark_default", "duckdb_v2", "pyarrow_v2_pages", "deltalake_default", "spark_v2_no_dictionary", "pyarrow_multi_rowgroup"])
    func bitFlipsAreErrorsOrValuesNeverCrashes(name: String) throws {
        let original = try ReaderFixtures.bytes(name)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(original.count)
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var errors = 0
        for _ in 0 ..< 150 {
            var bytes = original
            for _ in 0 ..< Int(next() % 3 + 1) {
                let i = Int(next() % UInt64(bytes.count))
                bytes[i] ^= 1 << UInt8(next() % 8)
            }
            do {
                try readEverything(bytes)
            } catch let e as ParquetError {
                errors += 1
                #expect(!e.description.isEmpty)
            }
        }
        #expect(errors > 0)
    }

    @Test func errorsNameTheFileTheColumnAndTheOffset() throws {
        var bytes = try ReaderFixtures.bytes("pyarrow_plain")
        let reader = try ParquetFileReader(bytes: bytes, name: "x.parquet")
        let meta = try #require(reader.metadata.rowGroups[0].columns[5].metaData)   // column s
        // Corrupt the first length prefix of the PLAIN strings (uncompressed file).
        let header = try PageHeader.decode(bytes, offset: Int(meta.dataPageOffset))
        let values = Int(meta.dataPageOffset) + header.length + 4 + Int(bytes[Int(meta.dataPageOffset) + header.length]) // skip def levels
        bytes[values + 3] = 0x7f
        do {
            _ = try ParquetFileReader(bytes: bytes, name: "x.parquet").readAll(columns: ["s"])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("x.parquet"))
            #expect(error.description.contains("column s"))
            #expect(error.description.contains("at byte \(meta.dataPageOffset)"))
            #expect(error.exitStatus == .dataError)
        }
    }

    @Test(arguments: [[UInt8](), Array("PAR1".utf8), Array("PAR1PAR1PAR1".utf8), Array("hello world, not parquet".utf8)])
    func nonParquetInputIsRejected(bytes: [UInt8]) {
        #expect(throws: ParquetError.self) { try ParquetFileReader(bytes: bytes) }
    }

    @Test func missingFileIsAnIOError() {
        do {
            _ = try ParquetFileReader(path: "/nonexistent/x.parquet")
            Issue.record("expected an error")
        } catch {
            #expect(error.exitStatus == .ioError)
        }
    }
}

@Suite struct ReaderUnsupportedTests {
    @Test func gzipChunksAreAnUnsupportedCodecErrorNamingTheColumn() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("unsupported_gzip"))
        #expect(reader.schema.names == ["id", "s"])
        do {
            _ = try reader.readAll(columns: ["s"])
            Issue.record("GZIP should not decode")
        } catch {
            guard case let .unsupported(file, column, feature) = error else {
                Issue.record("expected .unsupported, got \(error)")
                return
            }
            #expect(file.hasSuffix("unsupported_gzip.parquet"))
            #expect(column == "s")
            #expect(feature.contains("GZIP"))
            #expect(error.exitStatus == .dataError)
        }
    }
}
