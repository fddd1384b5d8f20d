import FSCore
import Testing
@testable import FSParquet

@Suite struct ReaderNestedTests {
    /// NestedValue against the script's JSON: objects (a missing key is NULL), arrays, and
    /// {"$map": [[key, value], ...]} for maps.
    private func matches(_ v: NestedValue, _ j: JSONValue) -> Bool {
        switch (v, j) {
        case (.null, .null): return true
        case (.value(let x), _): return ReaderFixtures.matches(x, j)
        case (.list(let items), .array(let a)):
            return items.count == a.count && zip(items, a).allSatisfy { matches($0, $1) }
        case (.map(let entries), _):
            guard let pairs = j["$map"]?.arrayValue, pairs.count == entries.count else { return false }
            return zip(entries, pairs).allSatisfy { e, p in
                guard let kv = p.arrayValue, kv.count == 2 else { return false }
                return kv[0].stringValue == e.key && matches(e.value, kv[1])
            }
        case (.group(let fields), .object(let pairs)):
            let names = Set(pairs.map(\.0))
            return fields.keys.allSatisfy(names.contains) && pairs.allSatisfy { matches(fields[$0.0] ?? .null, $0.1) }
        default: return false
        }
    }

    @Test(arguments: ["pyarrow_nested", "deltalake_checkpoint"])
    func nestedFileAssemblesTheRecordsPyarrowReads(name: String) throws {
        let expected = try ReaderFixtures.jsonLines(name, suffix: ".nested.jsonl")
        let (_, rows) = try ParquetFileReader(path: ReaderFixtures.path(name)).readNested()
        #expect(rows.count == expected.count)
        for (i, (row, json)) in zip(rows, expected).enumerated() {
            #expect(matches(row, json), "\(name) row \(i): \(row) vs \(json)")
        }
    }

    @Test func nestedSchemaKeepsGroupsMapsAndLists() throws {
        let (schema, _) = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_nested")).readNested()
        #expect(schema.map(\.name) == ["txn", "add", "n"])
        guard case let .group(_, repetition, annotation, children) = schema[1] else {
            Issue.record("add is not a group")
            return
        }
        #expect(repetition == .optional && annotation == .none)
        #expect(children.map(\.name) == ["path", "partitionValues", "size", "tags"])
        #expect(children[1] == .stringMap(name: "partitionValues", repetition: .optional))
        guard case let .group(_, _, listAnnotation, _) = children[3] else {
            Issue.record("tags is not a group")
            return
        }
        #expect(listAnnotation == .list)
        #expect(schema[2] == .leaf(name: "n", type: .int32, repetition: .optional))
    }

    @Test func deltaCheckpointRowsCarryOneActionEach() throws {
        let (_, rows) = try ParquetFileReader(path: ReaderFixtures.path("deltalake_checkpoint")).readNested()
        var kinds: [String: Int] = [:]
        for row in rows {
            guard case .group(let actions) = row else { continue }
            #expect(actions.count == 1, "a checkpoint row holds exactly one action: \(actions.keys.sorted())")
            for k in actions.keys { kinds[k, default: 0] += 1 }
        }
        #expect(kinds["protocol"] == 1)
        #expect(kinds["metaData"] == 1)
        #expect((kinds["add"] ?? 0) >= 1)
    }

    @Test(arguments: [["add"], ["metaData", "protocol"], ["remove"], ["add", "txn", "nonexistent"], []] as [Set<String>])
    func aRowGroupReadOfSomeFieldsEqualsTheFullRowsWithOnlyThoseFields(fields: Set<String>) throws {
        for name in ["pyarrow_nested", "deltalake_checkpoint"] {
            let reader = try ParquetFileReader(path: ReaderFixtures.path(name))
            let full = try (0..<reader.metadata.rowGroups.count).flatMap { try reader.readNested(rowGroup: $0) }
            let some = try (0..<reader.metadata.rowGroups.count).flatMap { try reader.readNested(rowGroup: $0, fields: fields) }
            let expected: [NestedValue] = full.map { row in
                guard case .group(let g) = row else { return row }
                return .group(g.filter { fields.contains($0.key) })
            }
            #expect(some == expected, "\(name), fields \(fields.sorted())")
        }
        // The premise: the checkpoint has adds, so ["add"] selects something.
        let adds = try ParquetFileReader(path: ReaderFixtures.path("deltalake_checkpoint")).readNested(rowGroup: 0, fields: ["add"])
        #expect(adds.contains { if case .group(let g) = $0 { !g.isEmpty } else { false } })
    }

    @Test func flatReadOfANestedFileOffersOnlyUnrepeatedLeaves() throws {
        let reader = try ParquetFileReader(path: ReaderFixtures.path("pyarrow_nested"))
        #expect(reader.schema.names == ["txn.appId", "txn.version", "add.path", "add.size", "n"])
        let batch = try reader.readAll(columns: ["add.path", "txn.version"])
        #expect(batch.columns[0][0] == .string("a.parquet"))
        #expect(batch.columns[0][1] == .null)
        #expect(batch.columns[1][1] == .int64(3))
        #expect(batch.columns[1][0] == .null)
    }
}
