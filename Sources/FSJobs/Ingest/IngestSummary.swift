import FSCore

/// What an ingest run did; the `--summary` JSON, the progress lines and the tests read it.
public struct IngestSummary: JobSummaryDetails, Equatable {
    public var streamType: String
    public var table: String
    public var quarantineTable: String
    /// Messages consumed (rows + quarantined + duplicates + skipped already-committed).
    public var messages = 0
    public var rows = 0
    public var quarantined = 0
    public var duplicates = 0
    /// Payload bytes of the messages consumed.
    public var bytes = 0
    /// Micro-batches committed.
    public var batches = 0
    /// Micro-batches dropped by writer fencing (their partitions had moved to another member).
    public var fencedBatches = 0
    /// Times a partition was paused for running ahead of the slowest one (`PartitionAlignment`).
    public var partitionPauses = 0
    /// Quarantined messages per reason code.
    public var reasons: [String: Int] = [:]
    /// Next offset to read per "topic/partition", after the last commit.
    public var nextOffsets: [String: Int64] = [:]
    /// How the run ended: completed (available-now) or stopped (signal).
    public var status = JobStatus.running
    public var seconds = 0.0
    /// Seconds per phase of the ingest and writer threads.
    public var phases = IngestPhases()

    public var details: [(String, JSONValue)] {
        [
            ("streamType", .string(streamType)), ("table", .string(table)), ("quarantineTable", .string(quarantineTable)),
            ("messages", .int(Int64(messages))), ("rows", .int(Int64(rows))), ("quarantined", .int(Int64(quarantined))),
            ("duplicates", .int(Int64(duplicates))), ("batches", .int(Int64(batches))), ("bytes", .int(Int64(bytes))), ("fencedBatches", .int(Int64(fencedBatches))),
            ("partitionPauses", .int(Int64(partitionPauses))),
            ("quarantineReasons", .object(reasons.keys.sorted().map { ($0, .int(Int64(reasons[$0] ?? 0))) })),
            ("nextOffsets", .object(nextOffsets.keys.sorted().map { ($0, .int(nextOffsets[$0] ?? 0)) })),
            ("phases", phases.json),
        ]
    }
}
