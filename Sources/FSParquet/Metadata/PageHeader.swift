/// The Thrift header in front of every page body.
///
/// Sizes are of the body only (header excluded): `compressedPageSize` bytes follow the header on
/// disk, and decompress to `uncompressedPageSize` bytes. Exactly one of the type-specific headers
/// is set, matching `type`; INDEX_PAGE and unknown page types carry none fs reads, and a reader
/// skips them by `compressedPageSize`.
public struct PageHeader: ThriftStruct, Hashable {
    public var type: PageType
    public var uncompressedPageSize: Int32
    public var compressedPageSize: Int32
    public var crc: Int32?
    public var dataPageHeader: DataPageHeader?
    public var dictionaryPageHeader: DictionaryPageHeader?
    public var dataPageHeaderV2: DataPageHeaderV2?

    public static let fields: [ThriftField<Self>] = [
        .field(1, "type", \.type), .count(2, "uncompressed_page_size", \.uncompressedPageSize),
        .count(3, "compressed_page_size", \.compressedPageSize), .optional(4, "crc", \.crc),
        .optional(5, "data_page_header", \.dataPageHeader),
        .optional(7, "dictionary_page_header", \.dictionaryPageHeader),
        .optional(8, "data_page_header_v2", \.dataPageHeaderV2),
    ]
    public static let unset = Self(type: .dataPage, uncompressedPageSize: 0, compressedPageSize: 0)
}

/// Header of a v1 data page: levels (with 4-byte length prefixes) and values, compressed together.
public struct DataPageHeader: ThriftStruct, Hashable {
    /// Level entries in the page, nulls included.
    public var numValues: Int32
    public var encoding: Encoding
    public var definitionLevelEncoding: Encoding = .rle
    public var repetitionLevelEncoding: Encoding = .rle
    public var statistics: Statistics?

    public static let fields: [ThriftField<Self>] = [
        .count(1, "num_values", \.numValues), .field(2, "encoding", \.encoding),
        .field(3, "definition_level_encoding", \.definitionLevelEncoding),
        .field(4, "repetition_level_encoding", \.repetitionLevelEncoding), .optional(5, "statistics", \.statistics),
    ]
    public static let unset = Self(numValues: 0, encoding: .plain)
}

/// Header of the dictionary page: the PLAIN-encoded distinct values of a chunk.
public struct DictionaryPageHeader: ThriftStruct, Hashable {
    /// Number of dictionary entries.
    public var numValues: Int32
    /// PLAIN (0); Spark and parquet-mr write the legacy PLAIN_DICTIONARY (2).
    public var encoding: Encoding = .plain
    public var isSorted: Bool?

    public static let fields: [ThriftField<Self>] = [
        .count(1, "num_values", \.numValues), .field(2, "encoding", \.encoding), .optional(3, "is_sorted", \.isSorted),
    ]
    public static let unset = Self(numValues: 0)
}

/// Header of a v2 data page (read only): levels stored uncompressed, without length prefixes,
/// in front of the (optionally compressed) values.
public struct DataPageHeaderV2: ThriftStruct, Hashable {
    public var numValues: Int32
    public var numNulls: Int32
    public var numRows: Int32
    public var encoding: Encoding
    public var definitionLevelsByteLength: Int32
    public var repetitionLevelsByteLength: Int32
    /// Absent means true.
    public var isCompressed: Bool?
    public var statistics: Statistics?

    public static let fields: [ThriftField<Self>] = [
        .count(1, "num_values", \.numValues), .count(2, "num_nulls", \.numNulls), .count(3, "num_rows", \.numRows),
        .field(4, "encoding", \.encoding), .count(5, "definition_levels_byte_length", \.definitionLevelsByteLength),
        .count(6, "repetition_levels_byte_length", \.repetitionLevelsByteLength),
        .optional(7, "is_compressed", \.isCompressed), .optional(8, "statistics", \.statistics),
    ]
    public static let unset = Self(
        numValues: 0, numNulls: 0, numRows: 0, encoding: .plain, definitionLevelsByteLength: 0,
        repetitionLevelsByteLength: 0)
}
