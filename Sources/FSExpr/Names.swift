import FSCore

// Name helpers every layer that talks about columns needs: which columns an expression reads,
// how to write a column name into expression text, and which names to suggest for a typo.
// They live once, here, next to the binder that defines what a column reference is.

extension BoundExpr {
    /// Names of the columns this expression reads — inside aggregate arguments and FILTER
    /// clauses too — in first-occurrence order, without repeats. What a scan must project.
    public var referencedColumns: [String] {
        var names: [String] = []
        collectColumns(into: &names)
        return names
    }

    private func collectColumns(into names: inout [String]) {
        switch self {
        case .column(_, let name, _):
            if !names.contains(name) { names.append(name) }
        case .aggregate(let call, _):
            for e in call.arguments + (call.filter.map { [$0] } ?? []) { e.collectColumns(into: &names) }
        default:
            for c in children { c.collectColumns(into: &names) }
        }
    }
}

extension AggregateCall {
    /// Names of the columns the call reads (arguments, then the FILTER clause), without repeats.
    public var referencedColumns: [String] {
        var names: [String] = []
        for e in arguments + (filter.map { [$0] } ?? []) {
            for n in e.referencedColumns where !names.contains(n) { names.append(n) }
        }
        return names
    }
}

/// Column names written into expression text.
public enum Identifier {
    /// `name` as a backtick-quoted identifier (backticks inside doubled), so any column name —
    /// with spaces, dashes, keywords — binds to exactly that column.
    public static func quoted(_ name: String) -> String {
        var out = "`"
        for ch in name { out.append(ch); if ch == "`" { out.append("`") } }
        return out + "`"
    }
}

/// The names in `candidates` closest to `name` by (case-insensitive) edit distance: at most
/// three, only those within a third of the name's length (at least 2 edits) — or containing it.
package func closestNames(to name: String, in candidates: [String]) -> [String] {
    let target = Array(name.lowercased())
    var scored: [(Int, String)] = []
    for c in candidates {
        let lc = c.lowercased()
        let d = editDistance(target, Array(lc))
        let limit = max(2, target.count / 3)
        if d <= limit || (target.count >= 3 && (lc.contains(name.lowercased()) || name.lowercased().contains(lc))) {
            scored.append((d, c))
        }
    }
    scored.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    return scored.prefix(3).map(\.1)
}

/// Levenshtein distance between two character arrays.
package func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
