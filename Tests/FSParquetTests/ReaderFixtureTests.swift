import FSCore
import Testing
@testable import FSParquet

@Suite struct ReaderFixtureTests {
    @Test func everyWriterHasAFixture() {
        let names = Set(ReaderFixtures.flatNames)
        for required in ["pyarrow_default", "pyarrow_zstd", "pyarrow_v2_pages", "pyarrow_plain", "pandas", "duckdb_default",
                         "duckdb_v2", "polars_default", "deltalake_default", "spark_default", "spark_v2", "pyarrow_multi_rowgroup"] {
            #expect(names.contains(required), "missing fixture \(required)")
        }
    }

    @Test(arguments: ReaderFixtures.flatNames)
    func foreignFileDecodesValueForValueAsPyarrowReadsIt(name: String) throws {
        let lines = try ReaderFixtures.jsonLines(name)
        let header = try #require(lines.first)
        let reader = try ParquetFileReader(path: ReaderFixtures.path(name))
        let expectedFields = try #require(header["schema"]?.arrayValue)
        #expect(reader.schema.names == expectedFields.compactMap { $0["name"]?.stringValue })
        #expect(reader.schema.fields.map(\.type.rawValue) == expectedFields.compactMap { $0["type"]?.stringValue })
        #expect(reader.schema.fields.map(\.isNullable) == expectedFields.compactMap { $0["nullable"]?.boolValue })
        #expect(Int64(reader.rowGroups.count) == header["row_groups"]?.int64Value)

        let batch = try reader.readAll()
        let rows = lines.dropFirst()
        #expect(batch.rowCount == rows.count)
        #expect(reader.rowCount == Int64(rows.count))
        var mismatches: [String] = []
        for (r, row) in rows.enumerated() where r < batch.rowCount {
            for (c, field) in batch.schema.fields.enumerated() {
                let expected = row[field.name] ?? .null
                let actual = batch.columns[c][r]
                if !ReaderFixtures.matches(actual, expected) { mismatches.append("row \(r) \(field.name): \(actual) vs \(expected)") }
            }
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
        // Validity exists only when a column holds NULLs.
        for column in batch.columns where column.validity != nil { #expect(column.nullCount > 0) }
    }

    @Test(arguments: ReaderFixtures.flatNames)
    func inMemoryAndFileReadersAgree(name: String) throws {
        let fromFile = try ParquetFileReader(path: ReaderFixtures.path(name)).readAll()
        let fromBytes = try ParquetFileReader(bytes: ReaderFixtures.bytes(name), name: name).readAll()
        #expect(fromFile.schema == fromBytes.schema)
        #expect(fromFile.rowCount == fromBytes.rowCount)
        for (a, b) in zip(fromFile.columns, fromBytes.columns) {
            #expect(a.validity == b.validity)
            for r in 0 ..< a.count where !ReaderFixtures.matches(a[r], jsonOf(b[r])) {
                Issue.record("\(name) row \(r): \(a[r]) vs \(b[r])")
                break
            }
        }
    }

    @Test func projectionDecodesOnlyTheNamedColumnsInTheOrderGiven() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_default"))
        let all = try reader.readAll()
        let some = try reader.readAll(columns: ["ts", "s"])
        #expect(some.schema.names == ["ts", "s"])
        #expect(some.columns[0] == all.column(named: "ts"))
        #expect(some.columns[1] == all.column(named: "s"))
    }

    @Test func rowGroupsReadOneByOneConcatenateToTheWholeFile() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_multi_rowgroup"))
        #expect(reader.rowGroups.count == 4)
        let all = try reader.readAll()
        var offset = 0
        for g in 0 ..< reader.rowGroups.count {
            let part = try reader.read(rowGroup: g, columns: ["id", "s", "d"])
            #expect(Int64(part.rowCount) == reader.rowGroups[g].rowCount)
            #expect(part.columns[0] == all.column(named: "id")!.gather(Array(offset ..< offset + part.rowCount)))
            #expect(part.columns[1] == all.column(named: "s")!.gather(Array(offset ..< offset + part.rowCount)))
            offset += part.rowCount
        }
        #expect(offset == all.rowCount)
    }

    @Test func unknownColumnAndRowGroupAreCallerErrors() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_default"))
        #expect(throws: ParquetError.self) { try reader.readAll(columns: ["nope"]) }
        #expect(throws: ParquetError.self) { try reader.read(rowGroup: 1) }
        do {
            _ = try reader.readAll(columns: ["nope"])
        } catch {
            #expect(error.exitStatus == .software)
            #expect(error.description.contains("nope"))
        }
    }

    @Test func emptyFileHasTheSchemaAndNoRows() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_empty"))
        let batch = try reader.readAll()
        #expect(batch.rowCount == 0)
        #expect(batch.schema.count == 8)
    }

    @Test func allNullColumnsCarryAValidityBitmapWithNoValidRow() throws {
        let batch = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_all_null")).readAll()
        for column in batch.columns {
            #expect(column.count == 20)
            #expect(column.nullCount == 20)
        }
    }

    private func jsonOf(_ v: Value) -> JSONValue {
        switch v {
        case .null: return .null
        case .boolean(let b): return .bool(b)
        case .int32(let x), .date(let x): return .int(Int64(x))
        case .int64(let x), .timestamp(let x): return .int(x)
        case .double(let d): return d.isNaN ? .string("NaN") : d.isInfinite ? .string(d > 0 ? "Infinity" : "-Infinity") : .double(d)
        case .string(let s): return .string(s)
        }
    }
}
