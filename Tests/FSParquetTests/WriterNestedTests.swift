import FSCore
import Testing

@testable import FSParquet

/// The Delta V1 checkpoint schema of table-format.md §3.8.
func checkpointSchema() -> [ParquetNode] {
    [
        .group(name: "txn", repetition: .optional, annotation: .none, children: [
            .leaf(name: "appId", type: .string, repetition: .required),
            .leaf(name: "version", type: .int64, repetition: .required),
            .leaf(name: "lastUpdated", type: .int64, repetition: .optional),
        ]),
        .group(name: "add", repetition: .optional, annotation: .none, children: [
            .leaf(name: "path", type: .string, repetition: .required),
            .stringMap(name: "partitionValues", repetition: .required),
            .leaf(name: "size", type: .int64, repetition: .required),
            .leaf(name: "modificationTime", type: .int64, repetition: .required),
            .leaf(name: "dataChange", type: .boolean, repetition: .required),
            .leaf(name: "stats", type: .string, repetition: .optional),
            .stringMap(name: "tags", repetition: .optional),
        ]),
        .group(name: "remove", repetition: .optional, annotation: .none, children: [
            .leaf(name: "path", type: .string, repetition: .required),
            .leaf(name: "deletionTimestamp", type: .int64, repetition: .optional),
            .leaf(name: "dataChange", type: .boolean, repetition: .required),
            .leaf(name: "extendedFileMetadata", type: .boolean, repetition: .optional),
            .stringMap(name: "partitionValues", repetition: .optional),
            .leaf(name: "size", type: .int64, repetition: .optional),
        ]),
        .group(name: "metaData", repetition: .optional, annotation: .none, children: [
            .leaf(name: "id", type: .string, repetition: .required),
            .leaf(name: "name", type: .string, repetition: .optional),
            .leaf(name: "description", type: .string, repetition: .optional),
            .group(name: "format", repetition: .required, annotation: .none, children: [
                .leaf(name: "provider", type: .string, repetition: .required),
                .stringMap(name: "options", repetition: .required),
            ]),
            .leaf(name: "schemaString", type: .string, repetition: .required),
            .list(name: "partitionColumns", repetition: .required, element: .leaf(name: "element", type: .string, repetition: .required)),
            .stringMap(name: "configuration", repetition: .required),
            .leaf(name: "createdTime", type: .int64, repetition: .optional),
        ]),
        .group(name: "protocol", repetition: .optional, annotation: .none, children: [
            .leaf(name: "minReaderVersion", type: .int32, repetition: .required),
            .leaf(name: "minWriterVersion", type: .int32, repetition: .required),
        ]),
    ]
}

/// Checkpoint rows: protocol, metaData, a txn, two adds (one with an empty map), a remove.
func checkpointRows() -> [NestedValue] {
    func s(_ x: String) -> NestedValue { .value(.string(x)) }
    func l(_ x: Int64) -> NestedValue { .value(.int64(x)) }
    return [
        .group(["protocol": .group(["minReaderVersion": .value(.int32(1)), "minWriterVersion": .value(.int32(2))])]),
        .group(["metaData": .group([
            "id": s("0f3a"), "format": .group(["provider": s("parquet"), "options": .map([])]),
            "schemaString": s("{\"type\":\"struct\",\"fields\":[]}"),
            "partitionColumns": .list([s("year"), s("month"), s("day")]),
            "configuration": .map([(key: "delta.appendOnly", value: s("true"))]), "createdTime": l(1_700_000_000_000),
        ])]),
        .group(["txn": .group(["appId": s("ingest-orders"), "version": l(41), "lastUpdated": l(1_700_000_000_001)])]),
        .group(["add": .group([
            "path": s("year=2019/month=6/day=1/part-00000-a.parquet"),
            "partitionValues": .map([(key: "year", value: s("2019")), (key: "month", value: s("6")), (key: "day", value: s("1"))]),
            "size": l(1234), "modificationTime": l(1_700_000_000_002), "dataChange": .value(.boolean(true)),
            "stats": s("{\"numRecords\":3}"),
        ])]),
        .group(["add": .group([
            "path": s("part-00001-é.parquet"), "partitionValues": .map([]), "size": l(99),
            "modificationTime": l(5), "dataChange": .value(.boolean(false)), "tags": .map([(key: "k", value: .null)]),
        ])]),
        .group(["remove": .group([
            "path": s("old.parquet"), "deletionTimestamp": l(7), "dataChange": .value(.boolean(true)),
            "partitionValues": .map([(key: "year", value: .null)]),
        ])]),
    ]
}

@Suite struct WriterNestedTests {
    private func leaf(_ shredder: NestedShredder, _ path: String) -> ShreddedLeaf {
        shredder.leaves.first { $0.path.joined(separator: ".") == path }!
    }

    @Test func partitionValuesKeysShredToTheLevelsOfTheGuide() throws {
        var sh = try NestedShredder(schema: checkpointSchema(), file: "t")
        let key = leaf(sh, "add.partitionValues.key_value.key")
        #expect(key.maxDefinitionLevel == 2)
        #expect(key.maxRepetitionLevel == 1)
        // {add:{partitionValues:{year,month,day}}}, a txn-only row, an add with an empty map.
        try sh.append(row: checkpointRows()[3])
        try sh.append(row: checkpointRows()[2])
        try sh.append(row: checkpointRows()[4])
        let k = leaf(sh, "add.partitionValues.key_value.key")
        #expect(k.repetitionLevels == [0, 1, 1, 0, 0])
        #expect(k.definitionLevels == [2, 2, 2, 0, 1])
        #expect(k.values.finish() == Column(.string, [.string("year"), .string("month"), .string("day")]))
        let v = leaf(sh, "add.partitionValues.key_value.value")
        #expect(v.maxDefinitionLevel == 3)
        #expect(v.definitionLevels == [3, 3, 3, 0, 1])
        let tagsValue = leaf(sh, "add.tags.key_value.value")
        #expect(tagsValue.maxDefinitionLevel == 4)
        // No tags, no add, then one entry whose value is NULL.
        #expect(tagsValue.definitionLevels == [1, 0, 3])
        let txnVersion = leaf(sh, "txn.version")
        #expect(txnVersion.definitionLevels == [0, 1, 0])
        #expect(txnVersion.repetitionLevels == [0, 0, 0])
    }

    @Test func listsShredEveryElementAfterTheFirstAtTheirRepetitionLevel() throws {
        var sh = try NestedShredder(schema: checkpointSchema(), file: "t")
        try sh.append(row: checkpointRows()[1])
        try sh.append(row: checkpointRows()[0])
        let e = leaf(sh, "metaData.partitionColumns.list.element")
        #expect(e.maxDefinitionLevel == 2 && e.maxRepetitionLevel == 1)
        #expect(e.repetitionLevels == [0, 1, 1, 0])
        #expect(e.definitionLevels == [2, 2, 2, 0])
        let options = leaf(sh, "metaData.format.options.key_value.key")
        #expect(options.definitionLevels == [1, 0])
    }

    @Test func requiredNullsAndWrongTypesAreErrorsNamingThePath() throws {
        var sh = try NestedShredder(schema: checkpointSchema(), file: "cp.parquet")
        #expect(throws: ParquetError.invalidArgument(file: "cp.parquet", column: "txn.appId", reason: "NULL in a required field")) {
            try sh.append(row: .group(["txn": .group(["version": .value(.int64(1))])]))
        }
        #expect(throws: ParquetError.self) { try sh.append(row: .group(["txn": .group(["appId": .value(.int64(1)), "version": .value(.int64(1))])])) }
        #expect(throws: ParquetError.self) { try sh.append(row: .group(["add": .value(.int64(1))])) }
        #expect(throws: ParquetError.self) { try sh.append(row: .value(.int32(1))) }
        #expect(throws: ParquetError.self) {
            _ = try NestedShredder(schema: [.group(name: "m", repetition: .optional, annotation: .map, children: [.leaf(name: "x", type: .string, repetition: .required)])], file: "t")
        }
    }

    @Test func checkpointFileHasTheNestedSchemaAndConsistentChunks() throws {
        let bytes = try encodeNestedParquet(schema: checkpointSchema(), rows: checkpointRows())
        let d = try WriterTestDecoder(bytes)
        let m = d.metadata
        #expect(m.numRows == 6)
        #expect(m.schema == schemaElements(for: checkpointSchema()))
        let pv = try #require(m.schema.first { $0.name == "partitionValues" })
        #expect(pv.convertedType == .map && pv.logicalType == .map && pv.numChildren == 1)
        let pc = try #require(m.schema.first { $0.name == "partitionColumns" })
        #expect(pc.convertedType == .list && pc.logicalType == .list)
        let chunks = m.rowGroups[0].columns
        #expect(chunks.count == m.columnOrders?.count)
        let key = try #require(chunks.first { $0.metaData?.pathInSchema == ["add", "partitionValues", "key_value", "key"] }?.metaData)
        #expect(key.numValues == 8)  // 3 keys, 1 empty map, 4 rows without an add
        let pages = try d.pages(rowGroup: 0, column: chunks.firstIndex { $0.metaData?.pathInSchema == key.pathInSchema }!)
        #expect(pages.count == 1)
        let stats = try #require(ColumnStatistics(key.statistics!, type: .string))
        #expect(stats.min == .string("day") && stats.max == .string("year"))
        #expect(stats.nullCount == 5)
    }

    @Test func nestedPagesAreCutOnlyAtRowBoundaries() throws {
        let schema: [ParquetNode] = [.list(name: "xs", repetition: .optional, element: .leaf(name: "element", type: .int64, repetition: .optional))]
        let rows: [NestedValue] = (0..<100).map { i in .group(["xs": .list((0..<7).map { .value(.int64(Int64(i * 7 + $0))) })]) }
        var options = ParquetWriterOptions()
        options.maxPageRows = 10
        options.compression = .uncompressed
        let bytes = try encodeNestedParquet(schema: schema, rows: rows, options: options)
        let d = try WriterTestDecoder(bytes)
        let pages = try d.pages(rowGroup: 0, column: 0)
        // 10 entries reached after 2 rows (14 entries): every page holds whole rows.
        #expect(pages.count == 50)
        for (offset, h) in pages {
            #expect(h.dataPageHeader!.numValues == 14)
            let start = offset + (try PageHeader.decode(bytes, offset: offset).length)
            let repLength = Int(bytes[start]) | Int(bytes[start + 1]) << 8
            let reps = decodeHybrid(Array(bytes[(start + 4)..<(start + 4 + repLength)]), bitWidth: 1, count: 14)
            #expect(reps.first == 0 && reps.filter { $0 == 0 }.count == 2)
        }
    }

    @Test func zeroRowCheckpointIsValidAndFilesAreCreatedExclusively() throws {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-nested")
        defer { try? FileSystem.removeTree(dir) }
        let summary = try writeNestedParquet(path: dir + "/cp.parquet", schema: checkpointSchema(), rows: [])
        #expect(summary.rowCount == 0)
        let d = try WriterTestDecoder(try FileSystem.readFile(dir + "/cp.parquet"))
        #expect(d.metadata.rowGroups.isEmpty)
        #expect(throws: ParquetError.self) { try writeNestedParquet(path: dir + "/cp.parquet", schema: checkpointSchema(), rows: []) }
        #expect(throws: ParquetError.self) { try writeNestedParquet(path: dir + "/bad.parquet", schema: checkpointSchema(), rows: [.null]) }
        #expect(!FileSystem.exists(dir + "/bad.parquet"))
    }

    @Test func nestedValueMapsCompareByOrderedEntries() {
        let a = NestedValue.map([(key: "a", value: .null), (key: "b", value: .value(.int32(1)))])
        let b = NestedValue.map([(key: "b", value: .value(.int32(1))), (key: "a", value: .null)])
        #expect(a == a)
        #expect(a != b)
    }
}
