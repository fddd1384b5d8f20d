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
    public func readNested(rowGroup g: Int) throws(ParquetError) -> [NestedValue] {
        guard metadata.rowGroups.indices.contains(g) else {
            throw .corruptFile(file: file, reason: "row group \(g) of \(metadata.rowGroups.count)")
        }
        let rows = try readNestedRows(rowGroups: [g])
        guard Int64(rows.count) == metadata.rowGroups[g].numRows else {
            throw .corruptFile(file: file, reason: "assembled \(rows.count) records in row group \(g), the footer says \(metadata.rowGroups[g].numRows)")
        }
        return rows
    }

    private func readNestedRows(rowGroups: [Int]) throws(ParquetError) -> [NestedValue] {
        var streams: [NestedAssembler.LeafStream] = []
        for leaf in resolved.leaves {
            var values = ColumnAccumulator(type: leaf.dataType)
            var levels = LevelStreams()
            for g in rowGroups {
                try withUnsafeMutablePointer(to: &levels) { (p: UnsafeMutablePointer<LevelStreams>) throws(ParquetError) in
                    try decodeChunk(leaf: leaf, rowGroup: g, into: &values, levels: p)
                }
            }
            streams.append(.init(levels: levels, values: values, type: leaf.dataType))
        }
        var assembler = NestedAssembler(file: file, leaves: resolved.leaves, streams: streams)
        return try assembler.assembleRows(root: resolved.root)
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
