import FSCore

/// Writes nested rows (Delta checkpoints) as one Parquet file with a single row group, created
/// exclusively at `path` and fsynced. Strings are PLAIN (checkpoints are small and mostly
/// unique paths and stats); pages are cut at row boundaries by `maxPageRows` level entries or
/// `maxPageBytes` of values. Zero rows give a valid file with no row groups.
public func writeNestedParquet(
    path: String, schema: [ParquetNode], rows: [NestedValue], options: ParquetWriterOptions = .init()
) throws -> ParquetFileSummary {
    let writer = try NestedParquetWriter(path: path, schema: schema, options: options)
    do {
        try writer.writeRowGroup(rows)
        return try writer.finish()
    } catch {
        writer.discard()
        throw error
    }
}

/// `writeNestedParquet` into memory (tests).
public func encodeNestedParquet(schema: [ParquetNode], rows: [NestedValue], options: ParquetWriterOptions = .init()) throws -> [UInt8] {
    let output = ParquetOutput(memoryNamed: "<memory>")
    let writer = try NestedParquetWriter(output: output, schema: schema, options: options)
    try writer.writeRowGroup(rows)
    _ = try writer.finish(sync: false)
    return output.memory
}

/// A nested Parquet file written one row group at a time, so a writer holds only the rows of
/// the group in flight: a Delta checkpoint of 100k tombstones is written in chunks of a few
/// thousand rows instead of being built whole in memory (issue #13, item 5).
///
/// ```
///  init: magic ──► writeRowGroup(rows) … (shred, pages, column chunks) ──► finish: footer, fsync
/// ```
/// File statistics are the row groups' merged (`StatisticsAccumulator.merge`).
public final class NestedParquetWriter {
    private let output: ParquetOutput
    private let schema: [ParquetNode]
    private let options: ParquetWriterOptions
    private var shredder: NestedShredder
    private var rowGroups: [RowGroup] = []
    private var fileStatistics: [StatisticsAccumulator]
    private var rowCount: Int64 = 0

    /// Creates the file exclusively at `path`.
    public convenience init(path: String, schema: [ParquetNode], options: ParquetWriterOptions = .init()) throws {
        try self.init(output: ParquetOutput(creatingFileAt: path), schema: schema, options: options)
    }

    init(output: ParquetOutput, schema: [ParquetNode], options: ParquetWriterOptions) throws {
        self.output = output
        self.schema = schema
        self.options = options
        do {
            shredder = try NestedShredder(schema: schema, file: output.path)
            fileStatistics = shredder.leaves.map { StatisticsAccumulator(type: $0.type) }
            try output.write(magic)
        } catch {
            output.discard()
            throw error
        }
    }

    /// Rows written so far.
    public var rowsWritten: Int64 { rowCount }

    /// Writes `rows` (each a `.group` of the top-level fields) as one row group; no rows, no group.
    public func writeRowGroup(_ rows: [NestedValue]) throws {
        guard !rows.isEmpty else { return }
        for row in rows { try shredder.append(row: row) }
        let leaves = shredder.takeLeaves()
        var chunks: [ColumnChunk] = []
        var totalUncompressed: Int64 = 0, totalCompressed: Int64 = 0
        let groupOffset = output.offset
        for (i, leaf) in leaves.enumerated() {
            let chunk = ColumnChunkBuilder(compression: options.compression, file: output.path, column: leaf.path.joined(separator: "."))
            try writePages(of: leaf, into: chunk, options: options)
            let offset = output.offset
            try output.write(chunk.dataPages.bytes)
            let meta = chunk.metadata(type: leaf.type.parquetPhysicalType, path: leaf.path, offset: offset, statistics: leaf.statistics.thrift)
            chunks.append(ColumnChunk(fileOffset: 0, metaData: meta))
            totalUncompressed += meta.totalUncompressedSize
            totalCompressed += meta.totalCompressedSize
            fileStatistics[i].merge(leaf.statistics)
        }
        rowGroups.append(RowGroup(
            columns: chunks, totalByteSize: totalUncompressed, numRows: Int64(rows.count), fileOffset: groupOffset,
            totalCompressedSize: totalCompressed, ordinal: Int16(clamping: rowGroups.count)))
        rowCount += Int64(rows.count)
    }

    /// Writes the footer and, with `sync`, fsyncs and closes the file.
    public func finish(sync: Bool = true) throws -> ParquetFileSummary {
        let meta = FileMetaData(
            version: 1, schema: schemaElements(for: schema), numRows: rowCount, rowGroups: rowGroups,
            createdBy: options.createdBy, columnOrders: Array(repeating: .typeDefinedOrder, count: fileStatistics.count))
        try writeFooter(meta, to: output)
        let size = output.offset
        if sync { try output.syncAndClose() }
        return ParquetFileSummary(path: output.path, sizeBytes: size, rowCount: rowCount,
                                  statistics: fileStatistics.map(\.columnStatistics), metadata: meta)
    }

    /// Closes and deletes the unfinished file.
    public func discard() { output.discard() }
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
