import FSCore

/// Rows handed over as runs (`RunBatch`): work per run, not per row, wherever the format allows.
///
/// - `repeated` numbers: each non-null run appends one PLAIN entry to the chunk's dictionary
///   (duplicates are legal: nothing is hashed) and its rows repeat that entry's index, which the
///   page's RLE/bit-packed hybrid stores as one RLE run. Statistics come from the entries.
/// - `repeated` strings: the run values go through the chunk's string dictionary (with their
///   `DictionaryHint`, once per run instead of once per row); PLAIN after a dictionary overflow.
/// - `stepping` integers: dictionary indices of their grid points with
///   `isSteppingDictionaryEnabled` (`FlatColumnWriter+Stepping`), else written PLAIN (then
///   DELTA_BINARY_PACKED when the options say so) in one tight loop per run; min and max from
///   each run's ends.
///
/// Pages are still cut at `maxPageRows` (a run may span two pages) or `maxPageBytes`.
extension FlatColumnWriter {
    /// Appends the rows of runs `runs` of `column`, whose run lengths are `lengths` (indexed by
    /// run position, like the column). The column must have the field's type; NULLs in a
    /// REQUIRED field are rejected by the file writer before this is called.
    package func appendRuns(_ column: RunColumn, lengths: UnsafeBufferPointer<Int32>, runs: Range<Int>) throws(ParquetError) {
        switch column {
        case .stepping(let first, let step, _):
            if options.isSteppingDictionaryEnabled, physicalType == .int64, try appendSteppingIndices(first, step, lengths, runs) { return }
            try endRunEntries()
            try first.withUnsafeBufferPointer { first throws(ParquetError) in
                try forEachPiece(lengths, runs) { r, offset, count, page in
                    let lo = first[r] &+ Int64(offset) &* step, hi = lo &+ Int64(count - 1) &* step
                    var v = lo
                    for _ in 0..<count {
                        page.plain.append(v)
                        v &+= step
                    }
                    page.statistics.add(int: Swift.min(lo, hi))
                    page.statistics.add(int: Swift.max(lo, hi))
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
                    try forEachPiece(lengths, runs) { r, _, count, page in
                        guard isPresent(words, r) else { return false }
                        booleans.append(contentsOf: repeatElement(v[r] ? 1 : 0, count: count))
                        page.statistics.add(bool: v[r])
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
    /// Index runs of the open page are written out for rows that append indices one by one.
    func endRunEntries() throws(ParquetError) {
        if !indexValues.isEmpty {
            for (v, n) in zip(indexValues, indexCounts) { indices.append(contentsOf: repeatElement(v, count: Int(n))) }
            indexValues.removeAll(keepingCapacity: true)
            indexCounts.removeAll(keepingCapacity: true)
        }
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
            try forEachRunEntry(lengths, runs, words) { r, page in
                page.entries.append(UInt64(truncatingIfNeeded: v[r]))
                page.statistics.add(int: int(v[r]))
            }
        }
    }

    private func appendRepeatedNumbers(
        _ v: [Double], _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>, _ words: UnsafeBufferPointer<UInt64>?
    ) throws(ParquetError) {
        try startRunEntries()
        try v.withUnsafeBufferPointer { v throws(ParquetError) in
            try forEachRunEntry(lengths, runs, words) { r, page in
                let x = v[r]
                page.entries.append(x.bitPattern)
                // NaNs are counted per row (the statistics' nan_count); other values once.
                for _ in 0..<(x.isNaN ? Int(lengths[r]) : 1) { page.statistics.add(double: x) }
            }
        }
    }

    /// Switches a numeric chunk to run entries (closing an open page of PLAIN rows first).
    func startRunEntries() throws(ParquetError) {
        guard !isDictionaryEncoding else { return }
        try flushPage()
        isDictionaryEncoding = true
        if let codec = options.runEntryCompression, chunk.submittedBodyBytes == 0 { chunk.setCompression(codec) }
    }

    /// For each run piece: a new entry (by `add`) when the piece starts its run, then the
    /// entry's index on each of the piece's rows, as one index run.
    private func forEachRunEntry(
        _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>, _ words: UnsafeBufferPointer<UInt64>?,
        add: (Int, inout RunPage) -> Void
    ) throws(ParquetError) {
        try forEachPiece(lengths, runs) { r, offset, count, page in
            guard isPresent(words, r) else { return false }
            if offset == 0 {
                add(r, &page)
                page.entryCount += 1
            }
            page.addIndexRun(UInt32(page.entryCount - 1), count)
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
        try runIndex.withUnsafeBufferPointer { runIndex throws(ParquetError) in
            try forEachPiece(lengths, runs.lowerBound..<encoded) { r, offset, count, page in
                guard isPresent(words, r) else { return false }
                page.addIndexRun(runIndex[next], count)
                if offset + count == Int(lengths[r]) { next += 1 }
                return true
            }
        }
        guard encoded < runs.upperBound else { return }
        if isDictionaryEncoding {
            // The dictionary passed `maxDictionaryBytes`: the rest of the chunk is PLAIN.
            try flushPage(wasDictionaryEncoded: true)
            isDictionaryEncoding = false
        }
        let values = self.values
        try forEachPiece(lengths, encoded..<runs.upperBound) { r, _, count, page in
            guard isPresent(words, r) else { return false }
            for _ in 0..<count { PlainEncoder.append(s, range: r..<(r + 1), validity: nil, into: values) }
            page.bytes += count * (4 + s.offsets[r + 1] - s.offsets[r])
            return true
        }
        addStringStatistics(s, encoded..<runs.upperBound, words)
    }

    /// Calls `body(run, offset in run, rows, page)` for each piece of the runs that fits the
    /// open page (a run crossing a page boundary comes in two pieces); `body` encodes the piece's
    /// values and returns false for a NULL piece. Keeps levels, row and NULL counts, and cuts
    /// pages. The page's state is held in a local (`RunPage`) during the loop: a class's stored
    /// properties would pay a run-time exclusivity check on every access.
    private func forEachPiece(
        _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>,
        _ body: (Int, Int, Int, inout RunPage) throws(ParquetError) -> Bool
    ) throws(ParquetError) {
        var page = takeRunPage()
        let maxRows = maxPageRows, maxBytes = options.maxPageBytes, optional = isOptional
        for r in runs {
            let length = Int(lengths[r])
            var offset = 0
            while offset < length {
                let count = Swift.min(length - offset, maxRows - page.rows)
                let present = try body(r, offset, count, &page)
                if optional {
                    // Levels are kept only once the page has a NULL (all 1 before: one RLE run).
                    if !present && page.nulls == 0 { page.levels.append(contentsOf: repeatElement(1, count: page.rows - page.levels.count)) }
                    if !present || page.nulls > 0 { page.levels.append(contentsOf: repeatElement(present ? 1 : 0, count: count)) }
                }
                if !present {
                    page.nulls += count
                    page.statistics.addNulls(count)
                }
                page.rows += count
                offset += count
                if page.rows >= maxRows || page.bytes + page.plain.count * 8 >= maxBytes {
                    putRunPage(page)
                    try flushPage()
                    page = takeRunPage()
                }
            }
        }
        putRunPage(page)
    }

    /// Moves the open page's state out of the writer (see `forEachPiece`).
    private func takeRunPage() -> RunPage {
        var page = RunPage(rows: pageRows, nulls: pageNulls, levels: levels, indexValues: indexValues, indexCounts: indexCounts,
                           statistics: statistics, bytes: valueBytes, plain: [], entries: [], entryCount: runEntryCount)
        levels = []
        indexValues = []
        indexCounts = []
        // Indices appended one by one earlier in the page join as runs of one.
        if !indices.isEmpty {
            for v in indices { page.addIndexRun(v, 1) }
            indices.removeAll(keepingCapacity: true)
        }
        return page
    }

    /// Moves the page's state back; an OPTIONAL page without NULLs gets its levels written out
    /// (rows appended one by one after this expect them).
    private func putRunPage(_ page: consuming RunPage) {
        if isOptional && page.nulls == 0 { page.levels.append(contentsOf: repeatElement(1, count: page.rows - page.levels.count)) }
        pageRows = page.rows
        pageNulls = page.nulls
        levels = page.levels
        indexValues = page.indexValues
        indexCounts = page.indexCounts
        statistics = page.statistics
        runEntryCount = page.entryCount
        #if _endian(little)
        if !page.plain.isEmpty { page.plain.withUnsafeBytes { values.append($0) } }
        if !page.entries.isEmpty {
            if physicalType == .int32 {
                runEntries.reserve(page.entries.count * 4)
                let out = runEntries.base + runEntries.count
                for (i, e) in page.entries.enumerated() { out.storeBytes(of: UInt32(truncatingIfNeeded: e).littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
                runEntries.count += page.entries.count * 4
            } else {
                page.entries.withUnsafeBytes { runEntries.append($0) }
            }
        }
        #else
        for v in page.plain { values.append(littleEndian: v) }
        for e in page.entries {
            if physicalType == .int32 { runEntries.append(littleEndian: UInt32(truncatingIfNeeded: e)) } else { runEntries.append(littleEndian: e) }
        }
        #endif
    }
}

/// The open page of a `FlatColumnWriter` while runs are appended.
struct RunPage {
    var rows: Int
    var nulls: Int
    /// Definition levels; while `nulls == 0` possibly fewer than `rows` (all 1).
    var levels: [UInt8]
    var indexValues: [UInt32]
    var indexCounts: [UInt32]
    var statistics: StatisticsAccumulator
    /// PLAIN value bytes of the page (those in the writer's sink and `plain`'s not counted).
    var bytes: Int
    /// PLAIN 64-bit values not yet in the writer's sink.
    var plain: [Int64]
    /// Dictionary entries (bit patterns) not yet in the writer's `runEntries`.
    var entries: [UInt64]
    /// Entries of the chunk's dictionary, `entries` included.
    var entryCount: Int

    /// `count` rows of dictionary index `value`.
    @inline(__always)
    mutating func addIndexRun(_ value: UInt32, _ count: Int) {
        if let last = indexValues.last, last == value {
            indexCounts[indexCounts.count - 1] += UInt32(count)
        } else {
            indexValues.append(value)
            indexCounts.append(UInt32(count))
        }
    }
}

@inline(__always)
private func isPresent(_ words: UnsafeBufferPointer<UInt64>?, _ i: Int) -> Bool {
    guard let words else { return true }
    return isValid(words, i)
}
