/// The footer of a Parquet file: schema, row groups and their column chunks.
///
/// fs writes `version = 1`, `created_by` in the `<app> version <x.y.z> (build <id>)` form that
/// parquet-mr requires before it trusts string statistics, and one TYPE_ORDER `column_orders`
/// entry per leaf so `min_value`/`max_value` have a defined meaning (table-format.md §1.3).
public struct FileMetaData: Sendable, Hashable {
    public var version: Int32
    /// Depth-first: root, then groups and leaves.
    public var schema: [SchemaElement]
    public var numRows: Int64
    public var rowGroups: [RowGroup]
    public var keyValueMetadata: [KeyValue]?
    public var createdBy: String?
    public var columnOrders: [ColumnOrder]?

    public init(
        version: Int32 = 1, schema: [SchemaElement], numRows: Int64, rowGroups: [RowGroup],
        keyValueMetadata: [KeyValue]? = nil, createdBy: String? = nil, columnOrders: [ColumnOrder]? = nil
    ) {
        self.version = version
        self.schema = schema
        self.numRows = numRows
        self.rowGroups = rowGroups
        self.keyValueMetadata = keyValueMetadata
        self.createdBy = createdBy
        self.columnOrders = columnOrders
    }
}

extension FileMetaData: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, i32: version)
        w.writeField(2, structs: schema)
        w.writeField(3, i64: numRows)
        w.writeField(4, structs: rowGroups)
        if let keyValueMetadata { w.writeField(5, structs: keyValueMetadata) }
        if let createdBy { w.writeField(6, string: createdBy) }
        if let columnOrders { w.writeField(7, structs: columnOrders) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "FileMetaData"
        var version: Int32?, schema: [SchemaElement]?, numRows: Int64?, rowGroups: [RowGroup]?
        var kv: [KeyValue]?, createdBy: String?, orders: [ColumnOrder]?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: version = try r.readI32(f, in: s)
            case 2: schema = try r.readStructList(f, in: s)
            case 3: numRows = try r.readI64(f, in: s)
            case 4: rowGroups = try r.readStructList(f, in: s)
            case 5: kv = try r.readStructList(f, in: s)
            case 6: createdBy = try r.readString(f, in: s)
            case 7: orders = try r.readStructList(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let version, let schema, let numRows, let rowGroups else {
            throw r.error("FileMetaData is missing a required field (version, schema, num_rows or row_groups)")
        }
        self.init(version: version, schema: schema, numRows: numRows, rowGroups: rowGroups,
                  keyValueMetadata: kv, createdBy: createdBy, columnOrders: orders)
    }
}

/// A horizontal slice of the file: one column chunk per leaf, in schema-leaf order.
public struct RowGroup: Sendable, Hashable {
    public var columns: [ColumnChunk]
    /// Sum of the chunks' uncompressed sizes.
    public var totalByteSize: Int64
    /// Rows (not level entries).
    public var numRows: Int64
    /// Offset of the first page of the group (Spark's split planning uses it).
    public var fileOffset: Int64?
    public var totalCompressedSize: Int64?
    public var ordinal: Int16?

    public init(
        columns: [ColumnChunk], totalByteSize: Int64, numRows: Int64, fileOffset: Int64? = nil,
        totalCompressedSize: Int64? = nil, ordinal: Int16? = nil
    ) {
        self.columns = columns
        self.totalByteSize = totalByteSize
        self.numRows = numRows
        self.fileOffset = fileOffset
        self.totalCompressedSize = totalCompressedSize
        self.ordinal = ordinal
    }
}

extension RowGroup: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, structs: columns)
        w.writeField(2, i64: totalByteSize)
        w.writeField(3, i64: numRows)
        if let fileOffset { w.writeField(5, i64: fileOffset) }
        if let totalCompressedSize { w.writeField(6, i64: totalCompressedSize) }
        if let ordinal { w.writeField(7, i16: ordinal) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "RowGroup"
        var columns: [ColumnChunk]?, total: Int64?, rows: Int64?
        var g = RowGroup(columns: [], totalByteSize: 0, numRows: 0)
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: columns = try r.readStructList(f, in: s)
            case 2: total = try r.readI64(f, in: s)
            case 3: rows = try r.readI64(f, in: s)
            case 5: g.fileOffset = try r.readI64(f, in: s)
            case 6: g.totalCompressedSize = try r.readI64(f, in: s)
            case 7: g.ordinal = try r.readI16(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let columns, let total, let rows else {
            throw r.error("RowGroup is missing a required field (columns, total_byte_size or num_rows)")
        }
        g.columns = columns
        g.totalByteSize = total
        g.numRows = rows
        self = g
    }
}

/// Where one column's data of a row group lives.
public struct ColumnChunk: Sendable, Hashable {
    /// External file (never written; readers do not support it).
    public var filePath: String?
    /// Deprecated; every writer sets 0.
    public var fileOffset: Int64
    public var metaData: ColumnMetaData?

    public init(filePath: String? = nil, fileOffset: Int64 = 0, metaData: ColumnMetaData?) {
        self.filePath = filePath
        self.fileOffset = fileOffset
        self.metaData = metaData
    }
}

extension ColumnChunk: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        if let filePath { w.writeField(1, string: filePath) }
        w.writeField(2, i64: fileOffset)
        if let metaData { w.writeField(3, metaData) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "ColumnChunk"
        var c = ColumnChunk(metaData: nil)
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: c.filePath = try r.readString(f, in: s)
            case 2: c.fileOffset = try r.readI64(f, in: s)
            case 3: c.metaData = try r.readStruct(f, in: s)
            default: try r.skip(f.type)
            }
        }
        self = c
    }
}

/// Everything a reader needs to find and decode one column chunk.
public struct ColumnMetaData: Sendable, Hashable {
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

    public init(
        type: PhysicalType, encodings: [Encoding], pathInSchema: [String], codec: CompressionCodec,
        numValues: Int64, totalUncompressedSize: Int64, totalCompressedSize: Int64,
        keyValueMetadata: [KeyValue]? = nil, dataPageOffset: Int64, indexPageOffset: Int64? = nil,
        dictionaryPageOffset: Int64? = nil, statistics: Statistics? = nil, encodingStats: [PageEncodingStats]? = nil
    ) {
        self.type = type
        self.encodings = encodings
        self.pathInSchema = pathInSchema
        self.codec = codec
        self.numValues = numValues
        self.totalUncompressedSize = totalUncompressedSize
        self.totalCompressedSize = totalCompressedSize
        self.keyValueMetadata = keyValueMetadata
        self.dataPageOffset = dataPageOffset
        self.indexPageOffset = indexPageOffset
        self.dictionaryPageOffset = dictionaryPageOffset
        self.statistics = statistics
        self.encodingStats = encodingStats
    }

    /// Offset of the chunk's first page: the dictionary page if any, else the first data page.
    public var firstPageOffset: Int64 { dictionaryPageOffset ?? dataPageOffset }
}

extension ColumnMetaData: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, i32: type.rawValue)
        w.writeField(2, i32s: encodings.map(\.rawValue))
        w.writeField(3, strings: pathInSchema)
        w.writeField(4, i32: codec.rawValue)
        w.writeField(5, i64: numValues)
        w.writeField(6, i64: totalUncompressedSize)
        w.writeField(7, i64: totalCompressedSize)
        if let keyValueMetadata { w.writeField(8, structs: keyValueMetadata) }
        w.writeField(9, i64: dataPageOffset)
        if let indexPageOffset { w.writeField(10, i64: indexPageOffset) }
        if let dictionaryPageOffset { w.writeField(11, i64: dictionaryPageOffset) }
        if let statistics { w.writeField(12, statistics) }
        if let encodingStats { w.writeField(13, structs: encodingStats) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "ColumnMetaData"
        var type: Int32?, encodings: [Int32]?, path: [String]?, codec: Int32?, numValues: Int64?
        var uncompressed: Int64?, compressed: Int64?, dataPageOffset: Int64?
        var kv: [KeyValue]?, indexPageOffset: Int64?, dictionaryPageOffset: Int64?
        var statistics: Statistics?, encodingStats: [PageEncodingStats]?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: type = try r.readI32(f, in: s)
            case 2: encodings = try r.readI32List(f, in: s)
            case 3: path = try r.readStringList(f, in: s)
            case 4: codec = try r.readI32(f, in: s)
            case 5: numValues = try r.readI64(f, in: s)
            case 6: uncompressed = try r.readI64(f, in: s)
            case 7: compressed = try r.readI64(f, in: s)
            case 8: kv = try r.readStructList(f, in: s)
            case 9: dataPageOffset = try r.readI64(f, in: s)
            case 10: indexPageOffset = try r.readI64(f, in: s)
            case 11: dictionaryPageOffset = try r.readI64(f, in: s)
            case 12: statistics = try r.readStruct(f, in: s)
            case 13: encodingStats = try r.readStructList(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let type, let encodings, let path, let codec, let numValues, let uncompressed, let compressed,
              let dataPageOffset
        else { throw r.error("ColumnMetaData is missing a required field") }
        self.init(
            type: PhysicalType(rawValue: type), encodings: encodings.map(Encoding.init(rawValue:)),
            pathInSchema: path, codec: CompressionCodec(rawValue: codec), numValues: numValues,
            totalUncompressedSize: uncompressed, totalCompressedSize: compressed, keyValueMetadata: kv,
            dataPageOffset: dataPageOffset, indexPageOffset: indexPageOffset,
            dictionaryPageOffset: dictionaryPageOffset, statistics: statistics, encodingStats: encodingStats)
    }
}
