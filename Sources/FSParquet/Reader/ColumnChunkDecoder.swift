import FSCore

/// The repetition and definition level of every entry of a chunk, kept for nested assembly.
struct LevelStreams: Sendable {
    var definition: [UInt8] = []
    var repetition: [UInt8] = []
}

/// Decodes the pages of one column chunk into a `ColumnAccumulator`.
///
/// ```
/// chunk bytes ─► page header ─► body ─► decompress (v1: whole body; v2: values only)
///                                        ├─ rep levels (v1: 4-byte prefix; v2: header length)
///                                        ├─ def levels (same)
///                                        └─ values: PLAIN | dictionary indices | DELTA_* | BSS | RLE
/// ```
/// Dense values are appended to the accumulator; flat reads then spread them over the rows by
/// the definition levels, nested reads keep the levels in `LevelStreams` instead. Scratch
/// buffers live here and are reused page after page.
struct ColumnChunkDecoder {
    let file: String
    let leaf: LeafColumn
    let conversion: ValueConversion
    let meta: ColumnMetaData
    /// nil for UNCOMPRESSED (bodies are used in place).
    private let decompressor: PageDecompressor?

    private var dictionary: ColumnAccumulator?
    private var definition: [UInt32] = []
    private var repetition: [UInt32] = []
    private var indices: [UInt32] = []
    private var spans: [ByteSpan] = []
    private var integers: [Int64] = []
    private var int32Scratch: [Int32] = []
    private var streamSplit: [UInt8] = []
    private var deltaBytes = DeltaByteArrayDecoder()
    /// Offset in the file of the page being decoded, for error messages.
    private var pageOffset = 0

    init(file: String, leaf: LeafColumn, meta: ColumnMetaData) throws(ParquetError) {
        self.file = file
        self.leaf = leaf
        self.meta = meta
        switch leaf.conversion {
        case .success(let c): conversion = c
        case .failure(let u): throw .unsupported(file: file, column: leaf.name, feature: u.feature)
        }
        guard meta.type == leaf.physicalType else {
            throw .corruptFile(file: file, reason: "column \(leaf.name): chunk type \(meta.type) differs from schema type \(leaf.physicalType)")
        }
        if meta.codec == .uncompressed {
            decompressor = nil
        } else if let d = Codecs.decompressor(for: meta.codec) {
            decompressor = d
        } else {
            throw .unsupported(file: file, column: leaf.name, feature: "compression codec \(meta.codec)")
        }
    }

    private func corrupt(_ reason: String, at offset: Int? = nil) -> ParquetError {
        .corruptPage(file: file, column: leaf.name, offset: offset ?? pageOffset, reason: reason)
    }

    private func corrupt(_ failure: DecodeFailure, in part: String) -> ParquetError {
        .corruptPage(file: file, column: leaf.name, offset: pageOffset, reason: "\(part): \(failure)")
    }

    /// Decodes every page of the chunk stored in `bytes[start ..< start + length]`, where
    /// `bytes[0]` is at file offset `bytesFileOffset`. Flat reads (`levels == nil`) append rows
    /// with NULLs spread; nested reads append dense values and fill `levels`.
    mutating func decode(
        _ bytes: [UInt8], start: Int, length: Int, bytesFileOffset: Int,
        into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?
    ) throws(ParquetError) {
        let pages = try scanPages(bytes, start: start, length: length, bytesFileOffset: bytesFileOffset)
        // Large compressed chunks decompress on a second thread, ahead of the decoder.
        var prefetcher: PagePrefetcher?
        if meta.codec != .uncompressed, length >= Self.prefetchThreshold, pages.count >= 3,
           let background = Codecs.decompressor(for: meta.codec) {
            prefetcher = PagePrefetcher(bytes: bytes, jobs: pages.map(\.decompressJob), decompressor: background)
        }
        let expected = Int(clamping: meta.numValues)
        var seen = 0
        for (i, page) in pages.enumerated() {
            pageOffset = page.headerStart + bytesFileOffset
            var prefetched: [UInt8]?
            switch prefetcher?.take(i) {
            case .success(let b)?: prefetched = b
            case .failure(let e)?: throw corrupt("\(meta.codec): \(e)")
            case nil: prefetched = nil
            }
            let header = page.header
            try bytes.withBytes { (all: UnsafeRawBufferPointer) throws(ParquetError) in
                let body = UnsafeRawBufferPointer(rebasing: all[page.body])
                switch header.type {
                case .dictionaryPage:
                    try decodeDictionaryPage(header, body: body, prefetched: prefetched)
                case .dataPage:
                    seen += try decodeDataPageV1(header, body: body, prefetched: prefetched, remaining: expected - seen, into: &output, levels: levels)
                case .dataPageV2:
                    seen += try decodeDataPageV2(header, body: body, prefetched: prefetched, remaining: expected - seen, into: &output, levels: levels)
                default:
                    break   // INDEX_PAGE and unknown page types are skipped by their size.
                }
            }
        }
        if seen != expected {
            throw corrupt("chunk holds \(seen) values, its metadata says \(expected)", at: start + length + bytesFileOffset)
        }
    }

    /// Chunks at least this large (compressed) decompress ahead on a second thread.
    static let prefetchThreshold = 1 << 20

    /// One page of a chunk: its header, where its body is, and what to decompress.
    struct PageRef {
        var header: PageHeader
        /// Index of the page header in the chunk's byte array (errors report its file offset).
        var headerStart: Int
        var body: Range<Int>
        /// The compressed part of the body and its uncompressed size; nil when stored plain.
        var decompressJob: PagePrefetcher.Job?
    }

    /// Reads the page headers of a chunk (not the bodies) up to the chunk's value count.
    private mutating func scanPages(_ bytes: [UInt8], start: Int, length: Int, bytesFileOffset: Int) throws(ParquetError) -> [PageRef] {
        let end = start + length
        guard start >= 0, length >= 0, end <= bytes.count else {
            throw corrupt("chunk range \(start + bytesFileOffset)+\(length) outside the file", at: start + bytesFileOffset)
        }
        let expected = Int(clamping: meta.numValues)
        guard expected >= 0 else { throw corrupt("negative value count \(meta.numValues)", at: start + bytesFileOffset) }
        var pages: [PageRef] = []
        var seen = 0
        var position = start
        while seen < expected {
            guard position < end else {
                throw corrupt("chunk ends after \(seen) of \(expected) values", at: position + bytesFileOffset)
            }
            pageOffset = position + bytesFileOffset
            let header: PageHeader
            let headerLength: Int
            do throws(ParquetError) {
                (header, headerLength) = try PageHeader.decode(bytes, offset: position, file: file)
            } catch {
                if case let .corruptMetadata(f, offset, reason) = error {
                    throw .corruptMetadata(file: f, offset: offset + bytesFileOffset, reason: "page header of column \(leaf.name): \(reason)")
                }
                throw error
            }
            let bodyStart = position + headerLength
            let bodyLength = Int(header.compressedPageSize)
            let size = Int(header.uncompressedPageSize)
            guard bodyLength >= 0, size >= 0, bodyLength <= end - bodyStart else {
                throw corrupt("page body of \(bodyLength) bytes overruns the chunk (\(end - bodyStart) left)")
            }
            let body = bodyStart ..< bodyStart + bodyLength
            var job: PagePrefetcher.Job?
            switch header.type {
            case .dictionaryPage:
                job = .init(range: body, uncompressedSize: size)
            case .dataPage:
                seen += Swift.max(Int(header.dataPageHeader?.numValues ?? 0), 0)
                job = .init(range: body, uncompressedSize: size)
            case .dataPageV2:
                if let v2 = header.dataPageHeaderV2 {
                    seen += Swift.max(Int(v2.numValues), 0)
                    let levels = Int(v2.repetitionLevelsByteLength) + Int(v2.definitionLevelsByteLength)
                    if v2.isCompressed ?? true, levels >= 0, levels <= bodyLength, levels <= size {
                        job = .init(range: bodyStart + levels ..< body.upperBound, uncompressedSize: size - levels)
                    }
                }
            default:
                break
            }
            pages.append(PageRef(header: header, headerStart: position, body: body, decompressJob: meta.codec == .uncompressed ? nil : job))
            position = body.upperBound
        }
        return pages
    }

    // MARK: Pages

    /// The uncompressed bytes of `body`, or nil when it is stored uncompressed (used in place).
    private func decompress(_ body: UnsafeRawBufferPointer, size: Int, compressed: Bool = true, prefetched: [UInt8]?) throws(ParquetError) -> [UInt8]? {
        if let prefetched, compressed, decompressor != nil { return prefetched }
        guard let decompressor, compressed else {
            guard body.count == size else { throw corrupt("uncompressed body holds \(body.count) bytes, header says \(size)") }
            return nil
        }
        do {
            return try decompressor.decompress(body, uncompressedSize: size)
        } catch {
            throw corrupt("\(meta.codec): \(error)")
        }
    }

    /// Calls `use` with the decompressed bytes when there are some, else with `body`.
    @inline(__always)
    private static func withPage<R>(
        _ owned: [UInt8]?, _ body: UnsafeRawBufferPointer, _ use: (UnsafeRawBufferPointer) throws(ParquetError) -> R
    ) throws(ParquetError) -> R {
        guard let owned else { return try use(body) }
        return try owned.withBytes(use)
    }

    private mutating func decodeDictionaryPage(_ header: PageHeader, body: UnsafeRawBufferPointer, prefetched: [UInt8]?) throws(ParquetError) {
        guard let dh = header.dictionaryPageHeader else { throw corrupt("dictionary page without its header") }
        guard dh.encoding == .plain || dh.encoding == .plainDictionary else {
            throw .unsupported(file: file, column: leaf.name, feature: "dictionary page encoding \(dh.encoding)")
        }
        let count = Int(dh.numValues)
        guard count >= 0 else { throw corrupt("dictionary of \(count) entries") }
        var dict = ColumnAccumulator(type: conversion.dataType)
        let page = try decompress(body, size: Int(header.uncompressedPageSize), prefetched: prefetched)
        try Self.withPage(page, body) { (data: UnsafeRawBufferPointer) throws(ParquetError) in
            do throws(DecodeFailure) {
                _ = try appendPlain(data, count: count, into: &dict)
            } catch {
                throw corrupt(error, in: "dictionary page")
            }
        }
        dictionary = dict
    }

    /// Data page v1: the whole body is compressed; levels carry a 4-byte length prefix.
    private mutating func decodeDataPageV1(
        _ header: PageHeader, body: UnsafeRawBufferPointer, prefetched: [UInt8]?, remaining: Int,
        into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?
    ) throws(ParquetError) -> Int {
        guard let dh = header.dataPageHeader else { throw corrupt("data page without its header") }
        let n = Int(dh.numValues)
        guard n >= 0, n <= remaining else { throw corrupt("page holds \(n) values, the chunk has \(remaining) left") }
        let page = try decompress(body, size: Int(header.uncompressedPageSize), prefetched: prefetched)
        return try Self.withPage(page, body) { (data: UnsafeRawBufferPointer) throws(ParquetError) -> Int in
            var position = 0
            if leaf.maxRepetitionLevel > 0 {
                position += try decodeLevels(data, from: position, count: n, max: leaf.maxRepetitionLevel, encoding: dh.repetitionLevelEncoding, prefixed: true, into: &repetition, what: "repetition levels")
            }
            if leaf.maxDefinitionLevel > 0 {
                position += try decodeLevels(data, from: position, count: n, max: leaf.maxDefinitionLevel, encoding: dh.definitionLevelEncoding, prefixed: true, into: &definition, what: "definition levels")
            }
            let values = UnsafeRawBufferPointer(rebasing: data[position...])
            try finishPage(values: values, encoding: dh.encoding, entries: n, into: &output, levels: levels)
            return n
        }
    }

    /// Data page v2: levels first, uncompressed and unprefixed; only the values are compressed.
    private mutating func decodeDataPageV2(
        _ header: PageHeader, body: UnsafeRawBufferPointer, prefetched: [UInt8]?, remaining: Int,
        into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?
    ) throws(ParquetError) -> Int {
        guard let dh = header.dataPageHeaderV2 else { throw corrupt("data page v2 without its header") }
        let n = Int(dh.numValues)
        let repLength = Int(dh.repetitionLevelsByteLength), defLength = Int(dh.definitionLevelsByteLength)
        guard n >= 0, n <= remaining else { throw corrupt("page holds \(n) values, the chunk has \(remaining) left") }
        guard repLength >= 0, defLength >= 0, repLength + defLength <= body.count,
              repLength + defLength <= Int(header.uncompressedPageSize)
        else { throw corrupt("level lengths \(repLength)+\(defLength) exceed the page body") }
        if leaf.maxRepetitionLevel > 0 {
            let bytes = UnsafeRawBufferPointer(rebasing: body[0 ..< repLength])
            _ = try decodeLevels(bytes, from: 0, count: n, max: leaf.maxRepetitionLevel, encoding: .rle, prefixed: false, into: &repetition, what: "repetition levels")
        }
        if leaf.maxDefinitionLevel > 0 {
            let bytes = UnsafeRawBufferPointer(rebasing: body[repLength ..< repLength + defLength])
            _ = try decodeLevels(bytes, from: 0, count: n, max: leaf.maxDefinitionLevel, encoding: .rle, prefixed: false, into: &definition, what: "definition levels")
        }
        let valuesBody = UnsafeRawBufferPointer(rebasing: body[(repLength + defLength)...])
        let valuesSize = Int(header.uncompressedPageSize) - repLength - defLength
        guard valuesSize >= 0 else { throw corrupt("level lengths exceed the uncompressed page size") }
        let page = try decompress(valuesBody, size: valuesSize, compressed: dh.isCompressed ?? true, prefetched: prefetched)
        try Self.withPage(page, valuesBody) { (values: UnsafeRawBufferPointer) throws(ParquetError) in
            try finishPage(values: values, encoding: dh.encoding, entries: n, into: &output, levels: levels)
        }
        return n
    }

    /// Decodes `count` levels (each at most `max`) into `out`; returns the bytes consumed.
    private func decodeLevels(
        _ data: UnsafeRawBufferPointer, from position: Int, count: Int, max: Int, encoding: Encoding,
        prefixed: Bool, into out: inout [UInt32], what: String
    ) throws(ParquetError) -> Int {
        guard encoding == .rle else {
            throw .unsupported(file: file, column: leaf.name, feature: "\(what) encoded as \(encoding)")
        }
        if out.count < count { out = [UInt32](repeating: 0, count: count) }
        let input = UnsafeRawBufferPointer(rebasing: data[position...])
        let width = RLEHybridDecoder.bitWidth(forMaxValue: max)
        var consumed = 0
        var failure: DecodeFailure?
        out.withUnsafeMutableBufferPointer { buffer in
            guard let p = buffer.baseAddress else { return }
            do throws(DecodeFailure) {
                consumed = prefixed
                    ? try RLEHybridDecoder.decodeLengthPrefixed(input, bitWidth: width, count: count, into: p)
                    : try RLEHybridDecoder.decode(input, bitWidth: width, count: count, into: p)
                for i in 0 ..< count where p[i] > UInt32(max) {
                    throw DecodeFailure("level \(p[i]) above the maximum \(max)", at: 0)
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw corrupt(failure, in: what) }
        return consumed
    }

    /// Decodes the values of a page whose levels are in `definition`/`repetition`, then spreads
    /// NULLs (flat) or records the levels (nested).
    private mutating func finishPage(
        values: UnsafeRawBufferPointer, encoding: Encoding, entries n: Int,
        into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?
    ) throws(ParquetError) {
        let maxDef = UInt32(leaf.maxDefinitionLevel)
        var present = n
        if maxDef > 0 {
            present = 0
            definition.withUnsafeBufferPointer { d in for i in 0 ..< n where d[i] == maxDef { present += 1 } }
        }
        do throws(DecodeFailure) {
            try decodeValues(values, encoding: encoding, count: present, into: &output)
        } catch {
            throw corrupt(error, in: "\(encoding) values")
        }
        if let levels {
            if maxDef > 0 {
                levels.pointee.definition.append(contentsOf: definition[0 ..< n].lazy.map { UInt8(truncatingIfNeeded: $0) })
            } else {
                levels.pointee.definition.append(contentsOf: repeatElement(0, count: n))
            }
            if leaf.maxRepetitionLevel > 0 {
                levels.pointee.repetition.append(contentsOf: repetition[0 ..< n].lazy.map { UInt8(truncatingIfNeeded: $0) })
            } else {
                levels.pointee.repetition.append(contentsOf: repeatElement(0, count: n))
            }
        } else if present < n {
            definition.withUnsafeBufferPointer { d in
                output.spreadNulls(denseCount: present, levels: UnsafeBufferPointer(rebasing: d[0 ..< n]), maxLevel: maxDef)
            }
        }
    }

    // MARK: Values

    /// Appends `count` dense values of `encoding` from `values` to `output`.
    private mutating func decodeValues(
        _ values: UnsafeRawBufferPointer, encoding: Encoding, count: Int, into output: inout ColumnAccumulator
    ) throws(DecodeFailure) {
        switch encoding {
        case .plain:
            _ = try appendPlain(values, count: count, into: &output)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else { throw DecodeFailure("dictionary-encoded page before any dictionary page", at: 0) }
            if indices.count < count { indices = [UInt32](repeating: 0, count: count) }
            let dictCount = dictionary.count
            var failure: DecodeFailure?
            indices.withUnsafeMutableBufferPointer { buffer in
                guard let p = buffer.baseAddress else { return }
                do throws(DecodeFailure) {
                    _ = try DictionaryDecoder.decodeIndices(values, count: count, dictionaryCount: dictCount, into: p)
                    output.appendFromDictionary(dictionary, indices: p, count: count)
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        case .rle:
            guard conversion == .boolean else { throw DecodeFailure("RLE values for a non-boolean column", at: 0) }
            if indices.count < count { indices = [UInt32](repeating: 0, count: count) }
            try indices.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<UInt32>) throws(DecodeFailure) in
                guard let p = buffer.baseAddress else { return }
                _ = try RLEHybridDecoder.decodeLengthPrefixed(values, bitWidth: 1, count: count, into: p)
                try ColumnAccumulator.append(to: &output.booleans, count: count, zero: false) { (out: UnsafeMutablePointer<Bool>) throws(DecodeFailure) in
                    for i in 0 ..< count { out[i] = p[i] != 0 }
                }
            }
        case .deltaBinaryPacked:
            let (n, _) = try DeltaBinaryPackedDecoder.decode(values, maxCount: count, into: &integers)
            guard n == count else { throw DecodeFailure("DELTA_BINARY_PACKED holds \(n) values, page needs \(count)", at: 0) }
            try integers.withUnsafeBufferPointer { (p: UnsafeBufferPointer<Int64>) throws(DecodeFailure) in
                try appendIntegers(p.baseAddress, count: count, into: &output)
            }
        case .deltaLengthByteArray, .deltaByteArray:
            guard leaf.physicalType == .byteArray else { throw DecodeFailure("\(encoding) for a \(leaf.physicalType) column", at: 0) }
            if spans.count < Swift.max(count, 1) { spans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: Swift.max(count, 1)) }
            var local = spans
            spans = []
            defer { spans = local }
            try local.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<ByteSpan>) throws(DecodeFailure) in
                let p = buffer.baseAddress!
                if encoding == .deltaLengthByteArray {
                    let (_, total) = try deltaBytes.decodeDeltaLength(values, count: count, into: p)
                    try appendByteValues(source: values.baseAddress, spans: p, count: count, totalBytes: total, into: &output)
                } else {
                    let (_, total) = try deltaBytes.decodeDeltaByteArray(values, count: count, into: p)
                    let rebuilt = deltaBytes.rebuilt
                    try rebuilt.withBytes { (r: UnsafeRawBufferPointer) throws(DecodeFailure) in
                        try appendByteValues(source: r.baseAddress, spans: p, count: count, totalBytes: total, into: &output)
                    }
                }
            }
        case .byteStreamSplit:
            let width: Int
            switch leaf.physicalType {
            case .float, .int32: width = 4
            case .double, .int64: width = 8
            case .fixedLenByteArray: width = leaf.typeLength
            default: throw DecodeFailure("BYTE_STREAM_SPLIT for a \(leaf.physicalType) column", at: 0)
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, bytes <= values.count else { throw DecodeFailure("BYTE_STREAM_SPLIT: \(count) values of \(width) bytes exceed \(values.count)", at: 0) }
            if streamSplit.count < Swift.max(bytes, 1) { streamSplit = [UInt8](repeating: 0, count: Swift.max(bytes, 1)) }
            var local = streamSplit
            streamSplit = []
            defer { streamSplit = local }
            try local.withMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws(DecodeFailure) in
                _ = try ByteStreamSplitDecoder.decode(values, count: count, width: width, into: buffer.baseAddress!)
                _ = try appendPlain(UnsafeRawBufferPointer(rebasing: buffer[0 ..< bytes]), count: count, into: &output)
            }
        default:
            throw DecodeFailure("encoding \(encoding) is not supported", at: 0)
        }
    }

    /// Appends `count` PLAIN values of the leaf's physical type, converted; returns bytes consumed.
    private mutating func appendPlain(
        _ input: UnsafeRawBufferPointer, count: Int, into output: inout ColumnAccumulator
    ) throws(DecodeFailure) -> Int {
        // Every PLAIN value takes at least one bit: a larger count is corrupt, and checking it
        // first keeps a hostile count from sizing any buffer.
        guard count >= 0, count / 8 <= input.count else {
            throw DecodeFailure("\(count) values cannot fit in \(input.count) bytes", at: 0)
        }
        var consumed = 0
        switch conversion {
        case .boolean:
            try ColumnAccumulator.append(to: &output.booleans, count: count, zero: false) { (p: UnsafeMutablePointer<Bool>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeBooleans(input, count: count, into: p)
            }
        case .int32:
            try ColumnAccumulator.append(to: &output.int32s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int32>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: p)
            }
        case .int64, .timestampMillis, .timestampNanos:
            let start = output.int64s.count
            try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: p)
            }
            if conversion != .int64 { Self.convertTimestamps(&output.int64s, from: start, conversion: conversion) }
        case .int96:
            try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeInt96Timestamps(input, count: count, into: p)
            }
        case .float:
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFloats(input, count: count, into: p)
            }
        case .double:
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: p)
            }
        case .uint32ToInt64, .decimalInt32:
            if int32Scratch.count < Swift.max(count, 1) { int32Scratch = [Int32](repeating: 0, count: Swift.max(count, 1)) }
            var local = int32Scratch
            int32Scratch = []
            defer { int32Scratch = local }
            try local.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Int32>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: b.baseAddress!)
                if case .decimalInt32(let scale) = conversion {
                    let divisor = Self.powerOfTen(scale)
                    try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                        for i in 0 ..< count { p[i] = Double(b[i]) / divisor }
                    }
                } else {
                    try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                        for i in 0 ..< count { p[i] = Int64(UInt32(bitPattern: b[i])) }
                    }
                }
            }
        case .decimalInt64(let scale):
            if integers.count < Swift.max(count, 1) { integers = [Int64](repeating: 0, count: Swift.max(count, 1)) }
            var local = integers
            integers = []
            defer { integers = local }
            let divisor = Self.powerOfTen(scale)
            try local.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Int64>) throws(DecodeFailure) in
                consumed = try PlainDecoder.decodeFixed(input, count: count, into: b.baseAddress!)
                try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                    for i in 0 ..< count { p[i] = Double(b[i]) / divisor }
                }
            }
        case .bytes, .uuid, .decimalBytes:
            if spans.count < Swift.max(count, 1) { spans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: Swift.max(count, 1)) }
            var local = spans
            spans = []
            defer { spans = local }
            try local.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<ByteSpan>) throws(DecodeFailure) in
                let p = b.baseAddress!
                let total: Int
                if leaf.physicalType == .fixedLenByteArray {
                    consumed = try PlainDecoder.decodeFixedLenByteArrays(input, count: count, width: leaf.typeLength, into: p)
                    total = count * leaf.typeLength
                } else {
                    (consumed, total) = try PlainDecoder.decodeByteArrays(input, count: count, into: p)
                }
                try appendByteValues(source: input.baseAddress, spans: p, count: count, totalBytes: total, into: &output)
            }
        }
        return consumed
    }

    /// Appends BYTE_ARRAY-like values given as spans into `source`, converted.
    private func appendByteValues(
        source: UnsafeRawPointer?, spans: UnsafePointer<ByteSpan>, count: Int, totalBytes: Int,
        into output: inout ColumnAccumulator
    ) throws(DecodeFailure) {
        switch conversion {
        case .bytes:
            if let source {
                output.appendStrings(source: source, spans: spans, count: count, totalBytes: totalBytes)
            } else {
                output.offsets.append(contentsOf: repeatElement(output.bytes.count, count: count))
            }
        case .uuid:
            for i in 0 ..< count {
                guard let source, spans[i].count == 16 else { throw DecodeFailure("UUID value of \(spans[i].count) bytes", at: 0) }
                output.appendUUID(UnsafeRawBufferPointer(start: source + Int(spans[i].start), count: 16))
            }
        case .decimalBytes(let scale):
            let divisor = Self.powerOfTen(scale)
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                for i in 0 ..< count {
                    let s = spans[i]
                    guard let source, s.count <= 16 else { throw DecodeFailure("DECIMAL of \(s.count) bytes (at most 16 supported)", at: 0) }
                    p[i] = Self.bigEndianTwosComplement(UnsafeRawBufferPointer(start: source + Int(s.start), count: Int(s.count))) / divisor
                }
            }
        default:
            throw DecodeFailure("byte array values for a \(leaf.physicalType) column", at: 0)
        }
    }

    /// Appends integers decoded as Int64 (DELTA_BINARY_PACKED), converted to the column's type.
    private func appendIntegers(_ values: UnsafePointer<Int64>?, count: Int, into output: inout ColumnAccumulator) throws(DecodeFailure) {
        guard count > 0, let values else { return }
        switch conversion {
        case .int32:
            try ColumnAccumulator.append(to: &output.int32s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int32>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Int32(truncatingIfNeeded: values[i]) }
            }
        case .uint32ToInt64:
            try ColumnAccumulator.append(to: &output.int64s, count: count, zero: 0) { (p: UnsafeMutablePointer<Int64>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Int64(UInt32(truncatingIfNeeded: values[i])) }
            }
        case .int64, .timestampMillis, .timestampNanos:
            let start = output.int64s.count
            output.int64s.append(contentsOf: UnsafeBufferPointer(start: values, count: count))
            if conversion != .int64 { Self.convertTimestamps(&output.int64s, from: start, conversion: conversion) }
        case .decimalInt32(let scale):
            let divisor = Self.powerOfTen(scale)
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Double(Int32(truncatingIfNeeded: values[i])) / divisor }
            }
        case .decimalInt64(let scale):
            let divisor = Self.powerOfTen(scale)
            try ColumnAccumulator.append(to: &output.doubles, count: count, zero: 0) { (p: UnsafeMutablePointer<Double>) throws(DecodeFailure) in
                for i in 0 ..< count { p[i] = Double(values[i]) / divisor }
            }
        default:
            throw DecodeFailure("DELTA_BINARY_PACKED for a \(leaf.physicalType) column", at: 0)
        }
    }

    // MARK: Conversions

    /// TIMESTAMP(MILLIS) → µs (wrapping) and TIMESTAMP(NANOS) → µs (floored), in place.
    static func convertTimestamps(_ values: inout [Int64], from start: Int, conversion: ValueConversion) {
        values.withUnsafeMutableBufferPointer { b in
            if conversion == .timestampMillis {
                for i in start ..< b.count { b[i] = b[i] &* 1000 }
            } else {
                for i in start ..< b.count {
                    let v = b[i]
                    b[i] = v >= 0 ? v / 1000 : (v + 1) / 1000 - 1
                }
            }
        }
    }

    /// 10^scale as a double (scale clamped to the range doubles can hold).
    static func powerOfTen(_ scale: Int32) -> Double {
        var result = 1.0
        let s = Swift.min(Swift.max(Int(scale), -308), 308)
        if s >= 0 { for _ in 0 ..< s { result *= 10 } } else { for _ in 0 ..< -s { result /= 10 } }
        return result
    }

    /// A big-endian two's complement integer of up to 16 bytes as a double: the magnitude is
    /// converted (not hi·2^64 + lo of the signed halves, which cancels catastrophically).
    static func bigEndianTwosComplement(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard let first = bytes.first else { return 0 }
        let negative = first & 0x80 != 0
        var high: UInt64 = negative ? ~0 : 0
        var low: UInt64 = negative ? ~0 : 0
        for b in bytes {
            high = (high << 8) | (low >> 56)
            low = (low << 8) | UInt64(b)
        }
        if negative {
            // Two's complement negation of the 128-bit value.
            high = ~high
            low = ~low
            let (sum, carry) = low.addingReportingOverflow(1)
            low = sum
            if carry { high &+= 1 }
        }
        let magnitude = high == 0 ? Double(low) : Double(high) * 18_446_744_073_709_551_616.0 + Double(low)
        return negative ? -magnitude : magnitude
    }
}

extension ColumnAccumulator {
    /// Appends a 16-byte UUID as its canonical text `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    mutating func appendUUID(_ raw: UnsafeRawBufferPointer) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for (i, b) in raw.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(hex[Int(b >> 4)])
            bytes.append(hex[Int(b & 15)])
        }
        offsets.append(bytes.count)
    }
}
