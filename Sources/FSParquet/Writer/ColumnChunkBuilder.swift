import Dispatch
import Synchronization

/// Collects the compressed pages of one column chunk in memory and produces its
/// `ColumnMetaData` once the chunk's position in the file is known.
///
/// ```
/// chunk on disk:  [dictionary page header + body]?  [data page header + body]+
///                  ^ dictionary_page_offset          ^ data_page_offset
/// ```
/// Offsets are only known when the row group is written, which is why pages are buffered
/// (table-format.md §1.11). The dictionary page is produced last (the dictionary grows while the
/// data pages are encoded) but written first. Sizes count header plus body, before and after
/// compression. One builder is reused for every row group of a column.
///
/// With a `PageCompressionPool`, each page is compressed on its column's lane or, in a pool that
/// balances its lanes, on the least busy one (serial queues), with that lane's compressor and
/// scratch, and appended in submission order under the `delivery` lock (a page done before the
/// ones ahead of it waits there as a copy): every mutation of the builder's page state happens
/// under that lock, and the owner reads it only
/// after `waitForPages()` (the dispatch group orders the two), which is why the class can be
/// `@unchecked Sendable`.
package final class ColumnChunkBuilder: @unchecked Sendable {
    /// The codec written into the chunk's metadata.
    package private(set) var codec: CompressionCodec
    private var compression: ParquetCompression
    /// Compressor and scratch of a builder without a pool (with one, the lane's are used).
    private var ownCompressor: PageCompressor?
    private var scratch: [UInt8] = []
    /// Data pages (header + compressed body), in order.
    package let dataPages = ByteSink(capacity: FlatColumnWriter.initialPageBytes)
    /// The dictionary page (header + compressed body), if any.
    package private(set) var dictionaryPage: [UInt8]?
    private var encodings = Set<Int32>()
    private var pageCounts: [PageEncodingKey: Int32] = [:]
    package private(set) var totalUncompressed: Int64 = 0
    package private(set) var totalCompressed: Int64 = 0
    /// Level entries (rows, for flat columns) in the chunk.
    package private(set) var numValues: Int64 = 0
    /// Uncompressed body bytes of the pages submitted so far (row group sizing; owner's thread).
    package private(set) var submittedBodyBytes: Int64 = 0
    /// Memory of the compressed pages as of the last `waitForPages` (the owner may read the
    /// pages only then), and `submittedBodyBytes` at that moment.
    private var settledBytes: Int64 = 0
    private var settledSubmittedBytes: Int64 = 0
    private let worker: (lane: PageCompressionPool.Lane, pool: PageCompressionPool)?
    private let pending = DispatchGroup()
    /// Pages queued since the last `reset` (owner's thread): the next one's sequence number.
    private var queuedPages = 0
    /// The order in which lanes append the compressed pages, and the first failure.
    private let delivery = Mutex(Delivery())

    /// Pages compressed on lanes are appended in the order they were queued: a page compressed
    /// before those ahead of it is parked (its compressed bytes copied out of the lane's scratch)
    /// until they are in. Why several lanes per column: fs-ingest's `items` column is ~75% of its
    /// ZSTD input (813 of 1,100 MB per 1M events), and with one lane per column (column i on lane
    /// i mod 2) its pages queued behind each other on one lane while the other had little to do;
    /// the writer and the committer wait for those pages (compression slots, `waitForPages`).
    private struct Delivery {
        var next = 0
        var parked: [Int: @Sendable () -> Void] = [:]
        /// The first compression failure of a background page, reported by `waitForPages`.
        var failure: ParquetError?
    }

    private struct PageEncodingKey: Hashable { var type: Int32; var encoding: Int32 }

    /// For error messages.
    let file: String, column: String

    /// - Parameter worker: compress pages on this lane (nil: on the caller's thread).
    /// Where the ratios of this column's pages are recorded while its verdict is open.
    private let verdicts: CompressionVerdicts?

    package init(compression: ParquetCompression, file: String, column: String,
                 worker: (lane: PageCompressionPool.Lane, pool: PageCompressionPool)? = nil, verdicts: CompressionVerdicts? = nil) {
        self.verdicts = verdicts
        self.compression = compression
        codec = Self.codec(of: compression)
        self.file = file
        self.column = column
        self.worker = worker
    }

    private static func codec(of compression: ParquetCompression) -> CompressionCodec {
        switch compression {
        case .uncompressed: return .uncompressed
        case .zstd, .zstdCodedLiterals: return .zstd
        }
    }

    /// Sets the codec of the chunk's pages; only before its first page (the codec is per
    /// column chunk: each row group's chunk may have its own).
    package func setCompression(_ compression: ParquetCompression) {
        precondition(submittedBodyBytes == 0 && dictionaryPage == nil, "codec of column \(column) changed after its chunk's first page")
        guard compression != self.compression else { return }
        self.compression = compression
        codec = Self.codec(of: compression)
        ownCompressor = nil
    }

    /// Whether pages are stored as they come (no codec work, so nothing to hand to a lane).
    private var isStoredAsIs: Bool { compression == .uncompressed }

    /// Runs `job` on the column's queue with its own copy of `body`, or right away: without a
    /// pool, when the chunk is uncompressed, or for a page under `minQueuedBytes`. An
    /// uncompressed page handed to a lane cost a copy into a pool buffer, a copy into the lane's
    /// scratch, a semaphore and a thread wake-up for one `memcpy` into the chunk (fs-agg-online writes ~8 of its 9 columns uncompressed: ~12k
    /// such hand-offs per 1M events). The codec is fixed for a chunk (`setCompression` only
    /// before its first page), so a chunk's pages are all inline or all on lanes, in order.
    private func submit(_ body: UnsafeRawBufferPointer, _ job: @escaping @Sendable (UnsafeRawBufferPointer, PageCompressionPool.Lane?) throws(ParquetError) -> Void) throws(ParquetError) {
        submittedBodyBytes += Int64(body.count)
        guard let (lane, pool) = worker, !isStoredAsIs else { return try job(body, nil) }
        if body.count < Self.minQueuedBytes {
            // Compressed here, with a lane state borrowed from the pool, and appended in
            // sequence order like a lane's page (parked if pages ahead of it are still out).
            return try pool.withInlineLane { (lane: PageCompressionPool.Lane) throws(ParquetError) in try job(body, lane) }
        }
        let copy = pool.copy(body)
        enqueue(home: lane, of: pool, bytes: body.count, release: { pool.recycle(copy) }) { (on: PageCompressionPool.Lane) throws(ParquetError) in
            // `withUnsafeBytes` rethrows untyped: the typed error is carried out by hand.
            var thrown: ParquetError?
            copy.withUnsafeBytes { b in
                do throws(ParquetError) { try job(b, on) } catch { thrown = error }
            }
            if let thrown { throw thrown }
        }
    }

    /// Runs `job` (`bytes` of page body) on `pool.leastBusyLane(preferring: home)` once one of
    /// its slots is free; then `release` (the page body's buffer goes back to the pool) and the
    /// slot. The job appends its page through `deliver` with the sequence number it gets here. A
    /// failure is kept for `waitForPages`, and after one the later jobs of the chunk are skipped.
    private func enqueue(home: PageCompressionPool.Lane, of pool: PageCompressionPool, bytes: Int, release: @escaping @Sendable () -> Void,
                         _ job: @escaping @Sendable (PageCompressionPool.Lane) throws(ParquetError) -> Void) {
        pool.slots.wait()
        pending.enter()
        let lane = pool.leastBusyLane(preferring: home)
        lane.queuedBytes.wrappingAdd(bytes, ordering: .relaxed)
        lane.queue.async { [self] in
            defer {
                lane.queuedBytes.wrappingSubtract(bytes, ordering: .relaxed)
                release()
                pool.slots.signal()
                pending.leave()
            }
            guard delivery.withLock({ $0.failure == nil }) else { return }
            do throws(ParquetError) { try job(lane) } catch { delivery.withLock { if $0.failure == nil { $0.failure = error } } }
        }
    }

    /// Appends the page of sequence number `sequence`, whose `n` compressed bytes are in `lane`'s
    /// scratch, with `append` — now if every page queued before it is in, else once they are
    /// (parked as a copy). Call on `lane`'s queue.
    private func deliver(_ sequence: Int, compressed n: Int, on lane: PageCompressionPool.Lane,
                         _ append: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        delivery.withLock { d in
            guard sequence == d.next else {
                let copy = Array(lane.scratch[0..<n])
                d.parked[sequence] = { copy.withUnsafeBytes { append($0) } }
                return
            }
            lane.scratch.withUnsafeBytes { append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            d.next += 1
            while let page = d.parked.removeValue(forKey: d.next) {
                page()
                d.next += 1
            }
        }
    }

    /// Blocks until every submitted page is compressed; rethrows a background failure.
    package func waitForPages() throws(ParquetError) {
        pending.wait()
        settledBytes = Int64(dataPages.capacity + (dictionaryPage?.capacity ?? 0))
        settledSubmittedBytes = submittedBodyBytes
        if let failure = delivery.withLock({ $0.failure }) { throw failure }
    }

    /// An upper bound of the memory the chunk's pages hold, known on the owner's thread without
    /// waiting: the pages' buffers at the last `waitForPages`, plus the uncompressed size of
    /// every page submitted since (compression only shrinks a page).
    package var heldBytesBound: Int64 { settledBytes + submittedBodyBytes - settledSubmittedBytes }

    package var isEmpty: Bool { numValues == 0 && dictionaryPage == nil }

    /// Compresses `body` and appends a v1 data page of `numValues` level entries.
    /// `hasLevels` adds RLE to the chunk's encodings (OPTIONAL or nested columns).
    package func addDataPage(body: UnsafeRawBufferPointer, numValues: Int, encoding: Encoding, hasLevels: Bool) throws(ParquetError) {
        let sequence = nextSequence()
        try submit(body) { (b: UnsafeRawBufferPointer, lane: PageCompressionPool.Lane?) throws(ParquetError) in
            try self.appendDataPage(body: b, numValues: numValues, encoding: encoding, hasLevels: hasLevels, sequence: sequence, lane: lane)
        }
    }

    /// The sequence number of the next page queued on a lane (owner's thread).
    private func nextSequence() -> Int {
        defer { queuedPages += 1 }
        return queuedPages
    }

    /// `addDataPage` of the body `range` of `sink`, whose memory (with its contents) goes to the
    /// compression task when the page is queued; `sink` is left empty with a buffer of at least
    /// the same capacity. Without a pool, or for a page under `minQueuedBytes`, the body is
    /// compressed or copied as by `addDataPage` and `sink` keeps its bytes.
    ///
    /// Why: a queued page's body was copied for its task, ~1 GB per 1M fs-ingest events (the
    /// `items` pages), on the writer thread.
    package func addDataPage(taking sink: ByteSink, range: Range<Int>, numValues: Int, encoding: Encoding, hasLevels: Bool) throws(ParquetError) {
        // A stored-as-is chunk's pages are all appended inline (`submit`): one taken page on a
        // lane among inline ones would land after them, out of order.
        guard let (lane, pool) = worker, !isStoredAsIs, range.count >= Self.minQueuedBytes else {
            return try addDataPage(body: UnsafeRawBufferPointer(rebasing: sink.bytes[range]), numValues: numValues, encoding: encoding, hasLevels: hasLevels)
        }
        submittedBodyBytes += Int64(range.count)
        let taken = pool.take(sink)
        let sequence = nextSequence()
        enqueue(home: lane, of: pool, bytes: range.count, release: { pool.recycle(taken) }) { [self] (on: PageCompressionPool.Lane) throws(ParquetError) in
            try appendDataPage(body: UnsafeRawBufferPointer(rebasing: taken.sink.bytes[range]), numValues: numValues, encoding: encoding, hasLevels: hasLevels,
                               sequence: sequence, lane: on)
        }
    }

    /// Pages of at least this size go to a lane of the pool; smaller ones are compressed on the
    /// caller's thread (with a lane state the pool lends it), and under `addDataPage(taking:…)`
    /// only pages this large have their buffer taken (swapping in a spare for a small column
    /// would cost a page-sized buffer each).
    ///
    /// Why: a queued page costs a copy, a compression slot, a dispatch to a lane and a wake-up
    /// of its thread, then the lane's delivery and the slot's signal — more than ZSTD takes for
    /// a few KiB. fs-ingest's day files are ~28 columns of a few thousand rows, so most of its
    /// pages are that small: the futex and wake-up paths (malloc's lock, semaphores,
    /// rescheduling IPIs) were ~8% of its CPU at 1M events. Compressing them inline: 5.29 s
    /// against 6.18 s (medians of 6 alternating pairs; CPU 9.1 against 10.5 s) and 5.56 against
    /// 5.98 s in 4 more pairs; the 813 MB of `items` pages (up to 1 MiB each) still go to lanes.
    static let minQueuedBytes = 64 << 10

    /// Compresses `body` (on `lane`, or inline when nil) and appends it as a data page: at once
    /// inline, in `sequence` order from a lane.
    private func appendDataPage(body: UnsafeRawBufferPointer, numValues: Int, encoding: Encoding, hasLevels: Bool,
                                sequence: Int, lane: PageCompressionPool.Lane?) throws(ParquetError) {
        let n = try compress(body, on: lane)
        let bodyCount = body.count
        guard let lane else {
            return withCompressed(n, of: body) { appendDataPage(compressed: $0, bodyCount: bodyCount, numValues: numValues, encoding: encoding, hasLevels: hasLevels) }
        }
        deliver(sequence, compressed: n, on: lane) { [self] in appendDataPage(compressed: $0, bodyCount: bodyCount, numValues: numValues, encoding: encoding, hasLevels: hasLevels) }
    }

    /// Appends a data page of `bodyCount` uncompressed bytes, compressed into `compressed`.
    private func appendDataPage(compressed: UnsafeRawBufferPointer, bodyCount: Int, numValues: Int, encoding: Encoding, hasLevels: Bool) {
        let n = compressed.count
        verdicts?.record(column, setting: compression, uncompressed: bodyCount, compressed: n)
        let header = PageHeader(
            type: .dataPage, uncompressedPageSize: Int32(bodyCount), compressedPageSize: Int32(n),
            dataPageHeader: DataPageHeader(numValues: Int32(numValues), encoding: encoding,
                                           definitionLevelEncoding: .rle, repetitionLevelEncoding: .rle)
        ).encoded()
        dataPages.append(header)
        dataPages.append(compressed)
        record(header: header.count, body: bodyCount, compressed: n)
        encodings.insert(encoding.rawValue)
        if hasLevels { encodings.insert(Encoding.rle.rawValue) }
        pageCounts[PageEncodingKey(type: PageType.dataPage.rawValue, encoding: encoding.rawValue), default: 0] += 1
        self.numValues += Int64(numValues)
    }

    /// Compresses and stores the dictionary page (PLAIN entries).
    package func setDictionaryPage(body: UnsafeRawBufferPointer, entries: Int) throws(ParquetError) {
        let sequence = nextSequence()
        try submit(body) { (b: UnsafeRawBufferPointer, lane: PageCompressionPool.Lane?) throws(ParquetError) in
            let n = try self.compress(b, on: lane)
            let bodyCount = b.count
            guard let lane else { return self.withCompressed(n, of: b) { self.storeDictionaryPage(compressed: $0, bodyCount: bodyCount, entries: entries) } }
            self.deliver(sequence, compressed: n, on: lane) { self.storeDictionaryPage(compressed: $0, bodyCount: bodyCount, entries: entries) }
        }
    }

    private func storeDictionaryPage(compressed: UnsafeRawBufferPointer, bodyCount: Int, entries: Int) {
        let n = compressed.count
        var page = PageHeader(
            type: .dictionaryPage, uncompressedPageSize: Int32(bodyCount), compressedPageSize: Int32(n),
            dictionaryPageHeader: DictionaryPageHeader(numValues: Int32(entries), encoding: .plain)
        ).encoded()
        let headerCount = page.count
        page.append(contentsOf: compressed)
        dictionaryPage = page
        record(header: headerCount, body: bodyCount, compressed: n)
        encodings.insert(Encoding.plain.rawValue)
        pageCounts[PageEncodingKey(type: PageType.dictionaryPage.rawValue, encoding: Encoding.plain.rawValue), default: 0] += 1
    }

    private func record(header: Int, body: Int, compressed: Int) {
        totalUncompressed += Int64(header + body)
        totalCompressed += Int64(header + compressed)
    }

    /// Compresses `body` into `lane`'s scratch (the builder's own without a lane); returns the size.
    private func compress(_ body: UnsafeRawBufferPointer, on lane: PageCompressionPool.Lane?) throws(ParquetError) -> Int {
        guard body.count <= Int32.max else {
            throw .invalidArgument(file: file, column: column, reason: "page of \(body.count) bytes exceeds 2 GiB")
        }
        if isStoredAsIs { return body.count }  // `withCompressed` hands out `body` itself
        do {
            if let lane { return try lane.compressor(for: compression).compress(body, into: &lane.scratch) }
            let own = ownCompressor ?? Codecs.compressor(for: compression)
            ownCompressor = own
            return try own.compress(body, into: &scratch)
        } catch {
            throw .invalidArgument(file: file, column: column, reason: "compression failed: \(error)")
        }
    }

    /// The first `n` bytes of the scratch an inline `compress` just wrote, or `page` itself when
    /// the chunk is uncompressed (no copy through a scratch).
    private func withCompressed(_ n: Int, of page: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        if isStoredAsIs {
            body(page)
        } else {
            scratch.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// The chunk's metadata, for a chunk whose first page is written at `offset`.
    package func metadata(type: PhysicalType, path: [String], offset: Int64, statistics: Statistics?) -> ColumnMetaData {
        let dictionaryLength = Int64(dictionaryPage?.count ?? 0)
        let stats = pageCounts.keys.sorted { ($0.type, $0.encoding) > ($1.type, $1.encoding) }.map {
            PageEncodingStats(pageType: PageType(rawValue: $0.type), encoding: Encoding(rawValue: $0.encoding), count: pageCounts[$0] ?? 0)
        }
        return ColumnMetaData(
            type: type, encodings: encodings.sorted().map(Encoding.init(rawValue:)), pathInSchema: path,
            codec: codec, numValues: numValues, totalUncompressedSize: totalUncompressed,
            totalCompressedSize: totalCompressed, dataPageOffset: offset + dictionaryLength,
            dictionaryPageOffset: dictionaryPage == nil ? nil : offset, statistics: statistics,
            encodingStats: stats)
    }

    /// Bytes of the chunk on disk.
    package var byteCount: Int64 { Int64(dictionaryPage?.count ?? 0) + Int64(dataPages.count) }

    /// Empties the builder for the next row group (keeps buffers). Call after `waitForPages`.
    package func reset() {
        dataPages.removeAll()
        dictionaryPage = nil
        encodings.removeAll(keepingCapacity: true)
        pageCounts.removeAll(keepingCapacity: true)
        totalUncompressed = 0
        totalCompressed = 0
        numValues = 0
        submittedBodyBytes = 0
        queuedPages = 0
        delivery.withLock { $0.next = 0 }
        settledBytes = Int64(dataPages.capacity)
        settledSubmittedBytes = 0
    }
}
