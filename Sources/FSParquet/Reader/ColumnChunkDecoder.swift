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
    let decompressor: PageDecompressor?

    var dictionary: ColumnAccumulator?
    /// Where `dictionary`'s codes start in the output's `codes` (set at its first use).
    var dictionaryCodeBase: Int?
    var definition: [UInt32] = []
    var repetition: [UInt32] = []
    var indices: [UInt32] = []
    var spans: [ByteSpan] = []
    var integers: [Int64] = []
    var int32Scratch: [Int32] = []
    var streamSplit: [UInt8] = []
    var deltaBytes = DeltaByteArrayDecoder()
    /// Offset in the file of the page being decoded, for error messages.
    var pageOffset = 0

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

    func corrupt(_ reason: String, at offset: Int? = nil) -> ParquetError {
        .corruptPage(file: file, column: leaf.name, offset: offset ?? pageOffset, reason: reason)
    }

    func corrupt(_ failure: DecodeFailure, in part: String) -> ParquetError {
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
    mutating func scanPages(_ bytes: [UInt8], start: Int, length: Int, bytesFileOffset: Int) throws(ParquetError) -> [PageRef] {
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
}
