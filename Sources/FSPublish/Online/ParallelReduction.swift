import Dispatch
import FSCore
import Synchronization

/// The newest row per key of a change, reduced on several threads.
///
/// ```
///  ChangeReader.paths (feeding order) ─► shares s₀ s₁ … sₙ₋₁ (contiguous, ~equal bytes)
///  threads take shares in turn:  sᵢ ─► own TableScan ─► own LatestPerKey rᵢ
///  r₀.merge(r₁).merge(r₂) … in share order  ─►  the same result as one reducer over all rows
/// ```
/// Reading, decompressing, decoding and reducing a 12M-row window table is one core's work for
/// each file; files are independent, so they spread over the cores, and merging in share order
/// keeps the result (rows, their order, counts) identical to a single pass — `LatestPerKey.merge`
/// states why. More shares than threads (`sharesPerThread`) let a thread that finishes early take
/// another share, which matters on a machine shared with other work. Memory: every share's
/// reducer is held until the merge, so up to `threads × sharesPerThread` copies of a key's row
/// (72 → 148 MiB on the 12M-row, 50k-key bench table with two threads).
enum ParallelReduction {
    /// Shares per thread: more balance, against one more merge of up to every key per share.
    static let sharesPerThread = 2
    /// Changes smaller than this (compressed bytes) are reduced on the calling thread: a thread's
    /// start and a merge cost more than they save.
    static let minimumBytes: Int64 = 4 << 20
    /// A change this large or larger (compressed bytes), but below `minimumBytes`, is read by two
    /// threads each decoding half of the columns (`reduceSplittingColumns`); below it, a
    /// thread's start costs more than it saves.
    static let minimumColumnSplitBytes: Int64 = 256 << 10

    /// Reduces `reader`'s files (columns `source.scanColumns`, projected to the layout) on up to
    /// `threads` threads (one when the files hold fewer than `minimumBytes`). Throws the first
    /// failure in share order. `isCancelled` is asked before each batch: true stops every
    /// thread with `ReductionCancelled` (a speculative read that turned out not to be needed).
    static func reduce(_ reader: ChangeReader, source: PublishSource, threads: Int, minimumBytes: Int64 = Self.minimumBytes,
                       minimumColumnSplitBytes: Int64 = Self.minimumColumnSplitBytes,
                       isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> LatestPerKey {
        let bytes = reader.paths.reduce(Int64(0)) { $0 + (reader.snapshot.files[$1]?.size ?? 0) }
        let workers = bytes < minimumBytes ? 1 : Swift.max(1, Swift.min(threads, reader.paths.count))
        let shares = reader.shares(workers == 1 ? 1 : workers * sharesPerThread)
        if shares.count == 1 {
            if threads > 1, bytes >= minimumColumnSplitBytes, bytes < minimumBytes, let halves = columnHalves(source) {
                return try reduceSplittingColumns(shares[0], reader, source, halves, isCancelled)
            }
            return try reduce(shares[0], reader, source, isCancelled)
        }
        let results = ShareResults(count: shares.count)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < shares.count else { return }
                results.set(i, Result { try reduce(shares[i], reader, source, isCancelled) })
            }
        }
        var merged: LatestPerKey? = nil
        for i in shares.indices {
            let part = try results.take(i)
            if merged == nil { merged = part } else { merged!.merge(part) }
        }
        return merged!
    }

    /// One share on the calling thread.
    private static func reduce(_ share: ArraySlice<String>, _ reader: ChangeReader, _ source: PublishSource,
                               _ isCancelled: () -> Bool) throws -> LatestPerKey {
        var reducer = LatestPerKey(schema: source.layout.schema, keyCount: source.layout.keyColumns.count)
        try reader.forEachBatch(columns: source.scanColumns, of: share) {
            if isCancelled() { throw ReductionCancelled() }
            reducer.add(source.project($0))
        }
        return reducer
    }
}

extension ParallelReduction {
    /// `source.scanColumns` cut in two for `reduceSplittingColumns`, each about half the
    /// decoding weight (a string column weighs 3: its decoding copies the bytes and builds
    /// offsets; any other column 1): in scan order (keys, time, features), a column joins the
    /// first half while that stays within half the total, the others form the second. nil
    /// with fewer than two columns.
    static func columnHalves(_ source: PublishSource) -> (first: [String], second: [String])? {
        let columns = source.scanColumns
        guard columns.count >= 2 else { return nil }
        let types = Dictionary(source.layout.schema.fields.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        func weight(_ c: String) -> Int { types[c] == .string ? 3 : 1 }
        let total = columns.reduce(0) { $0 + weight($1) }
        var first: [String] = [], running = 0
        for c in columns where first.isEmpty || running + weight(c) <= (total + 1) / 2 {
            first.append(c)
            running += weight(c)
        }
        let second = columns.filter { !first.contains($0) }
        return second.isEmpty ? nil : (first, second)
    }

    /// One share read by two threads, each decoding half the columns of every row group
    /// through its own scan; the halves are joined row group by row group (same files, same
    /// row groups, same order) and reduced on the calling thread.
    ///
    /// Why: a small change is often one file of one row group (the bench's 50k latest rows:
    /// one 2.2 MB file), which the share split keeps on one thread — ~20 ms of decoding with the
    /// second core idle, on the path to a Kafka publish's first message. Both halves are held
    /// until joined, hence only below `minimumBytes`.
    private static func reduceSplittingColumns(_ share: ArraySlice<String>, _ reader: ChangeReader, _ source: PublishSource,
                                               _ halves: (first: [String], second: [String]),
                                               _ isCancelled: @escaping @Sendable () -> Bool) throws -> LatestPerKey {
        let other = SplitHalf()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global(qos: .userInitiated).async {
            other.set(Result {
                var batches: [RecordBatch] = []
                try reader.forEachBatch(columns: halves.second, of: share) {
                    if isCancelled() { throw ReductionCancelled() }
                    batches.append($0)
                }
                return batches
            })
            done.signal()
        }
        var mine: [RecordBatch] = []
        let read = Result {
            try reader.forEachBatch(columns: halves.first, of: share) {
                if isCancelled() { throw ReductionCancelled() }
                mine.append($0)
            }
        }
        done.wait()
        try read.get()
        let theirs = try other.take()
        precondition(mine.count == theirs.count, "the two column halves of one share read \(mine.count) and \(theirs.count) row groups")
        var reducer = LatestPerKey(schema: source.layout.schema, keyCount: source.layout.keyColumns.count)
        for (a, b) in zip(mine, theirs) {
            precondition(a.rowCount == b.rowCount, "the two column halves of a row group hold \(a.rowCount) and \(b.rowCount) rows")
            if isCancelled() { throw ReductionCancelled() }
            let joined = RecordBatch(schema: Schema(a.schema.fields + b.schema.fields), columns: a.columns + b.columns)
            reducer.add(source.project(joined))
        }
        return reducer
    }
}

/// The second half's batches, written by its thread before it signals, taken once after.
private final class SplitHalf: Sendable {
    private let slot = Mutex<Result<[RecordBatch], any Error>?>(nil)
    func set(_ r: Result<[RecordBatch], any Error>) { slot.withLock { $0 = r } }
    func take() throws -> [RecordBatch] {
        guard let r = slot.withLock({ $0.take() }) else { preconditionFailure("column half signalled without a result") }
        return try r.get()
    }
}

/// Thrown by a reduction whose `isCancelled` turned true: its result is not wanted.
struct ReductionCancelled: Error {}

/// One result slot per share: each written by exactly one task, read only after
/// `concurrentPerform` returned.
private final class ShareResults: Sendable {
    private let slots: Mutex<[Result<LatestPerKey, any Error>?]>

    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

    func set(_ i: Int, _ r: Result<LatestPerKey, any Error>) { slots.withLock { $0[i] = r } }

    /// The reducer of share `i`, or its failure thrown; moved out of the slot.
    func take(_ i: Int) throws -> LatestPerKey {
        let r = slots.withLock { s -> Result<LatestPerKey, any Error>? in
            defer { s[i] = nil }
            return s[i]
        }
        guard let r else { preconditionFailure("share \(i) has no result after concurrentPerform returned") }
        return try r.get()
    }
}
