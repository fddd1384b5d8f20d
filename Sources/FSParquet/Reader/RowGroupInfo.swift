import FSCore

/// What a caller needs to decide whether to read a row group: its row count and, per schema
/// field, the statistics of its chunk (nil when the file recorded none or they cannot be
/// trusted), so scans can skip row groups whose min/max exclude a predicate.
public struct RowGroupInfo: Sendable, Equatable {
    public var rowCount: Int64
    /// Indexed like `ParquetFileReader.schema.fields`.
    public var statistics: [ColumnStatistics?]

    public init(rowCount: Int64, statistics: [ColumnStatistics?]) {
        self.rowCount = rowCount
        self.statistics = statistics
    }
}

extension ColumnStatistics {
    /// The statistics of a chunk of `leaf` as fs values, following table-format.md §1.10:
    /// `min_value`/`max_value` first; the deprecated `min`/`max` only for signed numeric
    /// columns (their order is the signed one); none for INT96, UUID and unsigned 64-bit columns
    /// whose stored order is not fs's. nil without a `null_count` (unknown is not zero).
    init?(chunk s: Statistics, leaf: LeafColumn) {
        guard let nullCount = s.nullCount, nullCount >= 0, case .success(let conversion) = leaf.conversion else { return nil }
        let signedNumeric: Bool
        switch conversion {
        case .int32, .int64, .timestampMillis, .timestampNanos, .float, .double, .decimalInt32, .decimalInt64:
            signedNumeric = !leaf.isUnsignedInteger
        default:
            signedNumeric = false
        }
        let minBytes = s.minValue ?? (signedNumeric ? s.min : nil)
        let maxBytes = s.maxValue ?? (signedNumeric ? s.max : nil)
        var low = minBytes.flatMap { Self.value($0, conversion: conversion, leaf: leaf) }
        var high = maxBytes.flatMap { Self.value($0, conversion: conversion, leaf: leaf) }
        if case .double(let a)? = low, case .double(let b)? = high {
            if a.isNaN || b.isNaN {
                low = nil
                high = nil
            } else {
                // A zero bound may have been written with either sign (§1.10): widen it.
                if a == 0 { low = .double(-0.0) }
                if b == 0 { high = .double(0.0) }
            }
        }
        if low == nil || high == nil { low = nil; high = nil }
        self.init(nullCount: nullCount, min: low, max: high, nanCount: conversion.dataType == .double ? s.nanCount : nil)
    }

    /// One PLAIN-encoded statistics value (BYTE_ARRAY without its length prefix), converted.
    private static func value(_ b: [UInt8], conversion: ValueConversion, leaf: LeafColumn) -> Value? {
        switch conversion {
        case .boolean: return b.count == 1 ? .boolean(b[0] != 0) : nil
        case .int32: return littleEndian(b, as: Int32.self).map { leaf.dataType == .date ? .date($0) : .int32($0) }
        case .uint32ToInt64: return littleEndian(b, as: UInt32.self).map { .int64(Int64($0)) }
        case .int64:
            if leaf.isUnsignedInteger { return nil }
            return littleEndian(b, as: Int64.self).map { leaf.dataType == .timestamp ? .timestamp($0) : .int64($0) }
        case .timestampMillis: return littleEndian(b, as: Int64.self).map { .timestamp($0 &* 1000) }
        case .timestampNanos: return littleEndian(b, as: Int64.self).map { .timestamp($0 >= 0 ? $0 / 1000 : ($0 + 1) / 1000 - 1) }
        case .float: return littleEndian(b, as: UInt32.self).map { .double(Double(Float(bitPattern: $0))) }
        case .double: return littleEndian(b, as: UInt64.self).map { .double(Double(bitPattern: $0)) }
        case .decimalInt32(let scale): return littleEndian(b, as: Int32.self).map { .double(Double($0) / ColumnChunkDecoder.powerOfTen(scale)) }
        case .decimalInt64(let scale): return littleEndian(b, as: Int64.self).map { .double(Double($0) / ColumnChunkDecoder.powerOfTen(scale)) }
        case .decimalBytes(let scale):
            guard !b.isEmpty, b.count <= 16 else { return nil }
            return b.withUnsafeBytes { .double(ColumnChunkDecoder.bigEndianTwosComplement($0) / ColumnChunkDecoder.powerOfTen(scale)) }
        case .bytes: return .string(String(decoding: b, as: UTF8.self))
        case .int96, .uuid: return nil
        }
    }
}

extension LeafColumn {
    /// True for columns annotated as unsigned integers (their statistics use unsigned order).
    var isUnsignedInteger: Bool {
        if case .integer(_, let signed)? = element.logicalType { return !signed }
        if element.logicalType == nil, let c = element.convertedType {
            return c == .uint8 || c == .uint16 || c == .uint32 || c == .uint64
        }
        return false
    }
}
