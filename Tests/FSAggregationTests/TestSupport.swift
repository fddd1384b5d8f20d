import FSCore
@testable import FSAggregation

/// Every law test sees the same data on every run.
typealias SeededGenerator = SplitMix64

/// Random column of `type` with NULLs, duplicates, NaN/±0.0/∞ for doubles, empty and non-ASCII
/// strings: the awkward rows every aggregate must survive.
func randomColumn(_ type: DataType, count: Int, rng: inout SeededGenerator, nullRate: Double = 0.15) -> Column {
    var b = ColumnBuilder(type: type, capacity: count)
    let words = ["", "a", "b", "ab", "é", "日本", "zz", "A", "a\u{0}b", "ü"]
    for _ in 0..<count {
        if Double.random(in: 0..<1, using: &rng) < nullRate { b.appendNull(); continue }
        switch type {
        case .boolean: b.append(Bool.random(using: &rng))
        case .int32: b.append(Int32.random(in: -50...50, using: &rng))
        case .date: b.append(Int32.random(in: 18_000...18_040, using: &rng))
        case .int64: b.append(Int64.random(in: -1_000...1_000, using: &rng))
        case .timestamp: b.append(Int64.random(in: 0...5_000_000, using: &rng))
        case .double:
            let r = Int.random(in: 0..<40, using: &rng)
            switch r {
            case 0: b.append(Double.nan)
            case 1: b.append(-0.0)
            case 2: b.append(0.0)
            default: b.append((Double.random(in: -100...100, using: &rng) * 8).rounded() / 8)
            }
        case .string: b.append(words[Int.random(in: 0..<words.count, using: &rng)])
        }
    }
    return b.finish()
}

/// Values equal for aggregate results: exact, except doubles within `relative` (NaN = NaN).
func resultsMatch(_ a: Value, _ b: Value, relative: Double) -> Bool {
    switch (a, b) {
    case (.double(let x), .double(let y)):
        if x.isNaN || y.isNaN { return x.isNaN && y.isNaN }
        if x == y { return true }
        if x.isInfinite || y.isInfinite { return false }
        return abs(x - y) <= relative * Swift.max(abs(x), abs(y), 1e-300) || abs(x - y) < 1e-12
    default:
        return a == b
    }
}

func columnsMatch(_ a: Column, _ b: Column, relative: Double) -> Bool {
    guard a.count == b.count, a.type == b.type else { return false }
    return (0..<a.count).allSatisfy { resultsMatch(a[$0], b[$0], relative: relative) }
}

/// The repository root, from this source file's path (…/Tests/FSAggregationTests/x.swift).
func repositoryRoot(_ file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}
