/// Raw Thrift column statistics: min/max as PLAIN bytes of one value (strings without the
/// length prefix), plus counts. `ColumnStatistics` is the typed view the rest of fs uses.
///
/// fs writes `null_count` always, `min_value`/`max_value` (TYPE_ORDER semantics) with the
/// exactness flags, and `nan_count` for doubles; the deprecated signed `min`/`max` are read
/// only (table-format.md §1.10).
public struct Statistics: Sendable, Hashable {
    public var max: [UInt8]?
    public var min: [UInt8]?
    public var nullCount: Int64?
    public var distinctCount: Int64?
    public var maxValue: [UInt8]?
    public var minValue: [UInt8]?
    public var isMaxValueExact: Bool?
    public var isMinValueExact: Bool?
    public var nanCount: Int64?

    public init(
        max: [UInt8]? = nil, min: [UInt8]? = nil, nullCount: Int64? = nil, distinctCount: Int64? = nil,
        maxValue: [UInt8]? = nil, minValue: [UInt8]? = nil, isMaxValueExact: Bool? = nil,
        isMinValueExact: Bool? = nil, nanCount: Int64? = nil
    ) {
        self.max = max
        self.min = min
        self.nullCount = nullCount
        self.distinctCount = distinctCount
        self.maxValue = maxValue
        self.minValue = minValue
        self.isMaxValueExact = isMaxValueExact
        self.isMinValueExact = isMinValueExact
        self.nanCount = nanCount
    }
}

extension Statistics: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        if let max { w.writeField(1, binary: max) }
        if let min { w.writeField(2, binary: min) }
        if let nullCount { w.writeField(3, i64: nullCount) }
        if let distinctCount { w.writeField(4, i64: distinctCount) }
        if let maxValue { w.writeField(5, binary: maxValue) }
        if let minValue { w.writeField(6, binary: minValue) }
        if let isMaxValueExact { w.writeField(7, bool: isMaxValueExact) }
        if let isMinValueExact { w.writeField(8, bool: isMinValueExact) }
        if let nanCount { w.writeField(9, i64: nanCount) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "Statistics"
        var st = Statistics()
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: st.max = try r.readBinary(f, in: s)
            case 2: st.min = try r.readBinary(f, in: s)
            case 3: st.nullCount = try r.readI64(f, in: s)
            case 4: st.distinctCount = try r.readI64(f, in: s)
            case 5: st.maxValue = try r.readBinary(f, in: s)
            case 6: st.minValue = try r.readBinary(f, in: s)
            case 7: st.isMaxValueExact = try r.readBool(f, in: s)
            case 8: st.isMinValueExact = try r.readBool(f, in: s)
            case 9: st.nanCount = try r.readI64(f, in: s)
            default: try r.skip(f.type)
            }
        }
        self = st
    }
}

/// How many pages of a chunk use each (page type, encoding) pair. parquet-mr uses it to know
/// that every data page is dictionary encoded (dictionary filtering).
public struct PageEncodingStats: Sendable, Hashable {
    public var pageType: PageType
    public var encoding: Encoding
    public var count: Int32

    public init(pageType: PageType, encoding: Encoding, count: Int32) {
        self.pageType = pageType
        self.encoding = encoding
        self.count = count
    }
}

extension PageEncodingStats: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, i32: pageType.rawValue)
        w.writeField(2, i32: encoding.rawValue)
        w.writeField(3, i32: count)
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "PageEncodingStats"
        var pageType: Int32?, encoding: Int32?, count: Int32?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: pageType = try r.readI32(f, in: s)
            case 2: encoding = try r.readI32(f, in: s)
            case 3: count = try r.readI32(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard let pageType, let encoding, let count else { throw r.error("PageEncodingStats is missing a required field") }
        self.init(pageType: PageType(rawValue: pageType), encoding: Encoding(rawValue: encoding), count: count)
    }
}
