import FSCore

/// Statistics of one column over a row group or a whole file, as logical values: what the
/// Delta layer writes into per-file stats JSON and what scans use to skip row groups.
///
/// `min`/`max` are nil when every value is NULL (or NaN, for doubles) or when the file did not
/// record them. Doubles follow table-format.md §1.10: NaN is left out of min/max (and counted in
/// `nanCount`), a zero minimum is `-0.0` and a zero maximum `+0.0`. Strings are ordered by their
/// UTF-8 bytes, not by Swift's `String <`. Built only in FSParquet (writer and reader): the
/// memberwise init.
public struct ColumnStatistics: Sendable, Equatable {
    public var nullCount: Int64
    public var min: Value?
    public var max: Value?
    /// Doubles only; nil for other types or when the file did not record it.
    public var nanCount: Int64?
}

extension ColumnStatistics {
    /// Typed view of a footer `Statistics` of a column of logical type `type`, as fs writes them
    /// (`min_value`/`max_value`, falling back to the deprecated signed `min`/`max` for the
    /// numeric types where signed order is the type order). nil when the bytes do not fit.
    public init?(_ s: Statistics, type: DataType) {
        guard let nullCount = s.nullCount else { return nil }
        let minBytes = s.minValue ?? (type == .string || type == .boolean ? nil : s.min)
        let maxBytes = s.maxValue ?? (type == .string || type == .boolean ? nil : s.max)
        self.init(nullCount: nullCount, min: minBytes.flatMap { decodeStatisticsValue($0, type: type) },
                  max: maxBytes.flatMap { decodeStatisticsValue($0, type: type) },
                  nanCount: type == .double ? s.nanCount : nil)
    }
}

/// PLAIN bytes of one statistics value (strings without the length prefix).
public func encodeStatisticsValue(_ v: Value) -> [UInt8]? {
    func le<T: FixedWidthInteger>(_ x: T) -> [UInt8] { withUnsafeBytes(of: x.littleEndian) { Array($0) } }
    switch v {
    case .null: return nil
    case .boolean(let b): return [b ? 1 : 0]
    case .int32(let x), .date(let x): return le(x)
    case .int64(let x), .timestamp(let x): return le(x)
    case .double(let d): return le(d.bitPattern)
    case .string(let s): return Array(s.utf8)
    }
}

/// The value of statistics bytes for a column of logical type `type`; nil when the byte count
/// does not match the type.
public func decodeStatisticsValue(_ b: [UInt8], type: DataType) -> Value? {
    switch type {
    case .boolean: return b.count == 1 ? .boolean(b[0] != 0) : nil
    case .int32: return littleEndian(b, as: Int32.self).map(Value.int32)
    case .date: return littleEndian(b, as: Int32.self).map(Value.date)
    case .int64: return littleEndian(b, as: Int64.self).map(Value.int64)
    case .timestamp: return littleEndian(b, as: Int64.self).map(Value.timestamp)
    case .double: return littleEndian(b, as: UInt64.self).map { .double(Double(bitPattern: $0)) }
    case .string: return .string(String(decoding: b, as: UTF8.self))
    }
}

/// `b` as one little-endian `T`, as PLAIN statistics store numbers; nil when the byte count is
/// not `T`'s size.
func littleEndian<T: FixedWidthInteger>(_ b: [UInt8], as _: T.Type) -> T? {
    guard b.count == MemoryLayout<T>.size else { return nil }
    var x: T = 0
    for (i, byte) in b.enumerated() { x |= T(truncatingIfNeeded: byte) << (8 * i) }
    return x
}
