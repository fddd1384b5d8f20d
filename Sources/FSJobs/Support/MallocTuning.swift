#if canImport(Glibc)
import Glibc

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
package enum MallocTuning {
    /// For fs-agg-online: emission builds and drops arrays of tens of MiB per chunk, and glibc
    /// would hand each back to the kernel (mmap threshold 32 MiB, trim) and fault it in again on
    /// the next chunk, so both thresholds go to 1 GiB.
    ///
    /// Arenas stay per thread (glibc's default). With one arena shared by the job's thread and
    /// the two output lanes, every allocation of the three took one lock: ~1,300 lock waits per
    /// 1M events on the job's thread alone, and 0.2–0.4 s more user time per run. Per-thread
    /// arenas cost memory freed in one arena not being reused by another: peak RSS 54 MiB
    /// against 39 at 1M events, for a run ~20% shorter (bench/ANALYSIS.md, ninth round).
    static func keepLargeChunks() {
        #if canImport(Glibc)
        _ = glibcMallopt(mallocMmapThreshold, 1 << 30)
        _ = glibcMallopt(mallocTrimThreshold, 1 << 30)
        #endif
    }

    /// For fs-publish to Kafka: large freed chunks stay in the heap (mmap and trim thresholds
    /// 1 GiB) so the messages allocated after the table read reuse the read's pages instead of
    /// faulting in fresh ones. Arenas stay per thread: sharing one made librdkafka's broker
    /// thread — the Kafka publish's critical path — consolidate the main thread's freed
    /// messages (`malloc_consolidate`, ~3 % of its samples).
    package static func keepFreedMemory() {
        #if canImport(Glibc)
        _ = glibcMallopt(mallocMmapThreshold, 1 << 30)
        _ = glibcMallopt(mallocTrimThreshold, 1 << 30)
        #endif
    }

    /// For fs-ingest, before its threads start: one arena, and freed memory stays in the heap
    /// for the next batch instead of going back to the kernel at every `free`.
    ///
    /// Why one arena and not two: fs-ingest's chunks are allocated on the ingest thread and
    /// freed on the writer thread, its page buffers on the compression threads. With two arenas
    /// the memory a batch freed in one was not reused by the next batch's allocations in the
    /// other, so every commit's trim returned 40–90 MiB that the next batch faulted in again.
    /// Measured at 1M events (3 alternating runs, load ~16): peak RSS 186–194 MiB against
    /// 207–215, system time 1.4–1.6 s against 1.7–2.0 s; the lock is shared by five threads on
    /// two cores, and no user time showed for it.
    ///
    /// Why: glibc's thresholds adapt (mmap from 128 KiB up to the largest block freed, trim at
    /// twice that), so the 1–2 MiB blocks that come and go all the time — librdkafka's
    /// decompressed record batches, the page buffers of each day file — were mapped and
    /// unmapped, or trimmed off the top of the heap, and every page of the next one was faulted
    /// in and zeroed again. Fixed thresholds (64 MiB to mmap, 256 MiB to trim) keep them in the
    /// heap; `returnFreeMemory(ifResidentAbove:)` then decides when memory goes back. Measured
    /// with `GLIBC_TUNABLES` on the same binary at 1M events (trim after every batch in both):
    /// 410–427k page faults against 452–588k, peak RSS 255 against 248–254 MiB.
    static func reuseFreedMemory() {
        #if canImport(Glibc)
        _ = glibcMallopt(mallocArenaMax, 1)
        _ = glibcMallopt(mallocMmapThreshold, 64 << 20)
        _ = glibcMallopt(mallocTrimThreshold, 256 << 20)
        #endif
    }

    /// Returns free heap pages to the kernel (`malloc_trim(0)`): after a commit the batch's
    /// buffers are free, and without this the next batch's peak adds to the last one's holes.
    private static func returnFreeMemory() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }

    /// Returns free heap pages to the kernel only when the process holds more than `ceiling`
    /// bytes; true when it did.
    ///
    /// A trim gives back every free page, and the next batch faults the same amount in again
    /// and the kernel zeroes it (a trim after each fs-ingest micro-batch: ~80 MiB, ~20k faults,
    /// per batch). Below the ceiling the free pages are simply reused; above it they go back,
    /// so the peak stays near the ceiling however long the run.
    package static func returnFreeMemory(ifResidentAbove ceiling: Int) -> Bool {
        guard let resident = residentBytes(), resident > ceiling else { return false }
        returnFreeMemory()
        return true
    }

    /// The process's resident set now, in bytes (`/proc/self/statm`'s second field times the
    /// page size); nil where that file cannot be read.
    package static func residentBytes() -> Int? {
        #if canImport(Glibc)
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        // "size resident shared text lib data dt": the second number, in pages.
        let fields = buffer[0..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * sysconf(Int32(_SC_PAGESIZE))
        #else
        return nil
        #endif
    }
}
