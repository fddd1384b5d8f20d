import FSCore

/// Rows handed over as runs (`RunBatch`): work per run, not per row, wherever the format allows.
///
/// - `repeated` numbers: each non-null run appends one PLAIN entry to the chunk's dictionary
///   (duplicates are legal: nothing is hashed) and its rows repeat that entry's index, which the
///   page's RLE/bit-packed hybrid stores as one RLE run. Statistics come from the entries.
/// - `repeated` strings: the run values go through the chunk's string dictionary (with their
///   `DictionaryHint`, once per run instead of once per row); PLAIN after a dictionary overflow.
/// - `stepping` integers: written PLAIN (then DELTA_BINARY_PACKED when the options say so) in
///   one tight loop per run; min and max from each run's ends.
///
/// Pages are still cut at `maxPageRows` (a run may span two pages) or `maxPageBytes`.
extension FlatColumnWriter {
    /// Appends the rows of runs `runs` of `column`, whose run lengths are `lengths` (indexed by
    /// run position, like the column). The column must have the field's type; NULLs in a
    /// REQUIRED field are rejected by the file writer before this is called.
    package func appendRuns(_ column: RunColumn, lengths: UnsafeBufferPointer<Int32>, runs: Range<Int>) throws(ParquetError) {
        switch column {
        case .stepping(let first, let step, _):
            try endRunEntries()
            try first.withUnsafeBufferPointer { first throws(ParquetError) in
                try forEachPiece(lengths, runs) { r, offset, count in
                    let lo = first[r] &+ Int64(offset) &* step, hi = lo &+ Int64(count - 1) &* step
                    values.reserve(count * 8)
                    let out = values.base
                    var o = values.count, v = lo
                    for _ in 0..<count {
                        out.storeBytes(of: v.littleEndian, toByteOffset: o, as: Int64.self)
                        o += 8
                        v &+= step
                    }
                    values.count = o
                    statistics.add(int: Swift.min(lo, hi))
                    statistics.add(int: Swift.max(lo, hi))
                    return true
                }
            }
        case .repeated(let c):
            let validity = c.validity?.words ?? []
            try validity.withUnsafeBufferPointer { bits throws(ParquetError) in
                let words = c.validity == nil ? nil : bits
                switch c.values {
                case .int32(let v): try appendRepeatedNumbers(v, lengths, runs, words) { Int64($0) }
                case .int64(let v): try appendRepeatedNumbers(v, lengths, runs, words) { $0 }
                case .double(let v): try appendRepeatedNumbers(v, lengths, runs, words)
                case .boolean(let v):
                    try endRunEntries()
                    try forEachPiece(lengths, runs) { r, _, count in
                        guard isPresent(words, r) else { return false }
                        booleans.append(contentsOf: repeatElement(v[r] ? 1 : 0, count: count))
                        statistics.add(bool: v[r])
                        return true
                    }
                case .string(let s):
                    try appendRepeatedStrings(s, hint: c.dictionaryHint, lengths, runs, words)
                }
            }
        }
    }

    /// A numeric chunk that took `repeated` runs holds dictionary-encoded pages: rows that
    /// arrive otherwise (PLAIN values) start a new page. The entries stay for the chunk's
    /// dictionary page; a chunk may mix dictionary and PLAIN pages (table-format.md §1.8).
    func endRunEntries() throws(ParquetError) {
        guard physicalType != .byteArray, isDictionaryEncoding else { return }
        try flushPage()
        isDictionaryEncoding = false
    }

    private func appendRepeatedNumbers<T: FixedWidthInteger>(
        _ v: [T], _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>, _ words: UnsafeBufferPointer<UInt64>?,
        int: (T) -> Int64
    ) throws(ParquetError) {
        try startRunEntries()
        try v.withUnsafeBufferPointer { v throws(ParquetError) in
            try forEachRunEntry(lengths, runs, words) { r in
                runEntries.append(littleEndian: v[r])
                statistics.add(int: int(v[r]))
            }
        }
    }

    private func appendRepeatedNumbers(
        _ v: [Double], _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>, _ words: UnsafeBufferPointer<UInt64>?
    ) throws(ParquetError) {
        try startRunEntries()
        try v.withUnsafeBufferPointer { v throws(ParquetError) in
            try forEachRunEntry(lengths, runs, words) { r in
                let x = v[r]
                runEntries.append(littleEndian: x.bitPattern)
                // NaNs are counted per row (the statistics' nan_count); other values once.
                for _ in 0..<(x.isNaN ? Int(lengths[r]) : 1) { statistics.add(double: x) }
            }
        }
    }

    /// Switches a numeric chunk to run entries (closing an open page of PLAIN rows first).
    private func startRunEntries() throws(ParquetError) {
        guard !isDictionaryEncoding else { return }
        try flushPage()
        isDictionaryEncoding = true
    }

    /// For each run piece: a new entry (by `add`) when the piece starts its run, then the
    /// entry's index on each of the piece's rows.
    private func forEachRunEntry(
        _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>, _ words: UnsafeBufferPointer<UInt64>?, add: (Int) -> Void
    ) throws(ParquetError) {
        try forEachPiece(lengths, runs) { r, offset, count in
            guard isPresent(words, r) else { return false }
            if offset == 0 {
                add(r)
                runEntryCount += 1
            }
            indices.append(contentsOf: repeatElement(UInt32(runEntryCount - 1), count: count))
            return true
        }
    }

    private func appendRepeatedStrings(
        _ s: StringArray, hint: DictionaryHint?, _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>,
        _ words: UnsafeBufferPointer<UInt64>?
    ) throws(ParquetError) {
        var runIndex: [UInt32] = []
        var encoded = runs.lowerBound
        if isDictionaryEncoding, let dict = dictionary {
            // One dictionary index per non-null run, computed together (the page's own indices
            // are set aside meanwhile).
            swap(&runIndex, &indices)
            encoded = appendDictionaryIndices(s, runs, words, dict, hint: hint)
            swap(&runIndex, &indices)
        }
        var next = 0
        try forEachPiece(lengths, runs.lowerBound..<encoded) { r, offset, count in
            guard isPresent(words, r) else { return false }
            indices.append(contentsOf: repeatElement(runIndex[next], count: count))
            if offset + count == Int(lengths[r]) { next += 1 }
            return true
        }
        guard encoded < runs.upperBound else { return }
        if isDictionaryEncoding {
            // The dictionary passed `maxDictionaryBytes`: the rest of the chunk is PLAIN.
            try flushPage(wasDictionaryEncoded: true)
            isDictionaryEncoding = false
        }
        try forEachPiece(lengths, encoded..<runs.upperBound) { r, _, count in
            guard isPresent(words, r) else { return false }
            for _ in 0..<count { PlainEncoder.append(s, range: r..<(r + 1), validity: nil, into: values) }
            addStringStatistics(s, r..<(r + 1), nil)
            return true
        }
    }

    /// Calls `body(run, offset in run, rows)` for each piece of the runs that fits the open page
    /// (a run crossing a page boundary comes in two pieces); `body` encodes the piece's values
    /// and returns false for a NULL piece. Keeps levels, row and NULL counts, and cuts pages.
    private func forEachPiece(
        _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>, _ body: (Int, Int, Int) throws(ParquetError) -> Bool
    ) throws(ParquetError) {
        for r in runs {
            let length = Int(lengths[r])
            var offset = 0
            while offset < length {
                let count = Swift.min(length - offset, maxPageRows - pageRows)
                let present = try body(r, offset, count)
                if isOptional { levels.append(contentsOf: repeatElement(present ? 1 : 0, count: count)) }
                if !present {
                    pageNulls += count
                    statistics.addNulls(count)
                }
                pageRows += count
                offset += count
                if pageRows >= maxPageRows || valueBytes >= options.maxPageBytes { try flushPage() }
            }
        }
    }
}

@inline(__always)
private func isPresent(_ words: UnsafeBufferPointer<UInt64>?, _ i: Int) -> Bool {
    guard let words else { return true }
    return isValid(words, i)
}
