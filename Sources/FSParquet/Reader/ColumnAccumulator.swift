import FSCore

/// The growing output of one column while its pages are decoded: concrete arrays that the page
/// decoders append to through unsafe pointers, then handed to `Column` without a copy.
///
/// Values arrive densely (non-null values only, in order); `spreadNulls` then moves them to
/// their row positions, back to front in place, leaving placeholders under NULLs and recording
/// the NULL rows in a validity bitmap created only when the first NULL appears.
struct ColumnAccumulator {
    /// Which array holds the values (fixed by the column's fs type).
    enum Storage { case boolean, int32, int64, double, string }

    let type: DataType
    let storage: Storage
    var booleans: [Bool] = []
    var int32s: [Int32] = []
    var int64s: [Int64] = []
    var doubles: [Double] = []
    /// String offsets: `count + 1` entries; string i is `bytes[offsets[i] ..< offsets[i + 1]]`.
    var offsets: [Int] = [0]
    var bytes: [UInt8] = []
    /// NULL rows, in ascending order (a bitmap is built at the end only if this is non-empty).
    var nullRows: [Int] = []
    /// String columns: each row's dictionary index, offset by the sizes of the chunks' earlier
    /// dictionaries so equal codes mean equal strings across the chunks of one read (NULL rows
    /// code 0). nil once any value did not come from a dictionary. Handed out as the column's
    /// `DictionaryHint`, so a consumer that groups by the column (the publisher's newest row per
    /// key) hashes each distinct value once per row group instead of once per row.
    var codes: [UInt32]? = []
    /// The codes given out so far: the next chunk's dictionary starts here.
    var codeCount = 0

    init(type: DataType, expectedRows: Int = 0, expectedBytes: Int = 0) {
        self.type = type
        switch type {
        case .boolean: storage = .boolean; booleans.reserveCapacity(expectedRows)
        case .int32, .date: storage = .int32; int32s.reserveCapacity(expectedRows)
        case .int64, .timestamp: storage = .int64; int64s.reserveCapacity(expectedRows)
        case .double: storage = .double; doubles.reserveCapacity(expectedRows)
        case .string:
            storage = .string
            codes?.reserveCapacity(expectedRows)
            offsets.reserveCapacity(expectedRows + 1)
            bytes.reserveCapacity(expectedBytes)
        }
    }

    /// Rows (or dense values) appended so far.
    var count: Int {
        switch storage {
        case .boolean: return booleans.count
        case .int32: return int32s.count
        case .int64: return int64s.count
        case .double: return doubles.count
        case .string: return offsets.count - 1
        }
    }

    // MARK: Appending dense values

    /// Appends `count` values written by `body` into uninitialized-then-zeroed space at the end
    /// of `array`; `body` returns how many it actually wrote (the rest is removed).
    @inline(__always)
    static func append<T>(
        to array: inout [T], count: Int, zero: T,
        _ body: (UnsafeMutablePointer<T>) throws(DecodeFailure) -> Void
    ) throws(DecodeFailure) {
        let start = array.count
        array.append(contentsOf: repeatElement(zero, count: count))
        var failure: DecodeFailure?
        array.withUnsafeMutableBufferPointer { buffer in
            do throws(DecodeFailure) { try body(buffer.baseAddress! + start) } catch { failure = error }
        }
        if let failure {
            array.removeSubrange(start...)
            throw failure
        }
    }

    /// Appends `count` strings whose bytes are `spans` into `source`; `totalBytes` is their sum.
    mutating func appendStrings(source: UnsafeRawPointer, spans: UnsafePointer<ByteSpan>, count: Int, totalBytes: Int) {
        codes = nil
        let byteStart = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: totalBytes))
        let offsetStart = offsets.count
        offsets.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBufferPointer { dst in
            offsets.withUnsafeMutableBufferPointer { off in
                let out = dst.baseAddress! + byteStart
                var position = 0
                var end = byteStart
                let o = off.baseAddress! + offsetStart
                for i in 0 ..< count {
                    let s = spans[i]
                    let n = Int(s.count)
                    (out + position).update(from: source.advanced(by: Int(s.start)).assumingMemoryBound(to: UInt8.self), count: n)
                    position += n
                    end += n
                    o[i] = end
                }
            }
        }
    }

    /// Appends `count` strings picked from a dictionary by (validated) `indices`; their codes are
    /// the indices plus `codeBase` (where this chunk's dictionary starts, see `codes`).
    mutating func appendStrings(dictionary: ColumnAccumulator, indices: UnsafePointer<UInt32>, count: Int, codeBase: Int) {
        if codes != nil {
            let base = UInt32(truncatingIfNeeded: codeBase)
            codes!.append(contentsOf: UnsafeBufferPointer(start: indices, count: count).lazy.map { $0 &+ base })
        }
        dictionary.offsets.withUnsafeBufferPointer { dictOffsets in
            var total = 0
            for i in 0 ..< count {
                let k = Int(indices[i])
                total += dictOffsets[k + 1] - dictOffsets[k]
            }
            dictionary.bytes.withUnsafeBytes { dictBytes in
                guard let base = dictBytes.baseAddress else {
                    // Every entry is empty: only offsets grow.
                    offsets.append(contentsOf: repeatElement(bytes.count, count: count))
                    return
                }
                let byteStart = bytes.count
                bytes.append(contentsOf: repeatElement(0, count: total))
                let offsetStart = offsets.count
                offsets.append(contentsOf: repeatElement(0, count: count))
                bytes.withUnsafeMutableBufferPointer { dst in
                    offsets.withUnsafeMutableBufferPointer { off in
                        let o = off.baseAddress! + offsetStart
                        var end = byteStart
                        let out = dst.baseAddress!
                        for i in 0 ..< count {
                            let k = Int(indices[i])
                            let lo = dictOffsets[k], n = dictOffsets[k + 1] - lo
                            (out + end).update(from: base.advanced(by: lo).assumingMemoryBound(to: UInt8.self), count: n)
                            end += n
                            o[i] = end
                        }
                    }
                }
            }
        }
    }

    /// Appends `count` values picked from a dictionary of the same storage by (validated) indices.
    mutating func appendFromDictionary(_ dictionary: ColumnAccumulator, indices: UnsafePointer<UInt32>, count: Int, codeBase: Int) {
        switch storage {
        case .boolean: Self.gather(dictionary.booleans, indices, count, into: &booleans, zero: false)
        case .int32: Self.gather(dictionary.int32s, indices, count, into: &int32s, zero: 0)
        case .int64: Self.gather(dictionary.int64s, indices, count, into: &int64s, zero: 0)
        case .double: Self.gather(dictionary.doubles, indices, count, into: &doubles, zero: 0)
        case .string: appendStrings(dictionary: dictionary, indices: indices, count: count, codeBase: codeBase)
        }
    }

    @inline(__always)
    private static func gather<T>(_ dictionary: [T], _ indices: UnsafePointer<UInt32>, _ count: Int, into array: inout [T], zero: T) {
        let start = array.count
        array.append(contentsOf: repeatElement(zero, count: count))
        dictionary.withUnsafeBufferPointer { dict in
            array.withUnsafeMutableBufferPointer { out in
                DictionaryDecoder.gather(dict, indices: indices, count: count, into: out.baseAddress! + start)
            }
        }
    }

    // MARK: NULLs

    /// Turns the last `denseCount` values into `levels.count` rows: row i holds the next value
    /// when `levels[i] == maxLevel`, else NULL (placeholder value, row recorded in `nullRows`).
    mutating func spreadNulls(denseCount: Int, levels: UnsafeBufferPointer<UInt32>, maxLevel: UInt32) {
        let rows = levels.count
        let base = count - denseCount
        switch storage {
        case .boolean: Self.spread(&booleans, base: base, dense: denseCount, levels: levels, max: maxLevel, zero: false)
        case .int32: Self.spread(&int32s, base: base, dense: denseCount, levels: levels, max: maxLevel, zero: 0)
        case .int64: Self.spread(&int64s, base: base, dense: denseCount, levels: levels, max: maxLevel, zero: 0)
        case .double: Self.spread(&doubles, base: base, dense: denseCount, levels: levels, max: maxLevel, zero: 0)
        case .string:
            // offsets[base + 1 ... base + dense] are the ends of the dense strings; a NULL row
            // repeats the previous end (an empty string).
            // Back to front: row i (1-based) ends where the last present row up to i ends, which
            // is dense value `src` — never yet overwritten because src <= i.
            if codes != nil { Self.spread(&codes!, base: base, dense: denseCount, levels: levels, max: maxLevel, zero: 0) }
            offsets.append(contentsOf: repeatElement(0, count: rows - denseCount))
            offsets.withUnsafeMutableBufferPointer { off in
                let o = off.baseAddress! + base
                var src = denseCount
                var i = rows
                while i > 0 {
                    o[i] = o[src]
                    if levels[i - 1] == maxLevel { src -= 1 }
                    i -= 1
                }
            }
        }
        for i in 0 ..< rows where levels[i] != maxLevel { nullRows.append(base + i) }
    }

    @inline(__always)
    private static func spread<T>(_ array: inout [T], base: Int, dense: Int, levels: UnsafeBufferPointer<UInt32>, max: UInt32, zero: T) {
        let rows = levels.count
        array.append(contentsOf: repeatElement(zero, count: rows - dense))
        array.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress! + base
            var src = dense
            var i = rows
            while i > 0 {
                i -= 1
                if levels[i] == max {
                    src -= 1
                    p[i] = p[src]
                } else {
                    p[i] = zero
                }
            }
        }
    }

    /// Appends `n` NULL rows (a page or chunk that holds no values for them).
    mutating func appendNulls(_ n: Int) {
        let base = count
        switch storage {
        case .boolean: booleans.append(contentsOf: repeatElement(false, count: n))
        case .int32: int32s.append(contentsOf: repeatElement(0, count: n))
        case .int64: int64s.append(contentsOf: repeatElement(0, count: n))
        case .double: doubles.append(contentsOf: repeatElement(0, count: n))
        case .string:
            offsets.append(contentsOf: repeatElement(bytes.count, count: n))
            codes?.append(contentsOf: repeatElement(0, count: n))
        }
        nullRows.append(contentsOf: base ..< base + n)
    }

    // MARK: Result

    /// The finished column; the validity bitmap exists only when some row is NULL.
    func finish() -> Column {
        let values: ColumnValues
        switch storage {
        case .boolean: values = .boolean(booleans)
        case .int32: values = .int32(int32s)
        case .int64: values = .int64(int64s)
        case .double: values = .double(doubles)
        case .string: values = .string(StringArray(offsets: offsets, bytes: bytes))
        }
        var validity: Validity?
        if !nullRows.isEmpty {
            var v = Validity(repeating: true, count: values.count)
            for r in nullRows { v.set(r, false) }
            validity = v
        }
        var column = Column(type: type, values: values, validity: validity)
        if storage == .string, let codes, codeCount > 0, codes.count == column.count {
            column.dictionaryHint = DictionaryHint(codes: codes, codeCount: codeCount)
        }
        return column
    }
}
