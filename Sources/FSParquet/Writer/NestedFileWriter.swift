import FSCore

/// Writes nested rows (Delta checkpoints) as one Parquet file with a single row group, created
/// exclusively at `path` and fsynced. Strings are PLAIN (checkpoints are small and mostly
/// unique paths and stats); pages are cut at row boundaries by `maxPageRows` level entries or
/// `maxPageBytes` of values. Zero rows give a valid file with no row groups.
public func writeNestedParquet(
    path: String, schema: [ParquetNode], rows: [NestedValue], options: ParquetWriterOptions = .init()
) throws -> ParquetFileSummary {
    let output = try ParquetOutput(creatingFileAt: path)
    do {
        let summary = try writeNested(to: output, schema: schema, rows: rows, options: options)
        try output.syncAndClose()
        return summary
    } catch {
        output.discard()
        throw error
    }
}

/// `writeNestedParquet` into memory (tests).
public func encodeNestedParquet(schema: [ParquetNode], rows: [NestedValue], options: ParquetWriterOptions = .init()) throws -> [UInt8] {
    let output = ParquetOutput(memoryNamed: "<memory>")
    _ = try writeNested(to: output, schema: schema, rows: rows, options: options)
    return output.memory
}

private func writeNested(
    to output: ParquetOutput, schema: [ParquetNode], rows: [NestedValue], options: ParquetWriterOptions
) throws(ParquetError) -> ParquetFileSummary {
    var shredder = try NestedShredder(schema: schema, file: output.path)
    for row in rows { try shredder.append(row: row) }
    try output.write(magic)
    var chunks: [ColumnChunk] = []
    var totalUncompressed: Int64 = 0, totalCompressed: Int64 = 0
    let groupOffset = output.offset
    if !rows.isEmpty {
        for leaf in shredder.leaves {
            let chunk = ColumnChunkBuilder(compression: options.compression, file: output.path, column: leaf.path.joined(separator: "."))
            try writePages(of: leaf, into: chunk, options: options)
            let offset = output.offset
            try output.write(chunk.dataPages.bytes)
            let meta = chunk.metadata(type: leaf.type.parquetPhysicalType, path: leaf.path, offset: offset,
                                      statistics: leaf.statistics.thrift)
            chunks.append(ColumnChunk(fileOffset: 0, metaData: meta))
            totalUncompressed += meta.totalUncompressedSize
            totalCompressed += meta.totalCompressedSize
        }
    }
    let rowGroups = rows.isEmpty ? [] : [RowGroup(
        columns: chunks, totalByteSize: totalUncompressed, numRows: Int64(rows.count), fileOffset: groupOffset,
        totalCompressedSize: totalCompressed, ordinal: 0)]
    let meta = FileMetaData(
        version: 1, schema: schemaElements(for: schema), numRows: Int64(rows.count), rowGroups: rowGroups,
        createdBy: options.createdBy, columnOrders: Array(repeating: .typeDefinedOrder, count: shredder.leaves.count))
    try writeFooter(meta, to: output)
    return ParquetFileSummary(path: output.path, sizeBytes: output.offset, rowCount: Int64(rows.count),
                              statistics: shredder.leaves.map(\.statistics.columnStatistics), metadata: meta)
}

/// Data pages of one shredded leaf:
/// `[len][rep levels]? [len][def levels]? PLAIN values of the entries at max definition level`.
private func writePages(of leaf: ShreddedLeaf, into chunk: ColumnChunkBuilder, options: ParquetWriterOptions) throws(ParquetError) {
    let reps = leaf.repetitionLevels, defs = leaf.definitionLevels
    let column = leaf.values.finish()
    let n = defs.count
    let maxDef = UInt8(leaf.maxDefinitionLevel)
    let body = ByteSink()
    var entryStart = 0, valueStart = 0
    while entryStart < n {
        var k = entryStart, valueEnd = valueStart, bytes = 0
        while k < n {
            if k > entryStart && reps[k] == 0 && (k - entryStart >= options.maxPageRows || bytes >= options.maxPageBytes) { break }
            if defs[k] == maxDef {
                bytes += plainSize(column, valueEnd)
                valueEnd += 1
            }
            k += 1
        }
        body.removeAll()
        if leaf.maxRepetitionLevel > 0 { appendLevels(reps, entryStart..<k, maxLevel: leaf.maxRepetitionLevel, to: body) }
        if leaf.maxDefinitionLevel > 0 { appendLevels(defs, entryStart..<k, maxLevel: leaf.maxDefinitionLevel, to: body) }
        appendPlain(column, valueStart..<valueEnd, to: body)
        try chunk.addDataPage(body: body.bytes, numValues: k - entryStart, encoding: .plain,
                              hasLevels: leaf.maxRepetitionLevel > 0 || leaf.maxDefinitionLevel > 0)
        entryStart = k
        valueStart = valueEnd
    }
}

/// uint32 LE length, then the hybrid runs at the level's bit width.
private func appendLevels(_ levels: [UInt8], _ range: Range<Int>, maxLevel: Int, to body: ByteSink) {
    let at = body.count
    body.append(littleEndian: UInt32(0))
    levels.withUnsafeBufferPointer { p in
        RleBitPackedEncoder.encode(UnsafeBufferPointer(rebasing: p[range]),
                                   bitWidth: RleBitPackedEncoder.bitWidth(forMaxValue: UInt64(maxLevel)), into: body)
    }
    body.setUInt32(UInt32(body.count - at - 4), at: at)
}

private func plainSize(_ c: Column, _ i: Int) -> Int {
    switch c.values {
    case .boolean: return 1
    case .int32: return 4
    case .int64, .double: return 8
    case .string(let s): return 4 + s.length(i)
    }
}

private func appendPlain(_ c: Column, _ range: Range<Int>, to body: ByteSink) {
    switch c.values {
    case .boolean(let v):
        let bits = v[range].map { UInt8($0 ? 1 : 0) }
        bits.withUnsafeBufferPointer { PlainEncoder.packBooleans($0, into: body) }
    case .int32(let v): v.withUnsafeBufferPointer { PlainEncoder.append($0, range: range, validity: nil, into: body) }
    case .int64(let v): v.withUnsafeBufferPointer { PlainEncoder.append($0, range: range, validity: nil, into: body) }
    case .double(let v): v.withUnsafeBufferPointer { PlainEncoder.append($0, range: range, validity: nil, into: body) }
    case .string(let s): PlainEncoder.append(s, range: range, validity: nil, into: body)
    }
}
