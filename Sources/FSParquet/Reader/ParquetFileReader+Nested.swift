import FSCore

extension ParquetFileReader {
    /// Reads a nested file (a Delta checkpoint, ours or delta-rs's) whole: its schema as
    /// `ParquetNode`s and every row as a `.group` of the top-level fields.
    ///
    /// Values follow the writer's conventions: MAP groups give `.map` entries (file order),
    /// LIST groups and repeated fields `.list`, structs `.group` with NULL children left out
    /// (a missing key is NULL), leaves `.value`. An empty repeated field reads as `.list([])`.
    public func readNested() throws(ParquetError) -> (schema: [ParquetNode], rows: [NestedValue]) {
        let rows = try readNestedRows(rowGroups: Array(metadata.rowGroups.indices))
        guard Int64(rows.count) == rowCount else {
            throw .corruptFile(file: file, reason: "assembled \(rows.count) records, the footer says \(rowCount) rows")
        }
        return (nestedSchema, rows)
    }

    /// The file's schema as `ParquetNode`s (what `readNested` returns with the rows).
    public var nestedSchema: [ParquetNode] { resolved.root.children.map(Self.node) }

    /// The rows of one row group, assembled as by `readNested`: a reader that folds rows into
    /// its own state (a Delta checkpoint into a snapshot) holds one group's rows at a time.
    ///
    /// `fields` restricts the rows to those top-level fields (the others are neither decoded
    /// nor assembled): a reader of a checkpoint's `remove` rows skips the `add` statistics.
    public func readNested(rowGroup g: Int, fields: Set<String>? = nil) throws(ParquetError) -> [NestedValue] {
        guard metadata.rowGroups.indices.contains(g) else {
            throw .corruptFile(file: file, reason: "row group \(g) of \(metadata.rowGroups.count)")
        }
        let rows = try readNestedRows(rowGroups: [g], fields: fields)
        guard Int64(rows.count) == metadata.rowGroups[g].numRows else {
            throw .corruptFile(file: file, reason: "assembled \(rows.count) records in row group \(g), the footer says \(metadata.rowGroups[g].numRows)")
        }
        return rows
    }

    private func readNestedRows(rowGroups: [Int], fields: Set<String>? = nil) throws(ParquetError) -> [NestedValue] {
        let selected = fields.map { f in resolved.root.children.filter { f.contains($0.element.name) } } ?? resolved.root.children
        if selected.isEmpty {
            return Array(repeating: .group([:]), count: rowGroups.reduce(0) { $0 + Int(metadata.rowGroups[$1].numRows) })
        }
        var wanted = Set<Int>()
        func collect(_ n: SchemaNode) {
            if let l = n.leafIndex { wanted.insert(l) }
            n.children.forEach(collect)
        }
        selected.forEach(collect)
        var streams: [NestedAssembler.LeafStream] = []
        for (i, leaf) in resolved.leaves.enumerated() {
            var values = ColumnAccumulator(type: leaf.dataType)
            var levels = LevelStreams()
            for g in rowGroups where wanted.contains(i) {
                try withUnsafeMutablePointer(to: &levels) { (p: UnsafeMutablePointer<LevelStreams>) throws(ParquetError) in
                    try decodeChunk(leaf: leaf, rowGroup: g, into: &values, levels: p)
                }
            }
            streams.append(.init(levels: levels, values: values, type: leaf.dataType))
        }
        var assembler = NestedAssembler(file: file, leaves: resolved.leaves, streams: streams)
        return try assembler.assembleRows(fields: selected)
    }

    private static func node(_ n: SchemaNode) -> ParquetNode {
        let repetition: ParquetRepetition
        switch n.repetition {
        case .optional: repetition = .optional
        case .repeated: repetition = .repeated
        default: repetition = .required
        }
        if n.leafIndex != nil {
            let type = ResolvedSchema.logicalType(n.element, conversion: ResolvedSchema.resolveConversion(n.element, physical: n.element.type ?? .boolean))
            return .leaf(name: n.element.name, type: type, repetition: repetition)
        }
        return .group(name: n.element.name, repetition: repetition, annotation: NestedAssembler.annotation(n.element), children: n.children.map(node))
    }
}
