import Dispatch

/// Decompresses a chunk's pages a few pages ahead of the decoder, on another thread, so ZSTD or
/// Snappy (about half the work of a scan) overlaps with decoding and copying values.
///
/// ```
/// decoder thread:   take(0) decode(0) take(1) decode(1) ...
/// prefetch queue:   [decompress 0][decompress 1][decompress 2] ...   (at most `window` ahead)
/// ```
/// Pull-based: `take(i)` waits for page i and submits page i + window, so nothing runs once the
/// decoder stops (on an error, outstanding jobs finish and their results are freed with the
/// prefetcher). The decompressor is only used from the serial queue, one page at a time; a
/// result slot is written by the queue before its semaphore is signalled and read by the
/// decoder after waiting on it, so slots never race.
final class PagePrefetcher: @unchecked Sendable {
    /// Where a page's compressed bytes are in `bytes` and how large they decompress.
    struct Job: Sendable {
        var range: Range<Int>
        var uncompressedSize: Int
    }

    private let bytes: [UInt8]
    private let jobs: [Job?]
    private let decompressor: PageDecompressor
    private let queue = DispatchQueue(label: "fs.parquet.page-prefetch")
    private let results: UnsafeMutablePointer<Result<[UInt8], CodecError>?>
    private let ready: [DispatchSemaphore]
    private let window: Int

    /// Prefetches the pages with a job (nil: the page needs no decompression).
    init(bytes: [UInt8], jobs: [Job?], decompressor: PageDecompressor, window: Int = 2) {
        self.bytes = bytes
        self.jobs = jobs
        self.decompressor = decompressor
        self.window = window
        results = .allocate(capacity: Swift.max(jobs.count, 1))
        results.initialize(repeating: nil, count: Swift.max(jobs.count, 1))
        ready = jobs.map { _ in DispatchSemaphore(value: 0) }
        for i in 0 ..< Swift.min(window, jobs.count) { submit(i) }
    }

    deinit {
        results.deinitialize(count: Swift.max(jobs.count, 1))
        results.deallocate()
    }

    private func submit(_ i: Int) {
        guard i < jobs.count, let job = jobs[i] else { return }
        queue.async { [self] in
            let result: Result<[UInt8], CodecError> = bytes.withUnsafeBytes { all in
                Result { () throws(CodecError) -> [UInt8] in
                    try decompressor.decompress(UnsafeRawBufferPointer(rebasing: all[job.range]), uncompressedSize: job.uncompressedSize)
                }
            }
            results[i] = result
            ready[i].signal()
        }
    }

    /// The decompressed bytes of page `i` (nil when the page has no job); pages are taken in
    /// order, each once.
    func take(_ i: Int) -> Result<[UInt8], CodecError>? {
        guard i < jobs.count, jobs[i] != nil else {
            submit(i + window)
            return nil
        }
        ready[i].wait()
        let r = results[i]
        results[i] = nil
        submit(i + window)
        return r
    }
}
