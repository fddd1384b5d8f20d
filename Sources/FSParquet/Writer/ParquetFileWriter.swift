import FSCore

/// Streams row groups of flat columns to a file created exclusively (O_EXCL) at `path`.
///
/// ```
/// write(batch) ──► FlatColumnWriter per field ──► pages (in memory, per chunk)
///                   row group full? ──► chunks appended to the file, offsets recorded
/// finish() ──► last row group, footer (FileMetaData, length, "PAR1"), fsync, close
/// ```
/// Nothing is a valid Parquet file until `finish()` wrote the footer and fsynced (with
/// `finish(sync: false)` the caller fsyncs, as `TableWriter` does on background threads). On any error,
/// or when the writer is dropped without `finish()`, the partial file is removed (`abort()`).
public final class ParquetFileWriter {
    public let path: String
    public let schema: Schema
    private let options: ParquetWriterOptions
    private let output: ParquetOutput
    private let columns: [FlatColumnWriter]
    private var rowGroups: [RowGroup] = []
    private var rowGroupRows: Int64 = 0
    private var totalRows: Int64 = 0
    private var isFinished = false

    /// Rows handed to the column writers between row-group size checks: row groups are cut
    /// with this granularity (at most 8192 rows, at most a page).
    private var sliceRows: Int { Swift.max(1, Swift.min(8192, options.maxPageRows)) }

    /// Creates the file (failing if it exists) and writes the leading magic.
    public convenience init(path: String, schema: Schema, options: ParquetWriterOptions = .init()) throws {
        try self.init(output: ParquetOutput(creatingFileAt: path), schema: schema, options: options)
    }

    init(output: ParquetOutput, schema: Schema, options: ParquetWriterOptions) throws(ParquetError) {
        self.output = output
        path = output.path
        self.schema = schema
        self.options = options
        let pool = options.compressionWorkers > 0
            ? options.compressionPool ?? PageCompressionPool(workers: options.compressionWorkers) : nil
        let memo = IndexPageMemo()
        columns = schema.fields.enumerated().map { i, field in
            FlatColumnWriter(field: field, options: options, file: output.path,
                             worker: pool.map { (lane: $0.lane(forColumn: i), pool: $0) }, indexMemo: memo)
        }
        do {
            try Self.validate(schema, file: output.path)
            try output.write(magic)
        } catch {
            output.discard()
            throw error
        }
    }

    private static func validate(_ schema: Schema, file: String) throws(ParquetError) {
        var seen = Set<String>()
        for f in schema.fields {
            guard !f.name.isEmpty else { throw .invalidArgument(file: file, column: "<empty>", reason: "empty column name") }
            guard seen.insert(f.name).inserted else {
                throw .invalidArgument(file: file, column: f.name, reason: "duplicate column name")
            }
        }
    }

    deinit {
        if !isFinished { output.discard() }
    }

    /// Buffers `batch` into pages; writes a row group whenever `rowGroupBytes` is reached.
    /// The batch must have the writer's schema (names, types); a NULL in a non-nullable field
    /// is rejected before anything of the batch is written.
    public func write(_ batch: RecordBatch) throws { try write(batch, rows: 0..<batch.rowCount) }

    /// Buffers rows `rows` of `batch` (no copy of the batch: the column writers encode the range).
    public func write(_ batch: RecordBatch, rows: Range<Int>) throws {
        guard !isFinished else { throw ParquetError.invalidArgument(file: path, column: "*", reason: "write after finish or abort") }
        try check(batch)  // nothing written yet: the writer stays usable after a rejected batch
        guard rows.lowerBound >= 0, rows.upperBound <= batch.rowCount else {
            throw ParquetError.invalidArgument(file: path, column: "*", reason: "rows \(rows) outside a batch of \(batch.rowCount) rows")
        }
        do {
            let n = rows.upperBound
            var start = rows.lowerBound
            while start < n {
                let end = Swift.min(n, start + sliceRows)
                for (writer, column) in zip(columns, batch.columns) { try writer.append(column, range: start..<end) }
                rowGroupRows += Int64(end - start)
                totalRows += Int64(end - start)
                start = end
                if bufferedBytes >= Int64(options.rowGroupBytes) { try flushRowGroup() }
            }
        } catch {
            abort()
            throw error
        }
    }

    /// Buffers the rows of runs `runs` of `batch` with work per run (`FlatColumnWriter.appendRuns`):
    /// numbers repeated over a run become one dictionary entry and one RLE run of its index,
    /// stepping integers one tight loop. Same schema rules and row-group cuts (between runs) as
    /// `write(_:rows:)`; the file reads back as `batch.expanded()`'s rows.
    public func writeRuns(_ batch: RunBatch, runs: Range<Int>) throws {
        guard !isFinished else { throw ParquetError.invalidArgument(file: path, column: "*", reason: "write after finish or abort") }
        try check(batch.schema, hasNulls: { i in
            if case .repeated(let c) = batch.columns[i] { return c.hasNulls }
            return false
        })
        for (field, column) in zip(schema.fields, batch.columns) {
            if case .stepping = column, field.type.parquetPhysicalType != .int64 {
                throw ParquetError.invalidArgument(file: path, column: field.name, reason: "a stepping run column must be 64-bit integers, not \(field.type)")
            }
        }
        guard runs.lowerBound >= 0, runs.upperBound <= batch.runCount else {
            throw ParquetError.invalidArgument(file: path, column: "*", reason: "runs \(runs) outside a batch of \(batch.runCount) runs")
        }
        do {
            try batch.runLengths.withUnsafeBufferPointer { lengths in
                var start = runs.lowerBound
                while start < runs.upperBound {
                    // About `sliceRows` rows between row-group checks, whole runs.
                    var end = start, rows = 0
                    while end < runs.upperBound && (end == start || rows < sliceRows) { rows += Int(lengths[end]); end += 1 }
                    for (writer, column) in zip(columns, batch.columns) { try writer.appendRuns(column, lengths: lengths, runs: start..<end) }
                    rowGroupRows += Int64(rows)
                    totalRows += Int64(rows)
                    start = end
                    if bufferedBytes >= Int64(options.rowGroupBytes) { try flushRowGroup() }
                }
            }
        } catch {
            abort()
            throw error
        }
    }

    private func check(_ batch: RecordBatch) throws(ParquetError) {
        try check(batch.schema, hasNulls: { batch.columns[$0].hasNulls })
    }

    /// The batch's fields must be the file's (names, types); no NULLs in a non-nullable field.
    private func check(_ batchSchema: Schema, hasNulls: (Int) -> Bool) throws(ParquetError) {

        guard batchSchema.count == schema.count else {
            throw .invalidArgument(file: path, column: "*", reason: "batch has \(batchSchema.count) columns, the file \(schema.count)")
        }
        for (i, (expected, got)) in zip(schema.fields, batchSchema.fields).enumerated() {
            guard expected.name == got.name, expected.type == got.type else {
                throw .invalidArgument(file: path, column: expected.name, reason: "batch column \(i) is \(got), the file expects \(expected)")
            }
            if !expected.isNullable, hasNulls(i) {
                throw .invalidArgument(file: path, column: expected.name, reason: "NULL in a non-nullable column")
            }
        }
    }

    private var bufferedBytes: Int64 { columns.reduce(0) { $0 + $1.bufferedBytes } }

    /// Bytes the writer holds in memory (an upper bound, on the caller's thread, without
    /// waiting for the compression threads): every column's page buffers, dictionary and
    /// pages, compressed ones at their size as of the last `releaseBuffers` or row group, later
    /// ones at their uncompressed size. A writer of many files at once budgets with this.
    public var heldBytes: Int { Int(columns.reduce(Int64(0)) { $0 + $1.heldBytes }) }

    /// Cuts every column's open page, waits for their compression and gives back the page
    /// buffers: the file then holds its rows compressed (plus the dictionaries) and stays open.
    /// Smaller pages than `maxPageBytes` result; the rows and the row groups are unchanged.
    public func releaseBuffers() throws {
        guard !isFinished else { throw ParquetError.invalidArgument(file: path, column: "*", reason: "releaseBuffers after finish or abort") }
        do {
            for w in columns { try w.releaseOpenPage() }
            for w in columns { try w.chunk.waitForPages() }
        } catch {
            abort()
            throw error
        }
    }

    private func flushRowGroup() throws(ParquetError) {
        guard rowGroupRows > 0 else { return }
        let groupOffset = output.offset
        var chunks: [ColumnChunk] = []
        var totalUncompressed: Int64 = 0, totalCompressed: Int64 = 0
        // Close every chunk first so the compression workers drain them all in parallel.
        var statistics: [StatisticsAccumulator] = []
        for w in columns { statistics.append(try w.finishChunk()) }
        for (w, stats) in zip(columns, statistics) {
            try w.chunk.waitForPages()
            let chunkOffset = output.offset
            if let d = w.chunk.dictionaryPage { try output.write(d) }
            try output.write(w.chunk.dataPages.bytes)
            let meta = w.chunk.metadata(type: w.physicalType, path: [w.field.name], offset: chunkOffset, statistics: stats.thrift)
            chunks.append(ColumnChunk(fileOffset: 0, metaData: meta))
            totalUncompressed += meta.totalUncompressedSize
            totalCompressed += meta.totalCompressedSize
            w.reset()
        }
        rowGroups.append(RowGroup(
            columns: chunks, totalByteSize: totalUncompressed, numRows: rowGroupRows, fileOffset: groupOffset,
            totalCompressedSize: totalCompressed, ordinal: Int16(truncatingIfNeeded: rowGroups.count)))
        rowGroupRows = 0
    }

    /// The footer of the file as written so far plus the open row group (after `finish`).
    private func footer() -> FileMetaData {
        let root = SchemaElement(name: "schema", numChildren: Int32(schema.count))
        return FileMetaData(
            version: 1, schema: [root] + schema.fields.map(schemaElement(for:)), numRows: totalRows,
            rowGroups: rowGroups, createdBy: options.createdBy,
            columnOrders: Array(repeating: .typeDefinedOrder, count: schema.count))
    }

    /// Writes the last row group and the footer, fsyncs (unless `sync` is false: the caller
    /// then makes the file durable itself before anything refers to it) and closes the file.
    /// `startingWriteback`: without `sync`, the file's writeback is started before it is closed
    /// (`FileSystemSync.startWriteback`), for a caller that makes many files durable at once.
    public func finish(sync: Bool = true, startingWriteback: Bool = false) throws -> ParquetFileSummary {
        guard !isFinished else { throw ParquetError.invalidArgument(file: path, column: "*", reason: "finish after finish or abort") }
        do {
            try flushRowGroup()
            let meta = footer()
            try writeFooter(meta, to: output)
            try output.close(sync: sync, startingWriteback: startingWriteback)
            isFinished = true
            return ParquetFileSummary(
                path: path, sizeBytes: output.offset, rowCount: totalRows,
                statistics: columns.map(\.fileStatistics.columnStatistics), metadata: meta)
        } catch {
            abort()
            throw error
        }
    }

    /// Closes and removes the partial file. Safe to call more than once; the writer is unusable
    /// afterwards.
    public func abort() {
        guard !isFinished else { return }
        isFinished = true
        output.discard()
    }

    /// The whole file's bytes, for in-memory outputs (`encodeParquet`).
    var memoryBytes: [UInt8] { output.memory }
}

/// The 4-byte magic at both ends of a Parquet file.
let magic: [UInt8] = Array("PAR1".utf8)

/// FileMetaData, its uint32 LE length, "PAR1".
func writeFooter(_ meta: FileMetaData, to output: ParquetOutput) throws(ParquetError) {
    let footer = meta.encoded()
    try output.write(footer)
    try output.write(withUnsafeBytes(of: UInt32(footer.count).littleEndian) { Array($0) })
    try output.write(magic)
}

/// What a finished file holds: the Delta layer turns this into an `add` action and its stats.
public struct ParquetFileSummary: Sendable {
    public var path: String
    public var sizeBytes: Int64
    public var rowCount: Int64
    /// Per schema field (for nested files: per leaf column), over the whole file.
    public var statistics: [ColumnStatistics]
    /// The footer as written (layout dumps, tests).
    public var metadata: FileMetaData
}

/// Encodes `batch` as a complete Parquet file in memory (tests, small payloads).
public func encodeParquet(_ batch: RecordBatch, options: ParquetWriterOptions = .init()) throws -> [UInt8] {
    let writer = try ParquetFileWriter(output: ParquetOutput(memoryNamed: "<memory>"), schema: batch.schema, options: options)
    try writer.write(batch)
    _ = try writer.finish()
    return writer.memoryBytes
}
