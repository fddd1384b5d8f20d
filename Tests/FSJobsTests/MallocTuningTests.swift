#if canImport(Glibc)
import Glibc
#endif
@testable import FSJobs
import Testing

/// `MallocTuning`'s resident-memory ceiling: fs-ingest trims its heap after a micro-batch only
/// when the process holds more than `IngestJob.residentCeilingBytes`, so the reading it decides
/// on must follow the pages really touched, and the ceiling must gate the trim both ways.
@Suite struct MallocTuningTests {
    @Test func residentBytesFollowThePagesTheProcessTouches() throws {
        let before = try #require(MallocTuning.residentBytes())
        let size = 64 << 20
        let block = try #require(malloc(size))
        defer { free(block) }
        // Allocated but untouched memory is address space, not resident (the first field of
        // statm, the total size, would have grown here).
        let allocated = try #require(MallocTuning.residentBytes())
        memset(block, 1, size)
        let touched = try #require(MallocTuning.residentBytes())
        // Other tests run in parallel and allocate or free meanwhile: half the block is margin.
        #expect(allocated - before < size / 2, "resident \(before) -> \(allocated) bytes after allocating \(size)")
        #expect(touched - allocated >= size / 2, "resident \(allocated) -> \(touched) bytes after touching \(size)")
    }

    @Test func theHeapIsTrimmedOnlyAboveTheCeiling() throws {
        let resident = try #require(MallocTuning.residentBytes())
        #expect(resident > 0)
        #expect(!MallocTuning.returnFreeMemory(ifResidentAbove: Int.max))
        #expect(MallocTuning.returnFreeMemory(ifResidentAbove: 0))
    }
}
