import FSCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running min/max/null/NaN counts of one column chunk, over concrete typed values.
///
/// Integers (int32, int64, date, timestamp) are tracked as Int64, doubles without NaN, strings
/// as UTF-8 bytes in unsigned byte order, booleans as "saw true/false". Two accumulators merge
/// exactly, which gives whole-file statistics from row-group ones.
package struct StatisticsAccumulator {
    package let type: DataType
    package private(set) var nullCount: Int64 = 0
    package private(set) var nanCount: Int64 = 0
    private var hasInt = false, minInt = Int64.max, maxInt = Int64.min
    private var hasDouble = false, minDouble = Double.infinity, maxDouble = -Double.infinity
    private var minString: [UInt8]?, maxString: [UInt8]?
    private var sawTrue = false, sawFalse = false

    package init(type: DataType) { self.type = type }

    package mutating func addNulls(_ n: Int) { nullCount += Int64(n) }

    @inline(__always)
    package mutating func add(int v: Int64) {
        hasInt = true
        if v < minInt { minInt = v }
        if v > maxInt { maxInt = v }
    }

    @inline(__always)
    package mutating func add(double v: Double) {
        if v.isNaN { nanCount += 1; return }
        hasDouble = true
        // -0.0 < +0.0 is false, so zeros of either sign land here; `finish` normalizes them.
        if v < minDouble { minDouble = v }
        if v > maxDouble { maxDouble = v }
    }

    @inline(__always)
    package mutating func add(bool v: Bool) {
        if v { sawTrue = true } else { sawFalse = true }
    }

    /// Adds one string by its UTF-8 bytes; copies only when it becomes the new min or max.
    @inline(__always)
    package mutating func add(string v: UnsafeBufferPointer<UInt8>) {
        if let lo = minString {
            if lo.withUnsafeBufferPointer({ utf8Less(v, $0) }) { minString = Array(v) }
        } else {
            minString = Array(v)
        }
        if let hi = maxString {
            if hi.withUnsafeBufferPointer({ utf8Less($0, v) }) { maxString = Array(v) }
        } else {
            maxString = Array(v)
        }
    }

    /// Adds the non-null strings of rows `range` of a column stored as offsets + bytes: finds
    /// the range's min and max rows by `memcmp` without copying, then copies only those two.
    package mutating func addStrings(
        offsets: UnsafeBufferPointer<Int>, bytes: UnsafeRawPointer, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?
    ) {
        var lo = -1, hi = -1
        for i in range {
            if let w = validity, !isValid(w, i) { continue }
            if lo < 0 { lo = i; hi = i; continue }
            if bytesLess(offsets, bytes, i, lo) { lo = i } else if bytesLess(offsets, bytes, hi, i) { hi = i }
        }
        guard lo >= 0 else { return }
        add(string: UnsafeBufferPointer(start: (bytes + offsets[lo]).assumingMemoryBound(to: UInt8.self), count: offsets[lo + 1] - offsets[lo]))
        add(string: UnsafeBufferPointer(start: (bytes + offsets[hi]).assumingMemoryBound(to: UInt8.self), count: offsets[hi + 1] - offsets[hi]))
    }

    /// Adds the non-null values of `values[range]`.
    @inline(__always)
    package mutating func add<T: BinaryInteger>(_ values: UnsafeBufferPointer<T>, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?) {
        guard !range.isEmpty else { return }
        var lo = minInt, hi = maxInt, any = hasInt
        for i in range {
            if let w = validity, !isValid(w, i) { continue }
            let v = Int64(values[i])
            if v < lo { lo = v }
            if v > hi { hi = v }
            any = true
        }
        minInt = lo; maxInt = hi; hasInt = any
    }

    package mutating func add(_ values: UnsafeBufferPointer<Double>, range: Range<Int>, validity: UnsafeBufferPointer<UInt64>?) {
        for i in range {
            if let w = validity, !isValid(w, i) { continue }
            add(double: values[i])
        }
    }

    /// Combines another accumulator of the same column.
    package mutating func merge(_ o: StatisticsAccumulator) {
        nullCount += o.nullCount
        nanCount += o.nanCount
        if o.hasInt { add(int: o.minInt); add(int: o.maxInt) }
        if o.hasDouble { add(double: o.minDouble); add(double: o.maxDouble) }
        if let s = o.minString { s.withUnsafeBufferPointer { add(string: $0) } }
        if let s = o.maxString { s.withUnsafeBufferPointer { add(string: $0) } }
        sawTrue = sawTrue || o.sawTrue
        sawFalse = sawFalse || o.sawFalse
    }

    /// Min and max as logical values; nil when there were no (non-NaN) values.
    package var bounds: (min: Value, max: Value)? {
        switch type {
        case .int32: return hasInt ? (.int32(Int32(minInt)), .int32(Int32(maxInt))) : nil
        case .date: return hasInt ? (.date(Int32(minInt)), .date(Int32(maxInt))) : nil
        case .int64: return hasInt ? (.int64(minInt), .int64(maxInt)) : nil
        case .timestamp: return hasInt ? (.timestamp(minInt), .timestamp(maxInt)) : nil
        case .double:
            guard hasDouble else { return nil }
            // §1.10: a zero minimum is written as -0.0 and a zero maximum as +0.0, so that a
            // reader comparing against either zero never wrongly skips the chunk.
            let lo = minDouble == 0 ? -0.0 : minDouble
            let hi = maxDouble == 0 ? 0.0 : maxDouble
            return (.double(lo), .double(hi))
        case .boolean:
            guard sawTrue || sawFalse else { return nil }
            return (.boolean(!sawFalse), .boolean(sawTrue))
        case .string:
            guard let lo = minString, let hi = maxString else { return nil }
            return (.string(String(decoding: lo, as: UTF8.self)), .string(String(decoding: hi, as: UTF8.self)))
        }
    }

    /// The logical statistics (row group or file).
    package var columnStatistics: ColumnStatistics {
        let b = bounds
        return ColumnStatistics(nullCount: nullCount, min: b?.min, max: b?.max, nanCount: type == .double ? nanCount : nil)
    }

    /// The footer statistics: `null_count` always, `min_value`/`max_value` (exact) when there
    /// are values, `nan_count` for doubles.
    package var thrift: Statistics {
        var s = Statistics(nullCount: nullCount)
        if let b = bounds {
            if type == .string, let lo = minString, let hi = maxString {
                s.minValue = lo
                s.maxValue = hi
            } else {
                s.minValue = encodeStatisticsValue(b.min)
                s.maxValue = encodeStatisticsValue(b.max)
            }
            s.isMinValueExact = true
            s.isMaxValueExact = true
        }
        if type == .double { s.nanCount = nanCount }
        return s
    }
}

/// Unsigned byte order of rows `a` and `b` of an offsets + bytes string column.
@inline(__always)
private func bytesLess(_ offsets: UnsafeBufferPointer<Int>, _ bytes: UnsafeRawPointer, _ a: Int, _ b: Int) -> Bool {
    let sa = offsets[a], la = offsets[a + 1] - sa
    let sb = offsets[b], lb = offsets[b + 1] - sb
    let c = memcmp(bytes + sa, bytes + sb, Swift.min(la, lb))
    return c < 0 || (c == 0 && la < lb)
}
