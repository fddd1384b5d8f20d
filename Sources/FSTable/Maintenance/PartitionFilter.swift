import FSCore

/// Parses the `--where` of maintenance commands: comparisons on partition columns joined by
/// `AND`, e.g. `fs_year=2019 AND fs_month>=3`. Values may be quoted (`'…'`); they are parsed as
/// the column's type, so `fs_month=03` and `fs_month=3` are the same partition.
public enum PartitionFilter {
    public static func parse(_ text: String, partitionFields: [Field]) throws(MaintenanceError) -> ScanPredicate {
        var terms: [ScanPredicate] = []
        for raw in splitOnAnd(text) {
            let term = raw.trimmingSpaces
            guard !term.isEmpty else { throw .invalidWhere(text: text, reason: "empty comparison") }
            guard let (column, op, literal) = splitComparison(term) else {
                throw .invalidWhere(text: text, reason: "\"\(term)\" is not <partition column> <op> <value> with op one of = != <> < <= > >=")
            }
            guard let field = partitionFields.first(where: { $0.name.lowercased() == column.lowercased() }) else {
                throw .invalidWhere(text: text, reason: "\(column) is not a partition column (partition columns: \(partitionFields.map(\.name).joined(separator: ", ")))")
            }
            var value = literal
            if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") { value = String(value.dropFirst().dropLast()) }
            guard let typed = PartitionValues.parse(value, as: field.type), !typed.isNull else {
                throw .invalidWhere(text: text, reason: "\(literal) is not a value of \(field.name)'s type \(field.type)")
            }
            terms.append(.compare(column: field.name, op: op, value: typed))
        }
        return terms.count == 1 ? terms[0] : .and(terms)
    }

    /// True when the partition with typed `values` (in `fields` order) satisfies `predicate`.
    public static func matches(_ predicate: ScanPredicate, values: [Value], fields: [Field]) -> Bool {
        predicate.mayMatch { name in
            guard let i = fields.firstIndex(where: { $0.name == name }) else { return nil }
            return ColumnRange.partition(values[i], rowCount: 1)
        }
    }

    private static func splitOnAnd(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        for w in words {
            if w.lowercased() == "and" { parts.append(current); current = ""; continue }
            current += (current.isEmpty ? "" : " ") + w
        }
        parts.append(current)
        return parts
    }

    private static func splitComparison(_ term: String) -> (String, ComparisonOperator, String)? {
        let chars = Array(term)
        guard let start = chars.firstIndex(where: { "<>!=".contains($0) }) else { return nil }
        var end = start + 1
        if end < chars.count, "<>=".contains(chars[end]) { end += 1 }
        let op: ComparisonOperator
        switch String(chars[start..<end]) {
        case "=", "==": op = .equal
        case "!=", "<>": op = .notEqual
        case "<": op = .less
        case "<=": op = .lessOrEqual
        case ">": op = .greater
        case ">=": op = .greaterOrEqual
        default: return nil
        }
        let column = String(chars[..<start]).trimmingSpaces, value = String(chars[end...]).trimmingSpaces
        guard !column.isEmpty, !value.isEmpty else { return nil }
        return (column, op, value)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
