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

    /// Reduces `reader`'s files (columns `source.scanColumns`, projected to the layout) on up to
    /// `threads` threads (one when the files hold fewer than `minimumBytes`). Throws the first
    /// failure in share order. `isCancelled` is asked before each batch: true stops every
    /// thread with `ReductionCancelled` (a speculative read that turned out not to be needed).
    static func reduce(_ reader: ChangeReader, source: PublishSource, threads: Int, minimumBytes: Int64 = Self.minimumBytes,
                       isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> LatestPerKey {
        let bytes = reader.paths.reduce(Int64(0)) { $0 + (reader.snapshot.files[$1]?.size ?? 0) }
        let workers = bytes < minimumBytes ? 1 : Swift.max(1, Swift.min(threads, reader.paths.count))
        let shares = reader.shares(workers == 1 ? 1 : workers * sharesPerThread)
        if shares.count == 1 { return try reduce(shares[0], reader, source, isCancelled) }
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
