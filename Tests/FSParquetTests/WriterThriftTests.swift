import FSCore
import Testing

@testable import FSParquet

/// Hex of bytes, space separated, for readable expectations.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

/// Bytes from a hex string with arbitrary spaces.
func bytes(_ hexString: String) -> [UInt8] {
    let digits = hexString.filter { !$0.isWhitespace }
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

@Suite struct WriterThriftTests {
    @Test(arguments: [
        (Int64(0), "00"), (1, "02"), (-1, "01"), (63, "7e"), (-64, "7f"), (64, "80 01"),
        (100, "c8 01"), (Int64.max, "fe ff ff ff ff ff ff ff ff 01"), (Int64.min, "ff ff ff ff ff ff ff ff ff 01"),
    ])
    func zigzagVarintsMatchTheSpecAndRoundTrip(value: Int64, expected: String) throws {
        var w = CompactWriter()
        w.writeZigzag(value)
        #expect(hex(w.bytes) == expected)
        var r = CompactReader(bytes: w.bytes)
        #expect(try r.readZigzag() == value)
        #expect(r.position == w.bytes.count)
    }

    @Test func dataPageHeaderEncodesToTheWorkedBytesOfTheGuide() throws {
        let h = PageHeader(
            type: .dataPage, uncompressedPageSize: 100, compressedPageSize: 60,
            dataPageHeader: DataPageHeader(numValues: 10, encoding: .plain, definitionLevelEncoding: .rle, repetitionLevelEncoding: .rle))
        let expected = "15 00 15 c8 01 15 78 2c 15 14 15 00 15 06 15 06 00 00"
        #expect(hex(h.encoded()) == expected)
        let (decoded, length) = try PageHeader.decode(bytes(expected) + [0xAA, 0xBB])
        #expect(decoded == h)
        #expect(length == 18)
    }

    @Test func timestampSchemaElementEncodesToTheWorkedBytesOfTheGuide() throws {
        let e = SchemaElement(
            type: .int64, repetitionType: .optional, name: "ts", convertedType: .timestampMicros,
            logicalType: .timestamp(isAdjustedToUTC: true, unit: .micros))
        let expected = "15 04 25 02 18 02 74 73 25 14 4c 8c 11 1c 2c 00 00 00 00 00"
        #expect(hex(e.encoded()) == expected)
        #expect(try SchemaElement.decode(bytes(expected)).value == e)
    }

    @Test func listOfI32AsFieldTwoUsesTheShortListHeader() throws {
        var w = CompactWriter()
        w.writeStruct { [Int32]([0, 3, 8]).writeField(2, to: &$0) }
        #expect(hex(w.bytes) == "29 35 00 06 10 00")
        var r = CompactReader(bytes: w.bytes)
        var got: [Int32] = []
        try r.readStruct { r, f throws(ParquetError) in got = try [Int32].readField(f, from: &r, in: "test") }
        #expect(got == [0, 3, 8])
    }

    @Test func fieldIdJumpsAbove15UseTheLongFormHeader() throws {
        var w = CompactWriter()
        w.writeStruct { w in
            w.writeField(1, i32: 7)
            w.writeField(17, i32: -2)
        }
        #expect(hex(w.bytes) == "15 0e 05 22 03 00")
        var r = CompactReader(bytes: w.bytes)
        var seen: [(Int16, Int32)] = []
        try r.readStruct { r, f throws(ParquetError) in seen.append((f.id, try r.readI32(f, in: "test"))) }
        #expect(seen.map(\.0) == [1, 17])
        #expect(seen.map(\.1) == [7, -2])
    }

    @Test func longListsUseTheExtendedHeaderAndRoundTrip() throws {
        let paths = (0..<40).map { "c\($0)" }
        var w = CompactWriter()
        w.writeStruct { paths.writeField(3, to: &$0) }
        #expect(Array(w.bytes.prefix(3)) == [0x39, 0xF8, 40])
        var r = CompactReader(bytes: w.bytes)
        var got: [String] = []
        try r.readStruct { r, f throws(ParquetError) in got = try [String].readField(f, from: &r, in: "test") }
        #expect(got == paths)
    }

    @Test func nestedStructsRestoreTheOuterFieldIdCounter() throws {
        // Field 5 (struct with fields 1, 2) then field 6: 6 must be encoded as delta 1 from 5.
        var w = CompactWriter()
        w.writeStruct { w in
            w.writeField(5, struct: { w in w.writeField(1, i32: 1); w.writeField(2, i32: 2) })
            w.writeField(6, i32: 3)
        }
        #expect(hex(w.bytes) == "5c 15 02 15 04 00 15 06 00")
    }

    @Test func columnOrderTypeDefinedOrderIsAnEmptyStructInAUnion() {
        #expect(hex(ColumnOrder.typeDefinedOrder.encoded()) == "1c 00 00")
    }

    @Test func boolFieldsLiveInTheTypeNibbleAndBoolListElementsAcceptOneAndTwo() throws {
        var w = CompactWriter()
        w.writeStruct { w in
            w.writeField(1, bool: true)
            w.writeField(2, bool: false)
            [true, false].writeField(3, to: &w)
        }
        #expect(hex(w.bytes) == "11 12 19 22 01 00 00")
        // Java writes false as 2 in bool lists; both must read as false, 1 as true.
        let java = bytes("11 12 19 32 01 02 00 00")
        var r = CompactReader(bytes: java)
        var fields: [Bool] = []
        var list: [Bool] = []
        try r.readStruct { r, f throws(ParquetError) in
            if f.id == 3 {
                list = try [Bool].readField(f, from: &r, in: "t")
            } else {
                fields.append(try r.readBool(f, in: "t"))
            }
        }
        #expect(fields == [true, false])
        #expect(list == [true, false, false])
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        // A DictionaryPageHeader with unknown fields 4..13 of every type, then known field 15.
        var w = CompactWriter()
        w.writeStruct { w in
            w.writeField(1, i32: 3)
            w.writeField(2, i32: 0)
            w.writeField(4, bool: true)
            w.writeField(5, i8: -3)
            Int16(300).writeField(6, to: &w)
            Int64(-1 << 40).writeField(7, to: &w)
            w.writeField(8, double: 2.5)
            w.writeField(9, binary: [1, 2, 3])
            Array(repeating: Int32(1), count: 20).writeField(10, to: &w)
            w.writeField(11, struct: { w in
                w.writeField(1, struct: { "deep".writeField(30, to: &$0) })
                [true, false].writeField(2, to: &w)
            })
            // A map<i32,binary> of 2 entries, written by hand.
            w.writeFieldHeader(id: 12, type: .map)
            w.writeVarint(2)
            w.writeBoolElement(false)  // placeholder byte, replaced below
        }
        var raw = w.bytes
        raw.removeLast(2)  // drop the placeholder and the stop byte
        raw += [0x58, 0x02, 0x01, 0x61, 0x04, 0x01, 0x62]  // kv types i32/binary; (1,"a"), (2,"b")
        raw += [0x1D] + Array(repeating: 0xEE, count: 16)  // field 13, UUID: 16 raw bytes
        raw += [0x00]
        let (d, length) = try DictionaryPageHeader.decode(raw)
        #expect(d == DictionaryPageHeader(numValues: 3, encoding: .plain))
        #expect(length == raw.count)
    }

    @Test func unknownCompactTypeCodesAreErrorsNotCrashes() {
        let raw: [UInt8] = [0x15, 0x06, 0x1E, 0x00]  // field 2 with type code 14
        #expect(throws: ParquetError.self) { try DictionaryPageHeader.decode(raw) }
    }

    @Test func everyTruncationOfAFooterThrowsInsteadOfCrashing() throws {
        let footer = sampleFileMetaData().encoded()
        for n in 0..<footer.count {
            #expect(throws: ParquetError.self) { try FileMetaData.decode(Array(footer.prefix(n))) }
        }
    }

    @Test func missingRequiredFieldsAreReported() {
        // PageHeader with only field 1.
        #expect(throws: ParquetError.self) { try PageHeader.decode([0x15, 0x00, 0x00]) }
    }

    @Test func theErrorNamesTheFirstMissingRequiredField() throws {
        let error = try #require(throws: ParquetError.self) { try PageHeader.decode([0x15, 0x00, 0x00]) }
        #expect("\(error)".contains("PageHeader is missing required field uncompressed_page_size"))
    }

    @Test func aNegativePageSizeIsRefused() throws {
        // type DATA_PAGE, uncompressed_page_size -1 (zigzag 1), compressed_page_size 0.
        let error = try #require(throws: ParquetError.self) { try PageHeader.decode([0x15, 0x00, 0x15, 0x01, 0x15, 0x00, 0x00]) }
        #expect("\(error)".contains("negative uncompressed_page_size (-1)"))
    }

    @Test func hugeListCountsAreRejectedBeforeAllocating() {
        // FileMetaData field 2: list of 2^31 structs in a 10-byte input.
        let raw: [UInt8] = [0x15, 0x02, 0x19, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00]
        #expect(throws: ParquetError.self) { try FileMetaData.decode(raw) }
    }

    @Test func fileMetaDataWithEveryFieldRoundTrips() throws {
        let m = sampleFileMetaData()
        let encoded = m.encoded()
        let (decoded, length) = try FileMetaData.decode(encoded)
        #expect(decoded == m)
        #expect(length == encoded.count)
    }

    @Test(arguments: [
        LogicalType.string, .map, .list, .enum, .decimal(scale: 2, precision: 10), .date,
        .time(isAdjustedToUTC: false, unit: .millis), .timestamp(isAdjustedToUTC: true, unit: .nanos),
        .integer(bitWidth: 16, isSigned: false), .null, .json, .bson, .uuid, .float16, .other(16),
    ])
    func everyLogicalTypeRoundTrips(t: LogicalType) throws {
        #expect(try LogicalType.decode(t.encoded()).value == t)
    }

    @Test func pageHeadersOfEveryKindRoundTrip() throws {
        let stats = Statistics(max: [9], min: [1], nullCount: 0, distinctCount: 3, maxValue: [9], minValue: [1],
                               isMaxValueExact: true, isMinValueExact: false, nanCount: 2)
        let headers = [
            PageHeader(type: .dictionaryPage, uncompressedPageSize: 5, compressedPageSize: 4, crc: -7,
                       dictionaryPageHeader: DictionaryPageHeader(numValues: 2, encoding: .plainDictionary, isSorted: false)),
            PageHeader(type: .dataPageV2, uncompressedPageSize: 500, compressedPageSize: 300,
                       dataPageHeaderV2: DataPageHeaderV2(numValues: 10, numNulls: 1, numRows: 9, encoding: .deltaBinaryPacked,
                                                          definitionLevelsByteLength: 3, repetitionLevelsByteLength: 2,
                                                          isCompressed: false, statistics: stats)),
            PageHeader(type: .dataPage, uncompressedPageSize: 1 << 20, compressedPageSize: 70000,
                       dataPageHeader: DataPageHeader(numValues: 20000, encoding: .rleDictionary, statistics: stats)),
        ]
        for h in headers { #expect(try PageHeader.decode(h.encoded()).value == h) }
    }

    @Test func unknownEnumValuesSurviveDecoding() throws {
        let e = SchemaElement(type: PhysicalType(rawValue: 42), name: "x", convertedType: ConvertedType(rawValue: 99))
        let d = try SchemaElement.decode(e.encoded()).value
        #expect(d.type?.rawValue == 42)
        #expect(d.type?.isKnown == false)
        #expect(d.type?.description == "PhysicalType(42)")
        #expect(Encoding.rleDictionary.description == "RLE_DICTIONARY")
    }
}

/// A footer that sets every field the metadata model knows.
func sampleFileMetaData() -> FileMetaData {
    let stats = Statistics(nullCount: 1, maxValue: Array("zé".utf8), minValue: [], isMaxValueExact: true, isMinValueExact: true)
    let meta = ColumnMetaData(
        type: .byteArray, encodings: [.plain, .rle, .rleDictionary], pathInSchema: ["s"], codec: .zstd,
        numValues: 3, totalUncompressedSize: 120, totalCompressedSize: 90,
        keyValueMetadata: [KeyValue(key: "k", value: nil)], dataPageOffset: 40, indexPageOffset: 7,
        dictionaryPageOffset: 4, statistics: stats,
        encodingStats: [PageEncodingStats(pageType: .dictionaryPage, encoding: .plain, count: 1),
                        PageEncodingStats(pageType: .dataPage, encoding: .rleDictionary, count: 1)])
    let schema = [
        SchemaElement(name: "schema", numChildren: 2),
        SchemaElement(type: .byteArray, repetitionType: .optional, name: "s", convertedType: .utf8, logicalType: .string),
        SchemaElement(type: .fixedLenByteArray, typeLength: 16, repetitionType: .required, name: "d",
                      convertedType: .decimal, scale: 2, precision: 30, fieldId: 5,
                      logicalType: .decimal(scale: 2, precision: 30)),
    ]
    let rg = RowGroup(columns: [ColumnChunk(filePath: "x.parquet", fileOffset: 0, metaData: meta), ColumnChunk(metaData: nil)],
                      totalByteSize: 120, numRows: 3, fileOffset: 4, totalCompressedSize: 90, ordinal: 0)
    return FileMetaData(version: 1, schema: schema, numRows: 3, rowGroups: [rg, rg],
                        keyValueMetadata: [KeyValue(key: "a", value: "b")],
                        createdBy: "fs version 0.1.0 (build fs)", columnOrders: [.typeDefinedOrder, .ieee754TotalOrder])
}
