import Synchronization

/// The string columns whose values proved too distinct for a dictionary, remembered across the
/// files of one writer (a table writer's day files, one after another and side by side).
///
/// Why: a dictionary only pays when values repeat. Without a verdict, every chunk of a
/// high-cardinality column (UUIDs, fs-ingest's escaped `items` JSON) hashes and copies each value
/// into a dictionary that never reaches `maxDictionaryBytes` in a small day file, and then writes
/// it as a page as large as PLAIN would have been: about 5% of fs-ingest's CPU, for nothing. So
/// the first `probeValues` non-null values of a column are a sample (parquet-mr decides after the
/// first page in the same spirit): more than half of them distinct *within their chunk* and the
/// column goes PLAIN for the rest of that chunk and from the start of every later chunk of any
/// file sharing this object; otherwise it keeps its dictionary and is not sampled again. Small
/// chunks (a few hundred rows of one day) pool their samples: what counts is whether values
/// repeat inside the chunk, since that is the only place a dictionary can save anything. The
/// bytes stay valid Parquet either way (a chunk may change from dictionary to PLAIN pages,
/// table-format.md §1.8).
///
/// Shared by reference: files written on different threads consult and update one set.
public final class DictionaryVerdicts: Sendable, Equatable {
    /// Non-null values a chunk dictionary-encodes before its distinct count is judged.
    public static let probeValues = 1024

    /// What is known of one column.
    public enum Verdict: Sendable, Equatable {
        /// Sampling: non-null values seen so far, and the sum of their chunks' distinct counts.
        case sampling(values: Int, distinct: Int)
        /// Too distinct: PLAIN from the start of every chunk.
        case plain
        /// Values repeat: dictionary encoded, no more sampling.
        case dictionary
    }

    private let verdicts = Mutex<[String: Verdict]>([:])

    public init() {}

    /// The verdict on `column` so far.
    public func verdict(_ column: String) -> Verdict {
        verdicts.withLock { $0[column] ?? .sampling(values: 0, distinct: 0) }
    }

    /// Adds a chunk's sample (`values` non-null values of which `distinct` differ) to `column`'s;
    /// decides once the pooled sample holds `probeValues` values. Returns the verdict.
    @discardableResult
    func record(_ column: String, values: Int, distinct: Int) -> Verdict {
        verdicts.withLock { all in
            guard case .sampling(let v, let d) = all[column] ?? .sampling(values: 0, distinct: 0) else { return all[column]! }
            let (values, distinct) = (v + values, d + distinct)
            let verdict: Verdict = values < Self.probeValues ? .sampling(values: values, distinct: distinct)
                : Self.isTooDistinct(distinct: distinct, values: values) ? .plain : .dictionary
            all[column] = verdict
            return verdict
        }
    }

    /// The columns judged PLAIN so far, sorted (for tests and logs).
    public var plainColumnNames: [String] { verdicts.withLock { $0.filter { $0.value == .plain }.keys.sorted() } }

    /// Whether a sample of `values` non-null values with `distinct` distinct ones is too distinct.
    static func isTooDistinct(distinct: Int, values: Int) -> Bool { distinct * 2 > values }

    /// Identity: two options share verdicts only when they hold the same object.
    public static func == (a: DictionaryVerdicts, b: DictionaryVerdicts) -> Bool { a === b }
}
