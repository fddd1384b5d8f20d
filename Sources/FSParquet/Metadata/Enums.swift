/// A Parquet Thrift enum: an i32 on the wire.
///
/// Modelled as a raw-value struct rather than a Swift enum so that a value this code does not
/// know (a newer encoding such as ALP 10, a future codec) still decodes; the reader then rejects
/// it with an error naming the column, instead of the whole footer failing to parse.
public protocol ThriftEnum: RawRepresentable, Hashable, Sendable, CustomStringConvertible, CompactValue where RawValue == Int32 {
    /// Upper-case IDL names of the known values, for layout dumps and error messages.
    static var names: [Int32: String] { get }
    init(rawValue: Int32)
}

extension ThriftEnum {
    /// The IDL name, or `Type(n)` for an unknown value.
    public var description: String { Self.names[rawValue] ?? "\(Self.self)(\(rawValue))" }
    /// True when `rawValue` is one this code knows.
    public var isKnown: Bool { Self.names[rawValue] != nil }
}

/// Physical storage type of a leaf column (`Type` in parquet.thrift).
public struct PhysicalType: ThriftEnum {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let boolean = Self(rawValue: 0)
    public static let int32 = Self(rawValue: 1)
    public static let int64 = Self(rawValue: 2)
    public static let int96 = Self(rawValue: 3)
    public static let float = Self(rawValue: 4)
    public static let double = Self(rawValue: 5)
    public static let byteArray = Self(rawValue: 6)
    public static let fixedLenByteArray = Self(rawValue: 7)
    public static let names: [Int32: String] = [
        0: "BOOLEAN", 1: "INT32", 2: "INT64", 3: "INT96", 4: "FLOAT", 5: "DOUBLE", 6: "BYTE_ARRAY",
        7: "FIXED_LEN_BYTE_ARRAY",
    ]
}

/// Legacy logical annotation (`ConvertedType`); written next to `LogicalType` for old readers.
public struct ConvertedType: ThriftEnum {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let utf8 = Self(rawValue: 0)
    public static let map = Self(rawValue: 1)
    public static let mapKeyValue = Self(rawValue: 2)
    public static let list = Self(rawValue: 3)
    public static let `enum` = Self(rawValue: 4)
    public static let decimal = Self(rawValue: 5)
    public static let date = Self(rawValue: 6)
    public static let timeMillis = Self(rawValue: 7)
    public static let timeMicros = Self(rawValue: 8)
    public static let timestampMillis = Self(rawValue: 9)
    public static let timestampMicros = Self(rawValue: 10)
    public static let uint8 = Self(rawValue: 11)
    public static let uint16 = Self(rawValue: 12)
    public static let uint32 = Self(rawValue: 13)
    public static let uint64 = Self(rawValue: 14)
    public static let int8 = Self(rawValue: 15)
    public static let int16 = Self(rawValue: 16)
    public static let int32 = Self(rawValue: 17)
    public static let int64 = Self(rawValue: 18)
    public static let json = Self(rawValue: 19)
    public static let bson = Self(rawValue: 20)
    public static let interval = Self(rawValue: 21)
    public static let names: [Int32: String] = [
        0: "UTF8", 1: "MAP", 2: "MAP_KEY_VALUE", 3: "LIST", 4: "ENUM", 5: "DECIMAL", 6: "DATE",
        7: "TIME_MILLIS", 8: "TIME_MICROS", 9: "TIMESTAMP_MILLIS", 10: "TIMESTAMP_MICROS",
        11: "UINT_8", 12: "UINT_16", 13: "UINT_32", 14: "UINT_64", 15: "INT_8", 16: "INT_16",
        17: "INT_32", 18: "INT_64", 19: "JSON", 20: "BSON", 21: "INTERVAL",
    ]
}

/// How often a schema element occurs in its parent (`FieldRepetitionType`).
public struct Repetition: ThriftEnum {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let required = Self(rawValue: 0)
    public static let optional = Self(rawValue: 1)
    public static let repeated = Self(rawValue: 2)
    public static let names: [Int32: String] = [0: "REQUIRED", 1: "OPTIONAL", 2: "REPEATED"]
}

/// Value and level encodings (`Encoding`).
public struct Encoding: ThriftEnum {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let plain = Self(rawValue: 0)
    /// Legacy name of dictionary encoding: read it in data and dictionary pages, never write it.
    public static let plainDictionary = Self(rawValue: 2)
    public static let rle = Self(rawValue: 3)
    public static let bitPacked = Self(rawValue: 4)
    public static let deltaBinaryPacked = Self(rawValue: 5)
    public static let deltaLengthByteArray = Self(rawValue: 6)
    public static let deltaByteArray = Self(rawValue: 7)
    public static let rleDictionary = Self(rawValue: 8)
    public static let byteStreamSplit = Self(rawValue: 9)
    public static let names: [Int32: String] = [
        0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED",
        6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT",
    ]
}

/// Page body compression (`CompressionCodec`).
public struct CompressionCodec: ThriftEnum {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let uncompressed = Self(rawValue: 0)
    public static let snappy = Self(rawValue: 1)
    public static let gzip = Self(rawValue: 2)
    public static let lzo = Self(rawValue: 3)
    public static let brotli = Self(rawValue: 4)
    public static let lz4 = Self(rawValue: 5)
    public static let zstd = Self(rawValue: 6)
    public static let lz4Raw = Self(rawValue: 7)
    public static let names: [Int32: String] = [
        0: "UNCOMPRESSED", 1: "SNAPPY", 2: "GZIP", 3: "LZO", 4: "BROTLI", 5: "LZ4", 6: "ZSTD", 7: "LZ4_RAW",
    ]
}

/// Kind of a page (`PageType`).
public struct PageType: ThriftEnum {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let dataPage = Self(rawValue: 0)
    public static let indexPage = Self(rawValue: 1)
    public static let dictionaryPage = Self(rawValue: 2)
    public static let dataPageV2 = Self(rawValue: 3)
    public static let names: [Int32: String] = [
        0: "DATA_PAGE", 1: "INDEX_PAGE", 2: "DICTIONARY_PAGE", 3: "DATA_PAGE_V2",
    ]
}
