/// The footer of a Parquet file: schema, row groups and their column chunks.
///
/// fs writes `version = 1`, `created_by` in the `<app> version <x.y.z> (build <id>)` form that
/// parquet-mr requires before it trusts string statistics, and one TYPE_ORDER `column_orders`
/// entry per leaf so `min_value`/`max_value` have a defined meaning (table-format.md §1.3).
public struct FileMetaData: ThriftStruct, Hashable {
    public var version: Int32 = 1
    /// Depth-first: root, then groups and leaves.
    public var schema: [SchemaElement]
    public var numRows: Int64
    public var rowGroups: [RowGroup]
    public var keyValueMetadata: [KeyValue]?
    public var createdBy: String?
    public var columnOrders: [ColumnOrder]?

    public static let fields: [ThriftField<Self>] = [
        .field(1, "version", \.version), .field(2, "schema", \.schema), .field(3, "num_rows", \.numRows),
        .field(4, "row_groups", \.rowGroups), .optional(5, "key_value_metadata", \.keyValueMetadata),
        .optional(6, "created_by", \.createdBy), .optional(7, "column_orders", \.columnOrders),
    ]
    public static let unset = Self(schema: [], numRows: 0, rowGroups: [])
}

/// A horizontal slice of the file: one column chunk per leaf, in schema-leaf order.
public struct RowGroup: ThriftStruct, Hashable {
    public var columns: [ColumnChunk]
    /// Sum of the chunks' uncompressed sizes.
    public var totalByteSize: Int64
    /// Rows (not level entries).
    public var numRows: Int64
    /// Offset of the first page of the group (Spark's split planning uses it).
    public var fileOffset: Int64?
    public var totalCompressedSize: Int64?
    public var ordinal: Int16?

    public static let fields: [ThriftField<Self>] = [
        .field(1, "columns", \.columns), .field(2, "total_byte_size", \.totalByteSize), .field(3, "num_rows", \.numRows),
        .optional(5, "file_offset", \.fileOffset), .optional(6, "total_compressed_size", \.totalCompressedSize),
        .optional(7, "ordinal", \.ordinal),
    ]
    public static let unset = Self(columns: [], totalByteSize: 0, numRows: 0)
}

/// Where one column's data of a row group lives.
public struct ColumnChunk: ThriftStruct, Hashable {
    /// External file (never written; readers do not support it).
    public var filePath: String?
    /// Deprecated; every writer sets 0 (and a reader accepts its absence).
    public var fileOffset: Int64 = 0
    public var metaData: ColumnMetaData?

    public static let fields: [ThriftField<Self>] = [
        .optional(1, "file_path", \.filePath), .field(2, "file_offset", \.fileOffset, isRequired: false),
        .optional(3, "meta_data", \.metaData),
    ]
    public static let unset = Self()
}

/// Everything a reader needs to find and decode one column chunk.
public struct ColumnMetaData: ThriftStruct, Hashable {
    public var type: PhysicalType
    /// Every encoding used in the chunk, levels included.
    public var encodings: [Encoding]
    /// Names from the root's child down to the leaf.
    public var pathInSchema: [String]
    public var codec: CompressionCodec
    /// Level entries including nulls (= rows for flat columns).
    public var numValues: Int64
    /// Sum over pages of header + uncompressed body bytes.
    public var totalUncompressedSize: Int64
    /// Sum over pages of header + compressed body bytes.
    public var totalCompressedSize: Int64
    public var keyValueMetadata: [KeyValue]?
    /// Offset of the first data page header (after the dictionary page).
    public var dataPageOffset: Int64
    public var indexPageOffset: Int64?
    public var dictionaryPageOffset: Int64?
    public var statistics: Statistics?
    public var encodingStats: [PageEncodingStats]?

    /// Offset of the chunk's first page: the dictionary page if any, else the first data page.
    public var firstPageOffset: Int64 { dictionaryPageOffset ?? dataPageOffset }

    public static let fields: [ThriftField<Self>] = [
        .field(1, "type", \.type), .field(2, "encodings", \.encodings), .field(3, "path_in_schema", \.pathInSchema),
        .field(4, "codec", \.codec), .field(5, "num_values", \.numValues),
        .field(6, "total_uncompressed_size", \.totalUncompressedSize),
        .field(7, "total_compressed_size", \.totalCompressedSize),
        .optional(8, "key_value_metadata", \.keyValueMetadata), .field(9, "data_page_offset", \.dataPageOffset),
        .optional(10, "index_page_offset", \.indexPageOffset),
        .optional(11, "dictionary_page_offset", \.dictionaryPageOffset),
        .optional(12, "statistics", \.statistics), .optional(13, "encoding_stats", \.encodingStats),
    ]
    public static let unset = Self(
        type: .boolean, encodings: [], pathInSchema: [], codec: .uncompressed, numValues: 0,
        totalUncompressedSize: 0, totalCompressedSize: 0, dataPageOffset: 0)
}
