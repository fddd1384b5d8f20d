import FSCore
import Testing
@testable import FSTable

@Suite struct ActionJSONTests {
    static let goldens: [(Action, String)] = [
        (.protocol(ProtocolAction()), #"{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}"#),
        (.metadata(MetadataAction(id: "106b4370-831d-440a-be73-056fa121d4cd",
                                  schemaString: SparkSchema.encode(Schema([Field("id", .int64, isNullable: false), Field("fs_year", .int32)])),
                                  partitionColumns: ["fs_year"], configuration: ["delta.checkpointInterval": "10"], createdTime: 1_795_219_610_208)),
         #"{"metaData":{"id":"106b4370-831d-440a-be73-056fa121d4cd","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},{\"name\":\"fs_year\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["fs_year"],"configuration":{"delta.checkpointInterval":"10"},"createdTime":1795219610208}}"#),
        (.add(AddAction(path: "fs_year=2019/fs_month=1/a b%.parquet", partitionValues: ["fs_year": "2019", "fs_month": "1", "fs_day": nil], size: 57_087,
                        modificationTime: 1_795_219_610_185, dataChange: true, stats: #"{"numRecords":3}"#)),
         #"{"add":{"path":"fs_year=2019/fs_month=1/a%20b%25.parquet","partitionValues":{"fs_year":"2019","fs_month":"1","fs_day":null},"size":57087,"modificationTime":1795219610185,"dataChange":true,"stats":"{\"numRecords\":3}"}}"#),
        (.remove(RemoveAction(path: "x.parquet", deletionTimestamp: 5, dataChange: false, extendedFileMetadata: true, partitionValues: [:], size: 7)),
         #"{"remove":{"path":"x.parquet","deletionTimestamp":5,"dataChange":false,"extendedFileMetadata":true,"partitionValues":{},"size":7}}"#),
        (.txn(TxnAction(appId: "fs-ingest/orders/p0", version: 42, lastUpdated: 9)),
         #"{"txn":{"appId":"fs-ingest/orders/p0","version":42,"lastUpdated":9}}"#),
        (.commitInfo(timestampMillis: 1, operation: "WRITE", parameters: ["mode": "Append"], readVersion: 3, isBlindAppend: true),
         #"{"commitInfo":{"timestamp":1,"operation":"WRITE","operationParameters":{"mode":"Append"},"readVersion":3,"isBlindAppend":true,"engineInfo":"fs/0.1.0"}}"#),
        (.unknown(name: "domainMetadata", body: .object([("domain", .string("d")), ("removed", .bool(false))])),
         #"{"domainMetadata":{"domain":"d","removed":false}}"#),
    ]

    @Test(arguments: 0..<goldens.count)
    func actionEncodesToTheExactGoldenLineAndDecodesBack(index: Int) throws {
        let (action, line) = Self.goldens[index]
        #expect(action.jsonLine == line)
        #expect(try Action(line: line) == action)
    }

    @Test func deltaRsAddWithNullOptionalFieldsAndUnknownFieldsDecodes() throws {
        let line = #"{"add":{"path":"p=1/part-00000-2fdb-c000.snappy.parquet","partitionValues":{"p":"1"},"size":1060,"modificationTime":1795223764453,"dataChange":true,"stats":"{}","tags":null,"baseRowId":null,"defaultRowCommitVersion":null,"clusteringProvider":null}}"#
        guard case .add(let a) = try Action(line: line) else { Issue.record("not an add"); return }
        #expect(a.path == "p=1/part-00000-2fdb-c000.snappy.parquet")
        #expect(a.partitionValues["p"] == "1")
        #expect(a.tags == nil)
    }

    @Test func metadataWithNullNameAndDescriptionDecodes() throws {
        let line = #"{"metaData":{"id":"x","name":null,"description":null,"format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"createdTime":1,"configuration":{}}}"#
        guard case .metadata(let m) = try Action(line: line) else { Issue.record("not metadata"); return }
        #expect(m.name == nil && m.id == "x" && m.createdTime == 1)
    }

    @Test(arguments: [
        (#"{"add":{"partitionValues":{},"size":1}}"#, "add.path is missing"),
        (#"{"txn":{"appId":"a","version":"x"}}"#, "txn.version must be an integer"),
        (#"{"add":{"path":"a%zz","size":1}}"#, "add.path is not a valid URI-encoded path: a%zz"),
        (#"{"add":{},"remove":{}}"#, "an action must be an object with exactly one key"),
    ])
    func malformedActionsAreRejectedWithTheFieldNamed(line: String, reason: String) {
        #expect(throws: ActionDecodingError(reason)) { try Action(line: line) }
    }

    @Test func nonASCIIPathsArePercentEncodedAsUTF8AndDecodeBack() throws {
        let a = Action.add(add("city=São Paulo/ü.parquet"))
        #expect(a.jsonLine.contains(#""path":"city=S%C3%A3o%20Paulo/%C3%BC.parquet""#))
        #expect(try Action(line: a.jsonLine) == a)
    }
}

@Suite struct SparkSchemaTests {
    @Test func everyTypeRoundTripsThroughTheSchemaString() throws {
        let schema = Schema(DataType.allCases.enumerated().map { Field("c\($0.offset)_\($0.element)", $0.element, isNullable: $0.offset % 2 == 0) })
        #expect(try SparkSchema.decode(SparkSchema.encode(schema)) == schema)
    }

    @Test func widerForeignTypesMapToTheTypesTheReaderProduces() throws {
        let text = #"{"type":"struct","fields":[{"name":"a","type":"short","nullable":true,"metadata":{}},{"name":"b","type":"float","nullable":true,"metadata":{}},{"name":"c","type":"decimal(10,2)","nullable":true,"metadata":{}},{"name":"d","type":"timestamp_ntz","nullable":false,"metadata":{}}]}"#
        let s = try SparkSchema.decode(text)
        #expect(s.fields.map(\.type) == [.int32, .double, .double, .timestamp])
        #expect(s.fields[3].isNullable == false)
    }

    @Test func nestedTypesAreRefusedNamingTheColumn() {
        let text = #"{"type":"struct","fields":[{"name":"tags","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}}]}"#
        #expect(throws: DeltaLogError.unsupportedType(column: "tags", type: #"{"type":"array","elementType":"string","containsNull":true}"#)) {
            try SparkSchema.decode(text)
        }
    }

    @Test func columnNamesDifferingOnlyInCaseAreRejected() {
        let text = #"{"type":"struct","fields":[{"name":"A","type":"long","nullable":true,"metadata":{}},{"name":"a","type":"long","nullable":true,"metadata":{}}]}"#
        #expect(throws: DeltaLogError.self) { try SparkSchema.decode(text) }
    }
}

@Suite struct LogPathTests {
    @Test func commitAndCheckpointNamesAreTwentyDigitZeroPadded() {
        let p = LogPath(root: "/t/")
        #expect(p.commitFile(7) == "/t/_delta_log/00000000000000000007.json")
        #expect(p.checkpointFile(10) == "/t/_delta_log/00000000000000000010.checkpoint.parquet")
        #expect(p.lastCheckpointFile == "/t/_delta_log/_last_checkpoint")
        #expect(p.stagingDirectory == "/t/_staging")
    }

    @Test(arguments: [
        ("00000000000000000007.json", Int64?.some(7)), ("00000000000000000007.json.tmp", nil), ("7.json", nil),
        ("0000000000000000000a.json", nil), ("00000000000000000010.checkpoint.parquet", nil), ("_last_checkpoint", nil),
    ])
    func onlyExactCommitNamesParseAsVersions(name: String, version: Int64?) {
        #expect(LogPath.commitVersion(fileName: name) == version)
    }

    @Test func temporaryNamesNeverLookLikeCommitsOrCheckpoints() {
        let p = LogPath(root: "/t")
        for tmp in [p.newCommitTempFile(), p.newCheckpointTempFile()] {
            let name = String(tmp.split(separator: "/").last ?? "")
            #expect(LogPath.commitVersion(fileName: name) == nil)
            #expect(LogPath.checkpoint(fileName: name) == nil)
            #expect(LogPath.isHidden(component: name))
        }
        #expect(p.newCommitTempFile() != p.newCommitTempFile())
    }

    @Test func checkpointPartNamesParse() {
        #expect(LogPath.checkpoint(fileName: "00000000000000000010.checkpoint.parquet") == CheckpointName(version: 10, part: 1, parts: 1))
        #expect(LogPath.checkpoint(fileName: "00000000000000000010.checkpoint.0000000002.0000000003.parquet") == CheckpointName(version: 10, part: 2, parts: 3))
        #expect(LogPath.checkpoint(fileName: "00000000000000000010.checkpoint.80a083e8-8700-4e2d.json") == nil)
    }

    @Test func dataFileNamesFollowSparksPatternAndAreUnique() {
        let a = LogPath.newDataFileName(), b = LogPath.newDataFileName()
        #expect(a != b)
        #expect(a.hasPrefix("part-00000-") && a.hasSuffix(".c000.zstd.parquet"))
        #expect(a.count == "part-00000-".count + 36 + ".c000.zstd.parquet".count)
    }
}
