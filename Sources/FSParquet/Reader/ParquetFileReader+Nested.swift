import FSCore

extension ParquetFileReader {
    /// Reads a nested file (a Delta checkpoint, ours or delta-rs's) whole: its schema as
    /// `ParquetNode`s and every row as a `.group` of the top-level fields.
    ///
    /// Values follow the writer's conventions: MAP groups give `.map` entries (file order),
    /// LIST groups and repeated fields `.list`, structs `.group` with NULL children left out
    /// (a missing key is NULL), leaves `.value`. An empty repeated field reads as `.list([])`.
    public func readNested() throws(ParquetError) -> (schema: [ParquetNode], rows: [NestedValue]) {
        let schema = resolved.root.children.map(Self.node)
        var streams: [NestedAssembler.LeafStream] = []
        for leaf in resolved.leaves {
            var values = ColumnAccumulator(type: leaf.dataType)
            var levels = LevelStreams()
            for g in metadata.rowGroups.indices {
                try withUnsafeMutablePointer(to: &levels) { (p: UnsafeMutablePointer<LevelStreams>) throws(ParquetError) in
                    try decodeChunk(leaf: leaf, rowGroup: g, into: &values, levels: p)
                }
            }
            streams.append(.init(levels: levels, values: values, type: leaf.dataType))
        }
        var assembler = NestedAssembler(file: file, leaves: resolved.leaves, streams: streams)
        let rows = try assembler.assembleRows(root: resolved.root)
        guard Int64(rows.count) == rowCount else {
            throw .corruptFile(file: file, reason: "assembled \(rows.count) records, the footer says \(rowCount) rows")
        }
        return (schema, rows)
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
