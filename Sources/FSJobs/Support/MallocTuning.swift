#if canImport(Glibc)
// <malloc.h> is not part of Swift's Glibc module; these two have plain C ABIs.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
/// `M_ARENA_MAX`, `M_MMAP_THRESHOLD`, `M_TRIM_THRESHOLD` from <malloc.h>.
private let mallocArenaMax: Int32 = -8
private let mallocMmapThreshold: Int32 = -3
private let mallocTrimThreshold: Int32 = -1
#endif

/// Keeps a long-running job's resident memory at what it uses, not at what it once used.
///
/// glibc gives each thread that allocates its own arena (up to 8 per core), and the ingest loop
/// allocates on many: librdkafka's broker threads, the chunk writer, the Parquet compression
/// queues. Memory freed in one arena is not reused by another, so RSS settled at 2-3x the live
/// heap (measured: 590 MB RSS for a 265 MB heap peak on 1M 1.7 KB events). One arena and a
/// trim after every commit keep it near the live heap and flat over a run.
enum MallocTuning {
    /// One malloc arena (`mallopt(M_ARENA_MAX, 1)`); call before threads start.
    ///
    /// Why one and not two: fs-ingest's chunks are allocated on the ingest thread and freed on
    /// the writer thread, its page buffers on the compression threads. With two arenas the
    /// memory a batch freed in one was not reused by the next batch's allocations in the
    /// other, so every commit's trim returned 40–90 MiB that the next batch faulted in again.
    /// Measured at 1M events (3 alternating runs, load ~16): peak RSS 186–194 MiB against
    /// 207–215, system time 1.4–1.6 s against 1.7–2.0 s; the lock is shared by five threads on
    /// two cores, and no user time showed for it.
    static func limitArenas() {
        #if canImport(Glibc)
        _ = glibcMallopt(mallocArenaMax, 1)
        #endif
    }

    /// For fs-agg-online: emission builds and drops arrays of tens of MiB per chunk, and glibc
    /// would hand each back to the kernel (mmap threshold 32 MiB, trim) and fault it in again on
    /// the next chunk, so both thresholds go to 1 GiB. One arena: chunks are built on the job's
    /// thread and freed on the output thread; with an arena per thread the freed memory stays in
    /// the other arena (peak RSS +40% at 1M events).
    static func keepLargeChunks() {
        #if canImport(Glibc)
        _ = glibcMallopt(mallocMmapThreshold, 1 << 30)
        _ = glibcMallopt(mallocTrimThreshold, 1 << 30)
        _ = glibcMallopt(mallocArenaMax, 1)
        #endif
    }

    /// Returns free heap pages to the kernel (`malloc_trim(0)`): after a commit the batch's
    /// buffers are free, and without this the next batch's peak adds to the last one's holes.
    static func returnFreeMemory() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }
}
