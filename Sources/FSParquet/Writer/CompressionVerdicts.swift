import Synchronization

/// The string columns whose pages barely compress at the writer's ZSTD level, remembered across
/// the files of one writer; their later chunks are written with `fastSetting` instead.
///
/// Why: in fs-ingest's order events the four UUID columns (36 hex digits and dashes) are ~160 MB
/// of PLAIN pages per 1M events, and ZSTD level 1 shrinks them only 2.04× at ~230 MB/s of CPU:
/// nearly all of that gain is the Huffman coding of the literals (4 bits of entropy a byte), and
/// the match search finds little. The same pages at level −1000 with coded literals: 1.88× at
/// ~850 MB/s (libzstd 1.5.4, 48 KiB pages of the bench's `order_id`, CPU time) — about 0.5 CPU-s
/// less per 1M events for ~7 MB more (level −5: 1.99× at ~380 MB/s; the size drops between −5
/// and −7). `items` (13.8× at level 1) and the dictionary-encoded strings keep level 1: a column
/// is judged on its first `probeBytes` of data pages, pooled across files, and goes fast only
/// below `maxRatio`. Numbers are not judged: the order amounts (doubles, 2.3× at level 1) lost
/// ~80% of their size at the fast setting in a trial.
///
/// Shared by reference: files written on different threads consult and update one set; pages
/// are recorded on the compression threads as they finish, so which chunk is the first to go
/// fast depends on timing (the rows never do).
public final class CompressionVerdicts: Sendable, Equatable {
    /// Uncompressed data-page bytes of a column measured before it is judged.
    public static let probeBytes = 256 << 10
    /// A column whose sampled pages compressed less than this ratio goes fast.
    public static let maxRatio = 2.5
    /// What a column judged incompressible is written with.
    public static let fastSetting = ParquetCompression.zstdCodedLiterals(level: -1000)

    /// What is known of one column.
    public enum Verdict: Sendable, Equatable {
        /// Sampling: page bytes before and after compression so far.
        case sampling(uncompressed: Int, compressed: Int)
        /// Barely compresses: `fastSetting` from the start of every later chunk.
        case fast
        /// Compresses well: the writer's own setting, no more sampling.
        case keep
    }

    private let verdicts = Mutex<[String: Verdict]>([:])

    public init() {}

    /// The verdict on `column` so far.
    public func verdict(_ column: String) -> Verdict {
        verdicts.withLock { $0[column] ?? .sampling(uncompressed: 0, compressed: 0) }
    }

    /// The setting a new chunk of `column` should use instead of `setting`, or nil to keep it.
    /// Only ZSTD at a level of 1 or more is ever replaced.
    func setting(for column: String, default setting: ParquetCompression) -> ParquetCompression? {
        guard case .zstd(let level) = setting, level >= 1 else { return nil }
        return verdict(column) == .fast ? Self.fastSetting : nil
    }

    /// Adds one data page compressed with `setting` to `column`'s sample while it is open (pages
    /// of other settings are not evidence); decides once `probeBytes` are in.
    func record(_ column: String, setting: ParquetCompression, uncompressed: Int, compressed: Int) {
        guard case .zstd(let level) = setting, level >= 1 else { return }
        verdicts.withLock { all in
            guard case .sampling(let u, let c) = all[column] ?? .sampling(uncompressed: 0, compressed: 0) else { return }
            let (u2, c2) = (u + uncompressed, c + compressed)
            all[column] = u2 < Self.probeBytes ? .sampling(uncompressed: u2, compressed: c2)
                : Double(u2) < Self.maxRatio * Double(c2) ? .fast : .keep
        }
    }

    /// The columns judged fast so far, sorted (for tests and logs).
    public var fastColumnNames: [String] { verdicts.withLock { $0.filter { $0.value == .fast }.keys.sorted() } }

    /// Identity: two options share verdicts only when they hold the same object.
    public static func == (a: CompressionVerdicts, b: CompressionVerdicts) -> Bool { a === b }
}
