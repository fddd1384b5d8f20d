import Dispatch
import FSCore

/// Reads Parquet files written by fs and by other engines' defaults (table-format.md §2):
/// footer first, then only the column chunks a caller asks for.
///
/// ```
/// init ─► last 8 bytes (footer length, "PAR1") ─► footer ─► FileMetaData ─► schema tree
/// read(rowGroup:columns:) ─► per projected leaf: one pread of its chunk ─► ColumnChunkDecoder
/// ```
/// Flat reads return one `Column` per leaf whose repetition level is 0 (`schema`); nested files
/// (Delta checkpoints) are read whole with `readNested()`. Every malformed input is a
/// `ParquetError` naming the file, the column and the byte offset — never a crash.
public final class ParquetFileReader: Sendable {
    /// The name used in errors: the path, or the name given for in-memory bytes.
    public let file: String
    /// The raw footer, for layout dumps.
    public let metadata: FileMetaData
    /// Flat logical schema: one field per leaf column that is not inside a repeated group.
    public let schema: Schema
    /// Row groups with their row counts and per-field chunk statistics.
    public let rowGroups: [RowGroupInfo]

    let source: ReadSource
    let resolved: ResolvedSchema
    /// For each field of `schema`, the index of its leaf (= its chunk in every row group).
    let fieldLeaves: [Int]

    /// Bytes read from the end of a file at once: its footer too when that is smaller (fs's
    /// day files' footers are a few KiB), saving a read.
    static let tailReadBytes = 16 << 10

    /// "PAR1": the first and last four bytes of every Parquet file.
    static let magic: [UInt8] = [0x50, 0x41, 0x52, 0x31]

    /// Opens `path` and reads only its footer; column data is read on demand.
    public convenience init(path: String) throws(ParquetError) {
        let file: ReadOnlyFile
        do {
            file = try ReadOnlyFile(path)
        } catch {
            throw .io(error)
        }
        try self.init(source: .file(file), name: path)
    }

    /// A reader over a whole file held in memory.
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws(ParquetError) {
        try self.init(source: .memory(bytes), name: name)
    }

    init(source: ReadSource, name: String) throws(ParquetError) {
        file = name
        self.source = source
        let size = source.size
        guard size >= 12 else { throw .corruptFile(file: name, reason: "\(size) bytes is too short for a Parquet file") }
        // The last `tailReadBytes` in one read: the length, the magic and, usually, the footer.
        let window = Swift.min(size, Self.tailReadBytes)
        let (tailBytes, windowStart) = try source.read(offset: size - window, count: window, file: name)
        let tailStart = windowStart + window - 8
        guard Array(tailBytes[tailStart + 4 ..< tailStart + 8]) == Self.magic else {
            throw .corruptFile(file: name, reason: "missing the PAR1 magic at the end (not Parquet, or truncated)")
        }
        let (head, headStart) = window == size ? (tailBytes, windowStart) : try source.read(offset: 0, count: 4, file: name)
        guard Array(head[headStart ..< headStart + 4]) == Self.magic else {
            throw .corruptFile(file: name, reason: "missing the PAR1 magic at the start")
        }
        var footerLength = 0
        for i in 0 ..< 4 { footerLength |= Int(tailBytes[tailStart + i]) << (8 * i) }
        guard footerLength > 0, footerLength <= size - 12 else {
            throw .corruptFile(file: name, reason: "footer length \(footerLength) does not fit the \(size)-byte file")
        }
        let footerOffset = size - 8 - footerLength
        let footer: [UInt8]
        if footerLength + 8 <= window {
            let start = tailStart - footerLength
            footer = Array(tailBytes[start ..< tailStart])
        } else {
            let (footerBytes, footerStart) = try source.read(offset: footerOffset, count: footerLength, file: name)
            footer = footerStart == 0 && footerBytes.count == footerLength
                ? footerBytes : Array(footerBytes[footerStart ..< footerStart + footerLength])
        }
        do {
            var reader = CompactReader(bytes: footer, offset: 0, file: name)
            metadata = try FileMetaData(decoding: &reader)
        } catch {
            if case let .corruptMetadata(f, offset, reason) = error {
                throw .corruptMetadata(file: f, offset: offset + footerOffset, reason: "footer: \(reason)")
            }
            throw error
        }
        resolved = try ResolvedSchema(metadata.schema, file: name)
        let leaves = resolved.leaves
        for (g, group) in metadata.rowGroups.enumerated() {
            guard group.columns.count == leaves.count else {
                throw .corruptFile(file: name, reason: "row group \(g) has \(group.columns.count) column chunks, the schema \(leaves.count) leaves")
            }
            guard group.numRows >= 0 else { throw .corruptFile(file: name, reason: "row group \(g) has \(group.numRows) rows") }
            for (i, chunk) in group.columns.enumerated() {
                if chunk.filePath != nil {
                    throw .unsupported(file: name, column: leaves[i].name, feature: "column data in an external file")
                }
                guard chunk.metaData != nil else {
                    throw .corruptFile(file: name, reason: "row group \(g), column \(leaves[i].name): chunk without metadata")
                }
            }
        }
        let flat = leaves.filter { $0.maxRepetitionLevel == 0 }
        fieldLeaves = flat.map(\.index)
        schema = Schema(flat.map { Field($0.name, $0.dataType, isNullable: $0.isNullable) })
        let fieldLeaves = self.fieldLeaves
        rowGroups = metadata.rowGroups.map { group in
            RowGroupInfo(rowCount: group.numRows, statistics: fieldLeaves.map { leafIndex in
                group.columns[leafIndex].metaData?.statistics.flatMap { ColumnStatistics(chunk: $0, leaf: leaves[leafIndex]) }
            })
        }
    }

    /// Rows in the file (the sum over row groups).
    public var rowCount: Int64 { metadata.rowGroups.reduce(0) { $0 &+ $1.numRows } }

    /// The `created_by` string of the writer, if recorded.
    public var createdBy: String? { metadata.createdBy }

    // MARK: Flat reads

    /// The schema fields `columns` name (all fields when nil), as (field index, leaf index).
    func projection(_ columns: [String]?) throws(ParquetError) -> [Int] {
        guard let columns else { return Array(schema.fields.indices) }
        var out: [Int] = []
        for name in columns {
            guard let i = schema.index(of: name) else {
                throw .invalidArgument(file: file, column: name, reason: "no such column (the file has \(schema.names.joined(separator: ", ")))")
            }
            out.append(i)
        }
        return out
    }

    /// Reads one row group, decoding only the chunks of `columns` (all when nil).
    public func read(rowGroup: Int, columns: [String]? = nil) throws(ParquetError) -> RecordBatch {
        guard metadata.rowGroups.indices.contains(rowGroup) else {
            throw .invalidArgument(file: file, column: "-", reason: "row group \(rowGroup) does not exist (the file has \(metadata.rowGroups.count))")
        }
        return try readFlat(rowGroups: [rowGroup], fields: projection(columns))
    }

    /// Reads every row group into one batch, decoding only the chunks of `columns`.
    public func readAll(columns: [String]? = nil) throws(ParquetError) -> RecordBatch {
        try readFlat(rowGroups: Array(metadata.rowGroups.indices), fields: projection(columns))
    }

    func readFlat(rowGroups groups: [Int], fields: [Int]) throws(ParquetError) -> RecordBatch {
        let projected = Schema(fields.map { schema.fields[$0] })
        let leaves = fields.map { resolved.leaves[fieldLeaves[$0]] }
        var compressed = 0
        for g in groups { for l in leaves { compressed += Int(clamping: metadata.rowGroups[g].columns[l.index].metaData?.totalCompressedSize ?? 0) } }
        guard leaves.count > 1, compressed >= Self.parallelThreshold else {
            var columns: [Column] = []
            for leaf in leaves { columns.append(try readFlatColumn(leaf: leaf, rowGroups: groups)) }
            return RecordBatch(schema: projected, columns: columns)
        }
        // Columns are independent: decode them on all cores, largest first so the longest one
        // starts early. Each task writes only its own slot.
        let order = leaves.indices.sorted { a, b in
            groups.reduce(0) { $0 + (metadata.rowGroups[$1].columns[leaves[a].index].metaData?.totalCompressedSize ?? 0) }
                > groups.reduce(0) { $0 + (metadata.rowGroups[$1].columns[leaves[b].index].metaData?.totalCompressedSize ?? 0) }
        }
        let slots = ResultSlots(count: leaves.count)
        DispatchQueue.concurrentPerform(iterations: leaves.count) { k in
            let i = order[k]
            slots.set(i, Result { () throws(ParquetError) -> Column in try readFlatColumn(leaf: leaves[i], rowGroups: groups) })
        }
        var columns: [Column] = []
        for i in leaves.indices {
            switch slots.get(i) {
            case .success(let c)?: columns.append(c)
            case .failure(let e)?: throw e
            case nil: throw .corruptFile(file: file, reason: "column \(leaves[i].name) was not decoded")
            }
        }
        return RecordBatch(schema: projected, columns: columns)
    }

    /// Reads of at least this many compressed bytes decode their columns in parallel.
    static let parallelThreshold = 1 << 20

    /// Decodes one leaf over `groups` into a single column (no concatenation afterwards).
    func readFlatColumn(leaf: LeafColumn, rowGroups groups: [Int]) throws(ParquetError) -> Column {
        var rows = 0
        var bytes = 0
        for g in groups {
            rows += Int(clamping: metadata.rowGroups[g].numRows)
            bytes += Int(clamping: metadata.rowGroups[g].columns[leaf.index].metaData?.totalUncompressedSize ?? 0)
        }
        // Capacity hints only; clamped so a lying footer cannot reserve absurd memory up front.
        let limit = source.size * 64 + 1 << 20
        var output = ColumnAccumulator(type: leaf.dataType, expectedRows: Swift.min(rows, limit), expectedBytes: Swift.min(bytes, limit))
        for g in groups {
            let before = output.count
            try decodeChunk(leaf: leaf, rowGroup: g, into: &output, levels: nil)
            let expected = metadata.rowGroups[g].numRows
            guard Int64(output.count - before) == expected else {
                throw .corruptFile(file: file, reason: "row group \(g), column \(leaf.name): \(output.count - before) values for \(expected) rows")
            }
        }
        return output.finish()
    }

    /// Reads the chunk of `leaf` in row group `g` and decodes its pages into `output`.
    func decodeChunk(leaf: LeafColumn, rowGroup g: Int, into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?) throws(ParquetError) {
        guard let meta = metadata.rowGroups[g].columns[leaf.index].metaData else {
            throw .corruptFile(file: file, reason: "row group \(g), column \(leaf.name): chunk without metadata")
        }
        // An empty chunk has no pages to read (pyarrow records offset 0 for them).
        if meta.numValues == 0 { return }
        let (start, length) = try chunkRange(meta, leaf: leaf)
        var decoder = try ColumnChunkDecoder(file: file, leaf: leaf, meta: meta)
        let (bytes, index) = try source.read(offset: start, count: length, file: file)
        try decoder.decode(bytes, start: index, length: length, bytesFileOffset: start - index, into: &output, levels: levels)
    }

    /// The file byte range of a chunk: from its dictionary page (when it has one) or first data
    /// page, `total_compressed_size` bytes long, and inside the data area of the file.
    func chunkRange(_ meta: ColumnMetaData, leaf: LeafColumn) throws(ParquetError) -> (start: Int, length: Int) {
        var start = meta.dataPageOffset
        // Some writers record a dictionary offset of 0 or past the data page: ignore those.
        if let d = meta.dictionaryPageOffset, d >= 4, d < start { start = d }
        let length = meta.totalCompressedSize
        let dataEnd = Int64(source.size - 8)
        guard start >= 4, length >= 0, start <= dataEnd, length <= dataEnd - start else {
            throw .corruptPage(file: file, column: leaf.name, offset: Int(clamping: start),
                               reason: "chunk of \(length) bytes at offset \(start) lies outside the data of the \(source.size)-byte file")
        }
        return (Int(start), Int(length))
    }
}

/// One result slot per column for the parallel decode: each slot is written by exactly one
/// task and read only after `concurrentPerform` returned, so the slots never race.
private final class ResultSlots: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Result<Column, ParquetError>?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: Swift.max(count, 1))
        slots.initialize(repeating: nil, count: Swift.max(count, 1))
    }

    deinit {
        slots.deinitialize(count: Swift.max(count, 1))
        slots.deallocate()
    }

    func set(_ i: Int, _ r: Result<Column, ParquetError>) { slots[i] = r }
    func get(_ i: Int) -> Result<Column, ParquetError>? { slots[i] }
}
