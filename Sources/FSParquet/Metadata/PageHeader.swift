/// The Thrift header in front of every page body.
///
/// Sizes are of the body only (header excluded): `compressedPageSize` bytes follow the header on
/// disk, and decompress to `uncompressedPageSize` bytes. Exactly one of the type-specific headers
/// is set, matching `type`; INDEX_PAGE and unknown page types carry none fs reads, and a reader
/// skips them by `compressedPageSize`.
public struct PageHeader: Sendable, Hashable {
    public var type: PageType
    public var uncompressedPageSize: Int32
    public var compressedPageSize: Int32
    public var crc: Int32?
    public var dataPageHeader: DataPageHeader?
    public var dictionaryPageHeader: DictionaryPageHeader?
    public var dataPageHeaderV2: DataPageHeaderV2?

    public init(
        type: PageType, uncompressedPageSize: Int32, compressedPageSize: Int32, crc: Int32? = nil,
        dataPageHeader: DataPageHeader? = nil, dictionaryPageHeader: DictionaryPageHeader? = nil,
        dataPageHeaderV2: DataPageHeaderV2? = nil
    ) {
        self.type = type
        self.uncompressedPageSize = uncompressedPageSize
        self.compressedPageSize = compressedPageSize
        self.crc = crc
        self.dataPageHeader = dataPageHeader
        self.dictionaryPageHeader = dictionaryPageHeader
        self.dataPageHeaderV2 = dataPageHeaderV2
    }
}

extension PageHeader: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, i32: type.rawValue)
        w.writeField(2, i32: uncompressedPageSize)
        w.writeField(3, i32: compressedPageSize)
        if let crc { w.writeField(4, i32: crc) }
        if let dataPageHeader { w.writeField(5, dataPageHeader) }
        if let dictionaryPageHeader { w.writeField(7, dictionaryPageHeader) }
        if let dataPageHeaderV2 { w.writeField(8, dataPageHeaderV2) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "PageHeader"
        var type: Int32?, uncompressed: Int32?, compressed: Int32?
        var h = PageHeader(type: .dataPage, uncompressedPageSize: 0, compressedPageSize: 0)
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: type = try r.readI32(f, in: s)
            case 2: uncompressed = try r.readI32(f, in: s)
            case 3: compressed = try r.readI32(f, in: s)
            case 4: h.crc = try r.readI32(f, in: s)
            case 5: h.dataPageHeader = try r.readStruct(f, in: s)
            case 7: h.dictionaryPageHeader = try r.readStruct(f, in: s)
            case 8: h.dataPageHeaderV2 = try r.readStruct(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let type, let uncompressed, let compressed else {
            throw r.error("PageHeader is missing a required field (type or sizes)")
        }
        guard uncompressed >= 0, compressed >= 0 else { throw r.error("PageHeader has a negative page size") }
        h.type = PageType(rawValue: type)
        h.uncompressedPageSize = uncompressed
        h.compressedPageSize = compressed
        self = h
    }
}

/// Header of a v1 data page: levels (with 4-byte length prefixes) and values, compressed together.
public struct DataPageHeader: Sendable, Hashable {
    /// Level entries in the page, nulls included.
    public var numValues: Int32
    public var encoding: Encoding
    public var definitionLevelEncoding: Encoding
    public var repetitionLevelEncoding: Encoding
    public var statistics: Statistics?

    public init(
        numValues: Int32, encoding: Encoding, definitionLevelEncoding: Encoding = .rle,
        repetitionLevelEncoding: Encoding = .rle, statistics: Statistics? = nil
    ) {
        self.numValues = numValues
        self.encoding = encoding
        self.definitionLevelEncoding = definitionLevelEncoding
        self.repetitionLevelEncoding = repetitionLevelEncoding
        self.statistics = statistics
    }
}

extension DataPageHeader: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, i32: numValues)
        w.writeField(2, i32: encoding.rawValue)
        w.writeField(3, i32: definitionLevelEncoding.rawValue)
        w.writeField(4, i32: repetitionLevelEncoding.rawValue)
        if let statistics { w.writeField(5, statistics) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "DataPageHeader"
        var n: Int32?, enc: Int32?, def: Int32?, rep: Int32?, stats: Statistics?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: n = try r.readI32(f, in: s)
            case 2: enc = try r.readI32(f, in: s)
            case 3: def = try r.readI32(f, in: s)
            case 4: rep = try r.readI32(f, in: s)
            case 5: stats = try r.readStruct(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let n, let enc, let def, let rep else { throw r.error("DataPageHeader is missing a required field") }
        guard n >= 0 else { throw r.error("DataPageHeader has negative num_values") }
        self.init(numValues: n, encoding: Encoding(rawValue: enc), definitionLevelEncoding: Encoding(rawValue: def),
                  repetitionLevelEncoding: Encoding(rawValue: rep), statistics: stats)
    }
}

/// Header of the dictionary page: the PLAIN-encoded distinct values of a chunk.
public struct DictionaryPageHeader: Sendable, Hashable {
    /// Number of dictionary entries.
    public var numValues: Int32
    /// PLAIN (0); Spark and parquet-mr write the legacy PLAIN_DICTIONARY (2).
    public var encoding: Encoding
    public var isSorted: Bool?

    public init(numValues: Int32, encoding: Encoding = .plain, isSorted: Bool? = nil) {
        self.numValues = numValues
        self.encoding = encoding
        self.isSorted = isSorted
    }
}

extension DictionaryPageHeader: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, i32: numValues)
        w.writeField(2, i32: encoding.rawValue)
        if let isSorted { w.writeField(3, bool: isSorted) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "DictionaryPageHeader"
        var n: Int32?, enc: Int32?, sorted: Bool?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: n = try r.readI32(f, in: s)
            case 2: enc = try r.readI32(f, in: s)
            case 3: sorted = try r.readBool(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let n, let enc else { throw r.error("DictionaryPageHeader is missing a required field") }
        guard n >= 0 else { throw r.error("DictionaryPageHeader has negative num_values") }
        self.init(numValues: n, encoding: Encoding(rawValue: enc), isSorted: sorted)
    }
}

/// Header of a v2 data page (read only): levels stored uncompressed, without length prefixes,
/// in front of the (optionally compressed) values.
public struct DataPageHeaderV2: Sendable, Hashable {
    public var numValues: Int32
    public var numNulls: Int32
    public var numRows: Int32
    public var encoding: Encoding
    public var definitionLevelsByteLength: Int32
    public var repetitionLevelsByteLength: Int32
    /// Absent means true.
    public var isCompressed: Bool?
    public var statistics: Statistics?

    public init(
        numValues: Int32, numNulls: Int32, numRows: Int32, encoding: Encoding,
        definitionLevelsByteLength: Int32, repetitionLevelsByteLength: Int32,
        isCompressed: Bool? = nil, statistics: Statistics? = nil
    ) {
        self.numValues = numValues
        self.numNulls = numNulls
        self.numRows = numRows
        self.encoding = encoding
        self.definitionLevelsByteLength = definitionLevelsByteLength
        self.repetitionLevelsByteLength = repetitionLevelsByteLength
        self.isCompressed = isCompressed
        self.statistics = statistics
    }
}

extension DataPageHeaderV2: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, i32: numValues)
        w.writeField(2, i32: numNulls)
        w.writeField(3, i32: numRows)
        w.writeField(4, i32: encoding.rawValue)
        w.writeField(5, i32: definitionLevelsByteLength)
        w.writeField(6, i32: repetitionLevelsByteLength)
        if let isCompressed { w.writeField(7, bool: isCompressed) }
        if let statistics { w.writeField(8, statistics) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "DataPageHeaderV2"
        var v: [Int32?] = Array(repeating: nil, count: 7)
        var compressed: Bool?, stats: Statistics?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1...6: v[Int(f.id)] = try r.readI32(f, in: s)
            case 7: compressed = try r.readBool(f, in: s)
            case 8: stats = try r.readStruct(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let n = v[1], let nulls = v[2], let rows = v[3], let enc = v[4], let defLen = v[5], let repLen = v[6] else {
            throw r.error("DataPageHeaderV2 is missing a required field")
        }
        guard n >= 0, nulls >= 0, rows >= 0, defLen >= 0, repLen >= 0 else {
            throw r.error("DataPageHeaderV2 has a negative count or length")
        }
        self.init(numValues: n, numNulls: nulls, numRows: rows, encoding: Encoding(rawValue: enc),
                  definitionLevelsByteLength: defLen, repetitionLevelsByteLength: repLen,
                  isCompressed: compressed, statistics: stats)
    }
}
