import FSCore
import Synchronization
import Testing

@testable import FSParquet

/// Large queued pages hand their sink's memory to the compression task (`PageCompressionPool.take`)
/// instead of copying it: the bytes written are those of inline compression, and the writer's
/// sink goes on in a buffer at least as large.
@Suite struct PageBodyHandOffTests {
    @Test func aTakenSinkIsLeftEmptyWithTheSmallestSpareThatFitsAndTheBodyIntact() {
        let pool = PageCompressionPool(workers: 1, maxInFlight: 2)
        let sink = ByteSink(capacity: 16)
        let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        body.withUnsafeBytes { sink.append($0) }
        let capacity = sink.capacity
        let taken = pool.take(sink)
        #expect(Array(taken.sink.bytes) == body)
        #expect(sink.count == 0)
        #expect(sink.capacity >= capacity)
        // Spares come back; a later, smaller sink gets the smallest one that fits.
        let big = ByteSink(capacity: 4 * capacity)
        pool.recycle(PageCompressionPool.TakenBody(sink: big))
        pool.recycle(taken)
        let small = ByteSink(capacity: 1000)
        small.append(7)
        _ = pool.take(small)
        #expect(small.capacity == capacity)
        #expect(small.count == 0)
    }

    @Test func largePagesQueuedWithTheirBodiesTakenWriteTheSameBytesAsInline() throws {
        // REQUIRED and OPTIONAL-without-NULL string pages of ~200 KB (compressed in place, taken),
        // and a nullable column with NULLs (copied), through one shared pool, several files.
        let schema = Schema([Field("required", .string, isNullable: false), Field("optional", .string), Field("sparse", .string)])
        func batch(_ n: Int, _ seed: Int) -> RecordBatch {
            RecordBatch(schema: schema, columns: [
                Column(.string, (0..<n).map { .string(String(repeating: "r\(($0 &* seed) % 977)", count: 20)) }),
                Column(.string, (0..<n).map { .string("o\($0 % 13)-\(seed)-" + String(repeating: "x", count: $0 % 90)) }),
                Column(.string, (0..<n).map { $0 % 7 == 0 ? .null : .string("s\($0)") }),
            ])
        }
        let (inline, pooled) = inlineAndPooled(maxPageRows: 3_000, pool: PageCompressionPool(workers: 2, maxInFlight: 3), workers: 2)
        for (rows, seed) in [(10_000, 1), (2_500, 2), (7_000, 3)] {
            let b = batch(rows, seed)
            #expect(try encodeParquet(b, options: pooled) == encodeParquet(b, options: inline), "\(rows) rows")
        }
    }
}

extension PageBodyHandOffTests {
    @Test func anUncompressedChunkKeepsItsPageOrderWhenLargeAndSmallPagesMix() throws {
        // Stored-as-is chunks append every page inline (no codec work to hand off): a large page
        // taken to a lane while the small ones went inline would be stored after them.
        let schema = Schema([Field("text", .string, isNullable: false)])
        let values: [Value] = (0..<12_000).map { i in
            // Pages of 3,000 rows alternate ~300 KB (taken) and ~20 KB (inline).
            .string((i / 3_000) % 2 == 0 ? "big-\(i)-" + String(repeating: "y", count: 90) : "s\(i)")
        }
        let b = RecordBatch(schema: schema, columns: [Column(.string, values)])
        let (inline, pooled) = inlineAndPooled(maxPageRows: 3_000, pool: PageCompressionPool(workers: 2, maxInFlight: 3), workers: 2,
                                               compression: .uncompressed)
        let bytes = try encodeParquet(b, options: pooled)
        #expect(bytes == (try encodeParquet(b, options: inline)))
        let back = try ParquetFileReader(bytes: bytes).readAll().columns[0]
        #expect((0..<back.count).map { back[$0] } == values)
    }
}

extension PageBodyHandOffTests {
    @Test func oneColumnsPagesSpreadOverEveryLaneLandInSubmissionOrder() throws {
        // ~40 pages of ~100 KB of one column through three lanes: each page goes to the least
        // busy lane, pages finished before those ahead of them wait, and the file is the inline one.
        let schema = Schema([Field("items", .string, isNullable: false), Field("n", .int64, isNullable: false)])
        func batch(_ seed: Int) -> RecordBatch {
            RecordBatch(schema: schema, columns: [
                Column(.string, (0..<40_000).map { .string("item-\(($0 &* seed) % 10_007)-" + String(repeating: "z", count: ($0 &* 7) % 150)) }),
                Column(.int64, (0..<40_000).map { .int64(Int64($0 &* seed)) }),
            ])
        }
        let (inline, pooled) = inlineAndPooled(maxPageRows: 1_000, pool: PageCompressionPool(workers: 3, maxInFlight: 6, balancesLanes: true), workers: 3)
        for seed in 1...4 {
            let b = batch(seed)
            #expect(try encodeParquet(b, options: pooled) == encodeParquet(b, options: inline), "seed \(seed)")
        }
    }

    @Test func aPageGoesToTheLeastBusyLaneAndStaysHomeOnATieOrWithoutBalancing() {
        let pool = PageCompressionPool(workers: 3, maxInFlight: 6, balancesLanes: true)
        let home = pool.lane(forColumn: 0), other = pool.lane(forColumn: 1), third = pool.lane(forColumn: 2)
        #expect(pool.leastBusyLane(preferring: home) === home)
        home.queuedBytes.store(500, ordering: .relaxed)
        other.queuedBytes.store(200, ordering: .relaxed)
        third.queuedBytes.store(300, ordering: .relaxed)
        #expect(pool.leastBusyLane(preferring: home) === other)
        other.queuedBytes.store(500, ordering: .relaxed)
        third.queuedBytes.store(500, ordering: .relaxed)
        #expect(pool.leastBusyLane(preferring: third) === third)
        let unbalanced = PageCompressionPool(workers: 2, maxInFlight: 4)
        unbalanced.lane(forColumn: 0).queuedBytes.store(500, ordering: .relaxed)
        #expect(unbalanced.leastBusyLane(preferring: unbalanced.lane(forColumn: 0)) === unbalanced.lane(forColumn: 0))
    }
}

extension PageBodyHandOffTests {
    @Test func aCompressedChunkWhoseSmallPagesAreCompressedInlineKeepsItsPageOrder() throws {
        // Pages of 3,000 rows alternate ~300 KB (queued to a lane) and ~20 KB (compressed on the
        // writer's thread, `minQueuedBytes`): a small page done before the large one ahead of it
        // waits for it, so the bytes equal a writer's without a pool, over several files.
        #expect(ColumnChunkBuilder.minQueuedBytes > 20_000 && ColumnChunkBuilder.minQueuedBytes < 300_000)
        let schema = Schema([Field("text", .string, isNullable: false), Field("n", .int64, isNullable: false)])
        func batch(_ seed: Int) -> RecordBatch {
            let values: [Value] = (0..<12_000).map { i in
                .string((i / 3_000) % 2 == 0 ? "big-\(i &* seed)-" + String(repeating: "y\(i % 7)", count: 45) : "s\(i &* seed)")
            }
            return RecordBatch(schema: schema, columns: [Column(.string, values), Column(.int64, (0..<12_000).map { .int64(Int64($0 &* seed)) })])
        }
        let (inline, pooled) = inlineAndPooled(maxPageRows: 3_000, pool: PageCompressionPool(workers: 2, maxInFlight: 3, balancesLanes: true), workers: 2)
        for seed in 1...4 {
            let b = batch(seed)
            let bytes = try encodeParquet(b, options: pooled)
            #expect(bytes == (try encodeParquet(b, options: inline)), "seed \(seed)")
            #expect(try ParquetFileReader(bytes: bytes).readAll() == b)
        }
    }
}

/// Writer options without a pool (every page compressed inline) and the same with `pool`: the
/// pair each hand-off test compares byte for byte. PLAIN pages after the first few rows.
func inlineAndPooled(maxPageRows: Int, pool: PageCompressionPool, workers: Int,
                     compression: ParquetCompression? = nil) -> (inline: ParquetWriterOptions, pooled: ParquetWriterOptions) {
    var inline = ParquetWriterOptions()
    if let compression { inline.compression = compression }
    inline.compressionWorkers = 0
    inline.maxPageRows = maxPageRows
    inline.maxDictionaryBytes = 1_000
    var pooled = inline
    pooled.compressionWorkers = workers
    pooled.compressionPool = pool
    return (inline, pooled)
}
