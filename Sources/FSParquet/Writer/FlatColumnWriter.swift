import Dispatch
import FSCore

/// Encodes one flat column of a file, page by page, into its `ColumnChunkBuilder`.
///
/// Rows arrive as ranges of batch columns; a data page is cut at `maxPageRows` rows or about
/// `maxPageBytes` of value bytes, always on a row boundary. Strings are dictionary encoded until
/// the chunk's dictionary passes `maxDictionaryBytes` — or, with `options.dictionaryVerdicts`,
/// until the chunk's first `DictionaryVerdicts.probeValues` values prove more than half
/// distinct; then the current page is closed and the rest of the chunk is PLAIN (mixed chunks are legal, table-format.md §1.8). OPTIONAL columns
/// (nullable fields) get bit-width-1 definition levels; REQUIRED columns none.
///
/// Page body (v1), before compression:
/// ```
/// [uint32 LE length][RLE/bit-packed def levels]   only when OPTIONAL
/// PLAIN values of the non-null rows               or  [bit width][RLE/bit-packed indices]
/// ```
package final class FlatColumnWriter {
    package let field: Field
    package let physicalType: PhysicalType
    package let chunk: ColumnChunkBuilder
    let options: ParquetWriterOptions
    /// `options.maxPageRows`, at least 1 so every page makes progress.
    let maxPageRows: Int
    var isOptional: Bool { field.isNullable }

    // Current page.
    var pageRows = 0
    var pageNulls = 0
    var levels: [UInt8] = []
    /// PLAIN values of the open page, after `levelsGap` reserved bytes (see `flushPage`).
    let values = ByteSink(capacity: FlatColumnWriter.initialPageBytes)
    /// Room in front of the values for the definition levels of a page without NULLs (uint32
    /// length + one RLE run: at most 4 + 10 + 1 bytes), so such a page's body is compressed
    /// where it lies instead of being copied behind its levels.
    static let levelsGap = 16
    /// PLAIN value bytes in the open page.
    var valueBytes: Int { values.count - Self.levelsGap }
    var indices: [UInt32] = []
    /// Dictionary indices of the open page as runs (`appendRuns`): `indexCounts[i]` rows of
    /// `indexValues[i]`; used instead of `indices` when not empty.
    var indexValues: [UInt32] = []
    var indexCounts: [UInt32] = []
    var rleScratch: [UInt32] = []
    /// Dictionary entry of each `DictionaryHint` code seen (kept across chunks: every use is
    /// checked against the entry's bytes, so a stale slot only costs a hashed lookup).
    var hintMemo: [UInt32] = []
    var booleans: [UInt8] = []
    private let body = ByteSink(capacity: FlatColumnWriter.initialPageBytes)

    // Current chunk.
    var dictionary: StringDictionary?
    var isDictionaryEncoding: Bool
    /// PLAIN dictionary entries of a numeric chunk written from runs (`appendRuns`): one entry
    /// per run, duplicates allowed; `runEntryCount` of them.
    let runEntries = ByteSink(capacity: 0)
    var runEntryCount = 0
    /// Dictionary entries of the grid points of `stepping` runs in this chunk (see
    /// `FlatColumnWriter+Stepping`).
    var steppingGrid = SteppingGrid()
    /// Non-null values dictionary-encoded in this chunk while its sample is open (see
    /// `DictionaryVerdicts`); nil once judged, or when no verdicts are kept.
    private var sampledValues: Int?
    /// Statistics of the values that went PLAIN (dictionary entries are added at chunk end).
    var statistics: StatisticsAccumulator
    /// Whole-file statistics (merged at every chunk end).
    package private(set) var fileStatistics: StatisticsAccumulator

    /// The file's last index body, shared by its columns (see `IndexPageMemo`); nil: none.
    let indexMemo: IndexPageMemo?

    /// First capacity of a page's value and body buffers; they double as a page needs and are
    /// kept for the file's next pages. Small because an open file holds them for every column
    /// whether or not it gets many rows (the ×5 ingest keeps thousands of columns open across a
    /// few hundred day files; see `StringDictionary.initialSlots`), and the definition levels
    /// start empty for the same reason.
    static let initialPageBytes = 256

    package init(field: Field, options: ParquetWriterOptions, file: String,
                 worker: (lane: PageCompressionPool.Lane, pool: PageCompressionPool)? = nil, indexMemo: IndexPageMemo? = nil) {
        self.indexMemo = indexMemo
        self.field = field
        self.options = options
        maxPageRows = Swift.max(1, options.maxPageRows)
        physicalType = field.type.parquetPhysicalType
        // Strings only: doubles that compress < 2.5× at level 1 (order amounts) still lose ~80% of
        // their size at the fast setting, UUID and hex strings ~8%.
        chunk = ColumnChunkBuilder(compression: options.compression, file: file, column: field.name, worker: worker,
                                   verdicts: field.type == .string ? options.compressionVerdicts : nil)
        isDictionaryEncoding = false
        dictionary = nil
        statistics = StatisticsAccumulator(type: field.type)
        fileStatistics = StatisticsAccumulator(type: field.type)
        values.reserve(Self.levelsGap)
        values.count = Self.levelsGap
        startChunkEncoding()
    }

    /// Chooses the new chunk's string encoding: dictionary (sampled while the shared verdicts
    /// are undecided) unless the column proved too distinct.
    private func startChunkEncoding() {
        guard field.type == .string else { return }
        if let fast = options.compressionVerdicts?.setting(for: field.name, default: options.compression) { chunk.setCompression(fast) }
        dictionary = StringDictionary()  // stays empty when PLAIN: no dictionary page
        sampledValues = nil
        isDictionaryEncoding = true
        switch options.dictionaryVerdicts?.verdict(field.name) {
        case .plain?: isDictionaryEncoding = false
        case .sampling?: sampledValues = 0
        case .dictionary?, nil: break
        }
    }

    /// Counts the chunk's sampled values; once they reach `DictionaryVerdicts.probeValues` they
    /// are recorded. True when the verdict is PLAIN (the rest of the chunk then goes PLAIN).
    private func sampleIsTooDistinct(_ column: Column, _ segment: Range<Int>) -> Bool {
        guard let seen = sampledValues, isDictionaryEncoding, let dict = dictionary, let verdicts = options.dictionaryVerdicts else { return false }
        let total = seen + segment.count - withOptionalWords(column.validity?.words) { countNulls($0, segment) }
        guard total >= DictionaryVerdicts.probeValues else { sampledValues = total; return false }
        sampledValues = nil
        return verdicts.record(field.name, values: total, distinct: dict.count) == .plain
    }

    /// A chunk that ended before its sample was complete adds what it saw to the pooled sample.
    private func recordPartialSample() {
        guard let seen = sampledValues, seen > 0, let dict = dictionary, let verdicts = options.dictionaryVerdicts else { return }
        sampledValues = nil
        verdicts.record(field.name, values: seen, distinct: dict.count)
    }

    /// Rows buffered in the open page plus the chunk's finished pages, uncompressed.
    package var bufferedBytes: Int64 {
        chunk.submittedBodyBytes + Int64(valueBytes + runEntries.count + indices.count * 4 + indexValues.count * 8 + booleans.count / 8 + levels.count / 8)
    }

    /// Bytes the writer holds in memory: its page buffers (capacities, not contents), the
    /// dictionary and the chunk's pages (`ColumnChunkBuilder.heldBytesBound`).
    package var heldBytes: Int64 {
        let buffers = values.capacity + runEntries.capacity + body.capacity + levels.capacity + indices.capacity * MemoryLayout<UInt32>.stride + booleans.capacity
        return Int64(buffers + hintMemo.capacity * MemoryLayout<UInt32>.stride + (dictionary?.heldBytes ?? 0)) + chunk.heldBytesBound
    }

    /// Cuts the open page early (it is encoded and compressed like a full one) and gives back
    /// the page buffers' memory. For a file that other files' rows keep waiting: its rows then
    /// cost their compressed size, not a growing uncompressed page, until more arrive.
    package func releaseOpenPage() throws(ParquetError) {
        try flushPage()
        values.shrink(minimumCapacity: Self.levelsGap)
        body.shrink()
        levels = []
        indices = []
        booleans = []
    }

    /// Appends `column[range]`. The column must have the field's type; NULLs in a REQUIRED field
    /// are rejected by the file writer before this is called.
    package func append(_ column: Column, range: Range<Int>) throws(ParquetError) {
        try endRunEntries()
        var start = range.lowerBound
        while start < range.upperBound {
            var end = Swift.min(range.upperBound, start + (maxPageRows - pageRows))
            if case .string(let s) = column.values, !isDictionaryEncoding {
                end = plainStringPageEnd(s, start: start, end: end)
            }
            let appendedEnd = appendSegment(column, start..<end)
            let tooDistinct = sampleIsTooDistinct(column, start..<appendedEnd)
            start = appendedEnd
            let dictionaryOverflowed = isDictionaryEncoding && (tooDistinct || (dictionary?.plainByteCount ?? 0) > options.maxDictionaryBytes)
            if dictionaryOverflowed { isDictionaryEncoding = false }
            if pageRows >= maxPageRows || valueBytes >= options.maxPageBytes || dictionaryOverflowed {
                try flushPage(wasDictionaryEncoded: dictionaryOverflowed)
            }
        }
    }

    /// The end of a segment starting at `start` whose PLAIN strings keep the page under
    /// `maxPageBytes` (at least one row, so a huge string gets a page of its own).
    private func plainStringPageEnd(_ s: StringArray, start: Int, end: Int) -> Int {
        let budget = options.maxPageBytes - valueBytes
        return s.offsets.withUnsafeBufferPointer { off in
            var e = start
            while e < end && (e == start || off[e + 1] - off[start] + 4 * (e + 1 - start) <= budget) { e += 1 }
            return e
        }
    }

    /// Encodes rows `range` into the open page; returns where it stopped (earlier than
    /// `range.upperBound` only when the dictionary overflowed).
    private func appendSegment(_ column: Column, _ range: Range<Int>) -> Int {
        let validityWords = column.validity?.words
        return withOptionalWords(validityWords) { words in
            let nulls = countNulls(words, range)
            var end = range.upperBound
            switch column.values {
            case .int32(let v):
                v.withUnsafeBufferPointer { p in
                    PlainEncoder.append(p, range: range, validity: words, into: values)
                    statistics.add(p, range: range, validity: words)
                }
            case .int64(let v):
                v.withUnsafeBufferPointer { p in
                    PlainEncoder.append(p, range: range, validity: words, into: values)
                    statistics.add(p, range: range, validity: words)
                }
            case .double(let v):
                v.withUnsafeBufferPointer { p in
                    PlainEncoder.append(p, range: range, validity: words, into: values)
                    statistics.add(p, range: range, validity: words)
                }
            case .boolean(let v):
                // Locals, not stored properties, in the per-value loop (no run-time access checks).
                var bits = booleans, stats = statistics
                booleans = []
                for i in range {
                    if let w = words, !isValid(w, i) { continue }
                    bits.append(v[i] ? 1 : 0)
                    stats.add(bool: v[i])
                }
                booleans = bits
                statistics = stats
            case .string(let s):
                if isDictionaryEncoding, let dict = dictionary {
                    end = appendDictionaryIndices(s, range, words, dict, hint: column.dictionaryHint)
                } else {
                    PlainEncoder.append(s, range: range, validity: words, into: values)
                    addStringStatistics(s, range, words)
                }
            }
            let segment = range.lowerBound..<end
            let segmentNulls = end == range.upperBound ? nulls : countNulls(words, segment)
            if isOptional {
                if let w = words, segmentNulls > 0 {
                    var l = levels
                    levels = []
                    for i in segment { l.append(isValid(w, i) ? 1 : 0) }
                    levels = l
                } else {
                    levels.append(contentsOf: repeatElement(1, count: segment.count))
                }
            }
            pageRows += segment.count
            pageNulls += segmentNulls
            statistics.addNulls(segmentNulls)
            return end
        }
    }

    /// Dictionary indices of `range`; with a hint of the column's length, through its codes
    /// (the online job's keys: one hash per distinct key and chunk instead of one per row).
    func appendDictionaryIndices(
        _ s: StringArray, _ range: Range<Int>, _ words: UnsafeBufferPointer<UInt64>?, _ dict: StringDictionary, hint: DictionaryHint?
    ) -> Int {
        s.offsets.withUnsafeBufferPointer { off in
            s.bytes.withUnsafeBytes { bytes in
                let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                guard let hint, hint.codes.count == s.count else {
                    return dict.appendIndices(offsets: off, bytes: base, range: range, validity: words,
                                              limit: options.maxDictionaryBytes, into: &indices)
                }
                return hint.codes.withUnsafeBufferPointer { codes in
                    dict.appendIndices(offsets: off, bytes: base, range: range, validity: words, limit: options.maxDictionaryBytes,
                                       codes: codes, codeCount: hint.codeCount, memo: &hintMemo, into: &indices)
                }
            }
        }
    }

    func addStringStatistics(_ s: StringArray, _ range: Range<Int>, _ words: UnsafeBufferPointer<UInt64>?) {
        s.offsets.withUnsafeBufferPointer { off in
            s.bytes.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else {
                    // Every string in the column is empty.
                    if countNulls(words, range) < range.count { statistics.add(string: UnsafeBufferPointer(start: nil, count: 0)) }
                    return
                }
                statistics.addStrings(offsets: off, bytes: base, range: range, validity: words)
            }
        }
    }

    /// Encodes, compresses and stores the open page.
    /// - Parameter wasDictionaryEncoded: the page's values are dictionary indices even though
    ///   the column just fell back to PLAIN.
    func flushPage(wasDictionaryEncoded: Bool = false) throws(ParquetError) {
        guard pageRows > 0 else { return }
        let plainValues = UnsafeRawBufferPointer(rebasing: values.bytes[Self.levelsGap...])
        let isDelta = options.integerEncoding == .deltaBinaryPacked && (physicalType == .int32 || physicalType == .int64)
        let isPlain = !(isDictionaryEncoding || wasDictionaryEncoded) && physicalType != .boolean && !isDelta
        if isOptional && pageNulls == 0 && isPlain {
            // All rows present: the levels (one constant run) go into the gap in front of the
            // values and the page is compressed in place, with the same bytes as the copy below.
            body.removeAll()
            body.append(littleEndian: UInt32(0))
            RleBitPackedEncoder.encodeConstant(1, count: pageRows, bitWidth: 1, into: body)
            body.setUInt32(UInt32(body.count - 4), at: 0)
            if body.count <= Self.levelsGap {
                let start = Self.levelsGap - body.count
                (values.base + start).copyMemory(from: body.base, byteCount: body.count)
                try chunk.addDataPage(taking: values, range: start..<values.count, numValues: pageRows, encoding: .plain, hasLevels: true)
                resetPage()
                return
            }
        }
        body.removeAll()
        if isOptional {
            let lengthAt = body.count
            body.append(littleEndian: UInt32(0))
            if pageNulls == 0 {
                RleBitPackedEncoder.encodeConstant(1, count: pageRows, bitWidth: 1, into: body)
            } else {
                levels.withUnsafeBufferPointer { RleBitPackedEncoder.encode($0, bitWidth: 1, into: body) }
            }
            body.setUInt32(UInt32(body.count - lengthAt - 4), at: lengthAt)
        }
        let encoding: Encoding
        let entries = dictionary?.count ?? runEntryCount
        if isDictionaryEncoding || wasDictionaryEncoded, entries > 0 {
            // (An empty dictionary means the page is all NULL: it is written PLAIN with no
            // values, since RLE_DICTIONARY pages need a dictionary page in front of them.)
            encoding = .rleDictionary
            let width = Swift.max(1, RleBitPackedEncoder.bitWidth(forMaxValue: UInt64(entries - 1)))
            body.append(UInt8(width))
            let start = body.count
            if indexValues.isEmpty {
                if indexMemo?.append(width: width, values: indices, counts: nil, into: body) != true {
                    indices.withUnsafeBufferPointer { RleBitPackedEncoder.encode($0, bitWidth: width, into: body) }
                    indexMemo?.store(width: width, values: indices, counts: nil, from: body, start: start)
                }
            } else if indexMemo?.append(width: width, values: indexValues, counts: indexCounts, into: body) != true {
                indexValues.withUnsafeBufferPointer { v in
                    indexCounts.withUnsafeBufferPointer { c in
                        RleBitPackedEncoder.encodeRuns(values: v, counts: c, bitWidth: width, scratch: &rleScratch, into: body)
                    }
                }
                indexMemo?.store(width: width, values: indexValues, counts: indexCounts, from: body, start: start)
            }
        } else if isDelta {
            // The open page holds the non-NULL values PLAIN (little-endian): re-encode them.
            encoding = .deltaBinaryPacked
            if physicalType == .int64 {
                DeltaBinaryPackedEncoder.encodeInt64(plainValues, count: pageRows - pageNulls, into: body)
            } else {
                DeltaBinaryPackedEncoder.encodeInt32(plainValues, count: pageRows - pageNulls, into: body)
            }
        } else if physicalType == .boolean {
            encoding = .plain
            booleans.withUnsafeBufferPointer { PlainEncoder.packBooleans($0, into: body) }
        } else {
            encoding = .plain
            if !isOptional {
                // No levels: the values are the whole body, compress them in place (no copy).
                try chunk.addDataPage(taking: values, range: Self.levelsGap..<values.count, numValues: pageRows, encoding: encoding, hasLevels: false)
                resetPage()
                return
            }
            body.append(plainValues)
        }
        try chunk.addDataPage(body: body.bytes, numValues: pageRows, encoding: encoding, hasLevels: isOptional)
        resetPage()
    }

    private func resetPage() {
        pageRows = 0
        pageNulls = 0
        levels.removeAll(keepingCapacity: true)
        values.count = Self.levelsGap
        indices.removeAll(keepingCapacity: true)
        indexValues.removeAll(keepingCapacity: true)
        indexCounts.removeAll(keepingCapacity: true)
        booleans.removeAll(keepingCapacity: true)
    }

    /// Closes the chunk: flushes the open page, submits the dictionary page, folds the chunk's
    /// statistics into the file's. Returns the chunk's statistics; after `chunk.waitForPages()`
    /// the chunk holds the pages until the file writer has written them and calls `reset()`.
    package func finishChunk() throws(ParquetError) -> StatisticsAccumulator {
        try flushPage()
        recordPartialSample()
        if let dict = dictionary, dict.count > 0 {
            try chunk.setDictionaryPage(body: dict.plain.bytes, entries: dict.count)
            for i in 0..<dict.count { dict.withEntry(i) { statistics.add(string: $0) } }
        } else if runEntryCount > 0 {
            // Statistics of run entries were added per run (`appendRuns`).
            try chunk.setDictionaryPage(body: runEntries.bytes, entries: runEntryCount)
        }
        fileStatistics.merge(statistics)
        return statistics
    }

    /// Starts the next chunk (row group).
    package func reset() {
        chunk.reset()
        if options.runEntryCompression != nil { chunk.setCompression(options.compression) }
        statistics = StatisticsAccumulator(type: field.type)
        runEntries.removeAll()
        runEntryCount = 0
        steppingGrid = SteppingGrid()
        isDictionaryEncoding = false
        startChunkEncoding()
    }
}

/// Number of clear bits of `words` in `range` (NULL rows).
@inline(__always)
func countNulls(_ words: UnsafeBufferPointer<UInt64>?, _ range: Range<Int>) -> Int {
    guard let w = words, !range.isEmpty else { return 0 }
    var present = 0
    var i = range.lowerBound
    // Leading partial word, whole words, trailing partial word.
    while i < range.upperBound && i & 63 != 0 { present += isValid(w, i) ? 1 : 0; i += 1 }
    while i + 64 <= range.upperBound { present += w[i >> 6].nonzeroBitCount; i += 64 }
    while i < range.upperBound { present += isValid(w, i) ? 1 : 0; i += 1 }
    return range.count - present
}

/// Calls `body` with the validity words as a buffer pointer, or nil when there is no bitmap.
@inline(__always)
func withOptionalWords<R>(_ words: [UInt64]?, _ body: (UnsafeBufferPointer<UInt64>?) -> R) -> R {
    guard let words else { return body(nil) }
    return words.withUnsafeBufferPointer { body($0) }
}
