import FSCore

/// Where an ingest run's time went, in seconds per phase: the `phases` object of the
/// `--summary` JSON and of the closing log line.
///
/// Several threads work at once (see `ChunkWriter`), so the phases of the ingest thread add up
/// to at most the wall time, and those of the writer lanes to at most the wall time per lane
/// (they are summed over the lanes); the `…Wait` phases are the ingest thread blocked on the
/// writer, the rest is work (or, for `poll`, waiting for the broker).
public struct IngestPhases: Sendable, Equatable {
    /// Ingest thread: inside `KafkaConsumer.poll` (waiting for fetches, copying messages out).
    public var poll = 0.0
    /// Ingest thread: parsing messages into column builders, quarantine and dedup included.
    public var parse = 0.0
    /// Ingest thread: building the chunk's `RecordBatch` (derived columns) at a hand-off.
    public var build = 0.0
    /// Ingest thread: blocked handing a chunk or a commit to the writer (the writer is behind).
    public var handOffWait = 0.0
    /// Ingest thread: waiting for every queued write and commit (end of run, rebalance).
    public var drainWait = 0.0
    /// Ingest thread: committing group offsets (monitoring only, asynchronous).
    public var groupCommit = 0.0
    /// Ingest thread: returning freed heap to the kernel after commits.
    public var trim = 0.0
    /// Writer lanes, summed: `TableWriter.write` — split by day, encode, compress full pages and row groups.
    public var write = 0.0
    /// Writer lanes, summed: handing a micro-batch's files to the committer (`TableWriter.stage`).
    public var stage = 0.0
    /// Writer lane staging a batch last: blocked handing its commit over until the previous one returned (the committer is behind).
    public var commitWait = 0.0
    /// Committer thread: the quarantine table's write and commit.
    public var quarantineCommit = 0.0
    /// Committer thread: `TableWriter.commit` — finish the staged files (last pages,
    /// compression, footers, fsync), rename them into place, fsync directories, write the log
    /// entry. Runs while the writer lanes encode the next micro-batch.
    public var dataCommit = 0.0

    public init() {}

    public var json: JSONValue {
        func s(_ x: Double) -> JSONValue { .double((x * 1000).rounded() / 1000) }
        return .object([
            ("poll", s(poll)), ("parse", s(parse)), ("build", s(build)), ("handOffWait", s(handOffWait)),
            ("drainWait", s(drainWait)), ("groupCommit", s(groupCommit)), ("trim", s(trim)),
            ("write", s(write)), ("stage", s(stage)), ("commitWait", s(commitWait)), ("quarantineCommit", s(quarantineCommit)),
            ("dataCommit", s(dataCommit)),
        ])
    }
}
