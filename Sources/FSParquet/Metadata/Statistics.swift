/// Raw Thrift column statistics: min/max as PLAIN bytes of one value (strings without the
/// length prefix), plus counts. `ColumnStatistics` is the typed view the rest of fs uses.
///
/// fs writes `null_count` always, `min_value`/`max_value` (TYPE_ORDER semantics) with the
/// exactness flags, and `nan_count` for doubles; the deprecated signed `min`/`max` are read
/// only (table-format.md §1.10).
public struct Statistics: ThriftStruct, Hashable {
    public var max: [UInt8]?
    public var min: [UInt8]?
    public var nullCount: Int64?
    public var distinctCount: Int64?
    public var maxValue: [UInt8]?
    public var minValue: [UInt8]?
    public var isMaxValueExact: Bool?
    public var isMinValueExact: Bool?
    public var nanCount: Int64?

    public static let fields: [ThriftField<Self>] = [
        .binary(1, "max", \.max), .binary(2, "min", \.min), .optional(3, "null_count", \.nullCount),
        .optional(4, "distinct_count", \.distinctCount), .binary(5, "max_value", \.maxValue),
        .binary(6, "min_value", \.minValue), .optional(7, "is_max_value_exact", \.isMaxValueExact),
        .optional(8, "is_min_value_exact", \.isMinValueExact), .optional(9, "nan_count", \.nanCount),
    ]
    public static let unset = Self()
}

/// How many pages of a chunk use each (page type, encoding) pair. parquet-mr uses it to know
/// that every data page is dictionary encoded (dictionary filtering).
public struct PageEncodingStats: ThriftStruct, Hashable {
    public var pageType: PageType
    public var encoding: Encoding
    public var count: Int32

    public static let fields: [ThriftField<Self>] = [
        .field(1, "page_type", \.pageType), .field(2, "encoding", \.encoding), .field(3, "count", \.count),
    ]
    public static let unset = Self(pageType: .dataPage, encoding: .plain, count: 0)
}
