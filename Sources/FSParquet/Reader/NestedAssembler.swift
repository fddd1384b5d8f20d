import FSCore

/// Dremel record assembly: rebuilds nested records (Delta checkpoint rows) from each leaf's
/// repetition levels, definition levels and dense values — the inverse of the writer's
/// `NestedShredder` (table-format.md §1.12).
///
/// ```
/// field(N):    REPEATED: d < D(N) -> [] (one entry per leaf consumed)
///                        else item, then more items while the next r == R(N)
///              OPTIONAL: d < D(N) -> NULL (one entry per leaf consumed)
///              else instance(N)
/// instance(N): leaf -> its next value; group -> field(child) for every child
/// ```
/// D(N) and R(N) are the definition and repetition levels a present N reaches. Every read is
/// checked, so levels that contradict the schema are a `ParquetError`, never a crash or a hang
/// (each step consumes at least one entry).
struct NestedAssembler {
    /// One leaf's decoded chunk(s): levels plus dense values, and read cursors.
    struct LeafStream {
        var levels: LevelStreams
        var values: ColumnAccumulator
        var type: DataType
        var entry = 0
        var value = 0
    }

    let file: String
    let leaves: [LeafColumn]
    var streams: [LeafStream]

    /// Reads every row of the streams as a `.group` of the top-level fields `fields` (the
    /// root's children whose leaves were decoded; the others' streams are not read).
    mutating func assembleRows(fields: [SchemaNode]) throws(ParquetError) -> [NestedValue] {
        guard let first = fields.first, let driver = firstLeaf(first) else { return [] }
        let leaves = fields.flatMap { Array(leafRange($0)) }
        var rows: [NestedValue] = []
        while streams[driver].entry < streams[driver].levels.definition.count {
            for i in leaves {
                guard streams[i].entry < streams[i].levels.repetition.count, streams[i].levels.repetition[streams[i].entry] == 0 else {
                    throw corrupt(i, "row \(rows.count) does not start at repetition level 0")
                }
            }
            var values: [String: NestedValue] = [:]
            for child in fields {
                let v = try field(child)
                if !v.isNull { values[child.element.name] = v }
            }
            rows.append(.group(values))
        }
        for i in leaves where streams[i].entry != streams[i].levels.definition.count {
            throw corrupt(i, "\(streams[i].levels.definition.count - streams[i].entry) level entries left after the last row")
        }
        return rows
    }

    private func corrupt(_ leaf: Int, _ reason: String) -> ParquetError {
        .corruptPage(file: file, column: leaves[leaf].name, offset: 0, reason: "nested assembly: \(reason)")
    }

    private func firstLeaf(_ node: SchemaNode) -> Int? {
        if let l = node.leafIndex { return l }
        for c in node.children { if let l = firstLeaf(c) { return l } }
        return nil
    }

    /// The leaves under `node` (contiguous: leaves are numbered depth-first).
    private func leafRange(_ node: SchemaNode) -> Range<Int> {
        var low = Int.max, high = Int.min
        func visit(_ n: SchemaNode) {
            if let l = n.leafIndex { low = Swift.min(low, l); high = Swift.max(high, l) }
            n.children.forEach(visit)
        }
        visit(node)
        return low <= high ? low ..< high + 1 : 0 ..< 0
    }

    /// Current (repetition, definition) level of a leaf.
    private func peek(_ leaf: Int) throws(ParquetError) -> (r: Int, d: Int) {
        let s = streams[leaf]
        guard s.entry < s.levels.definition.count, s.entry < s.levels.repetition.count else {
            throw corrupt(leaf, "levels end early")
        }
        return (Int(s.levels.repetition[s.entry]), Int(s.levels.definition[s.entry]))
    }

    /// Consumes one entry of every leaf under `node` (an absent node or an empty list).
    private mutating func skipEntries(_ node: SchemaNode, below level: Int) throws(ParquetError) {
        for i in leafRange(node) {
            let (_, d) = try peek(i)
            guard d < level else { throw corrupt(i, "definition level \(d) where an absent field needs less than \(level)") }
            streams[i].entry += 1
        }
    }

    private mutating func field(_ node: SchemaNode) throws(ParquetError) -> NestedValue {
        guard let driver = firstLeaf(node) else { return .null }
        switch node.repetition {
        case .repeated:
            if try peek(driver).d < node.definitionLevel {
                try skipEntries(node, below: node.definitionLevel)
                return .list([])
            }
            var items: [NestedValue] = []
            while true {
                items.append(try instance(node))
                guard streams[driver].entry < streams[driver].levels.definition.count else { break }
                let r = try peek(driver).r
                if r == node.repetitionLevel { continue }
                guard r < node.repetitionLevel else { throw corrupt(driver, "repetition level \(r) deeper than \(node.element.name) allows") }
                break
            }
            return .list(items)
        case .optional:
            if try peek(driver).d < node.definitionLevel {
                try skipEntries(node, below: node.definitionLevel)
                return .null
            }
            return try instance(node)
        default:
            return try instance(node)
        }
    }

    private mutating func instance(_ node: SchemaNode) throws(ParquetError) -> NestedValue {
        if let leaf = node.leafIndex {
            let (_, d) = try peek(leaf)
            guard d == leaves[leaf].maxDefinitionLevel else {
                throw corrupt(leaf, "definition level \(d) inside a present value (maximum \(leaves[leaf].maxDefinitionLevel))")
            }
            streams[leaf].entry += 1
            let k = streams[leaf].value
            guard k < streams[leaf].values.count else { throw corrupt(leaf, "more present entries than values") }
            streams[leaf].value += 1
            return .value(streams[leaf].values.value(at: k, type: streams[leaf].type))
        }
        var fields: [(String, NestedValue)] = []
        for child in node.children { fields.append((child.element.name, try field(child))) }
        switch NestedAssembler.annotation(node.element) {
        case .map:
            // MAP { repeated group key_value { key; value } }: entries from the repeated child.
            guard fields.count == 1, case .list(let entries) = fields[0].1 else { return .map([]) }
            var out: [(key: String, value: NestedValue)] = []
            for e in entries {
                guard case .group(let kv) = e, case .value(let k)? = kv["key"] else {
                    throw .corruptFile(file: file, reason: "map \(node.element.name) has an entry without a key")
                }
                out.append((key: k.description, value: kv["value"] ?? .null))
            }
            return .map(out)
        case .list:
            // LIST { repeated group list { element } }, or the legacy two-level `repeated element`.
            guard fields.count == 1, case .list(let items) = fields[0].1 else { return .list([]) }
            let repeatedChild = node.children[0]
            if repeatedChild.leafIndex == nil, repeatedChild.children.count == 1 {
                let name = repeatedChild.children[0].element.name
                return .list(items.map { item in
                    if case .group(let g) = item { return g[name] ?? .null }
                    return item
                })
            }
            return .list(items)
        case .none:
            var dict: [String: NestedValue] = [:]
            for (name, v) in fields where !v.isNull { dict[name] = v }
            return .group(dict)
        }
    }

    /// MAP / LIST annotation of a group (logicalType first, else converted_type).
    static func annotation(_ e: SchemaElement) -> GroupAnnotation {
        switch e.logicalType {
        case .map?: return .map
        case .list?: return .list
        default: break
        }
        switch e.convertedType {
        case .map?, .mapKeyValue?: return .map
        case .list?: return .list
        default: return .none
        }
    }
}

extension ColumnAccumulator {
    /// Dense value `i` as a `Value` of `type` (slow path, nested assembly only).
    func value(at i: Int, type: DataType) -> Value {
        switch storage {
        case .boolean: return .boolean(booleans[i])
        case .int32: return type == .date ? .date(int32s[i]) : .int32(int32s[i])
        case .int64: return type == .timestamp ? .timestamp(int64s[i]) : .int64(int64s[i])
        case .double: return .double(doubles[i])
        case .string:
            return bytes.withUnsafeBufferPointer { .string(String(decoding: UnsafeBufferPointer(rebasing: $0[offsets[i] ..< offsets[i + 1]]), as: UTF8.self)) }
        }
    }
}
