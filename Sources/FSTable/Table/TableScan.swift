import Dispatch
import FSCore
import FSParquet
import Synchronization

/// One data file a scan will read.
public struct ScanFile: Sendable, Equatable {
    /// Absolute path.
    public var path: String
    /// Path relative to the table root (the log's decoded `add.path`).
    public var relativePath: String
    /// Typed partition values, in `TableScan.partitionFields` order.
    public var partitionValues: [Value]
    /// Delta per-file statistics, when the log has them: of the columns the scan reads and those
    /// its predicate names (every column when the scan reads them all).
    public var stats: FileStatistics?
    public var sizeBytes: Int64
}

/// What a scan skipped and read: the evidence that pruning works.
public struct ScanMetrics: Sendable, Equatable {
    public var filesTotal = 0
    /// Files excluded by their partition values alone.
    public var filesPrunedByPartition = 0
    /// Files excluded by their Delta statistics.
    public var filesSkippedByStats = 0
    public var rowGroupsRead = 0
    /// Row groups excluded by their Parquet footer statistics.
    public var rowGroupsSkipped = 0

    public var filesToRead: Int { filesTotal - filesPrunedByPartition - filesSkippedByStats }
    public init() {}
}

/// Reads a Delta table (or a plain hive-partitioned Parquet directory, or one Parquet file) as
/// record batches: partition pruning, then statistics skipping of files, then of row groups,
/// then projection; partition columns are re-attached as typed constant columns.
///
/// The predicates only *skip*: every row of a file or row group that may match is returned,
/// and filtering rows is the caller's job.
public struct TableScan: Sendable {
    /// Every column of the dataset, partition columns included.
    public let tableSchema: Schema
    public let partitionFields: [Field]
    /// The columns returned, in the order asked.
    public let outputSchema: Schema
    /// Files left after pruning and skipping, in path order.
    public let files: [ScanFile]
    public let predicate: ScanPredicate?
    /// The Delta version read; nil for non-Delta datasets.
    public let version: Int64?
    public private(set) var metrics: ScanMetrics

    /// Scans a snapshot. `partitionFilter` may mention only partition columns; `predicate` any
    /// column (partition columns use their exact values, others the statistics).
    /// `onlyPaths` restricts the scan to those live files (relative paths), e.g. the files one
    /// range of commits added.
    public init(snapshot: Snapshot, columns: [String]? = nil, partitionFilter: ScanPredicate? = nil, predicate: ScanPredicate? = nil,
                onlyPaths: Set<String>? = nil) throws {
        let parts = snapshot.partitionFields
        var candidates: [ScanFile] = []
        let adds = snapshot.sortedFiles.filter { onlyPaths?.contains($0.path) ?? true }
        // Only the columns read or tested: fs-agg-online reads a few of its input's 30 columns,
        // and typing every other column's bounds for each of the 365 files is start-up work
        // done before any row is read.
        let statsSchema = columns.map { read in
            let wanted = Set((read + (predicate?.columns ?? [])).map { $0.lowercased() })
            return Schema(snapshot.schema.fields.filter { wanted.contains($0.name.lowercased()) })
        } ?? snapshot.schema
        let stats = Self.parseStatistics(adds.map(\.stats), schema: statsSchema)
        for (add, stats) in zip(adds, stats) {
            let values = try PartitionValues.typedValues(add.partitionValues, fields: parts, file: add.path)
            candidates.append(ScanFile(path: snapshot.absolutePath(add.path), relativePath: add.path, partitionValues: values,
                                       stats: stats, sizeBytes: add.size))
        }
        try self.init(tableSchema: snapshot.schema, partitionFields: parts, candidates: candidates, columns: columns,
                      partitionFilter: partitionFilter, predicate: predicate, version: snapshot.version)
    }

    /// The files' statistics parsed from their JSON, in order; a few hundred or more on every
    /// core: fs-agg-online's start (before any row is read, both cores otherwise idle) spent
    /// ~40 ms parsing the 365 day files' statistics of the bench input on one.
    static func parseStatistics(_ texts: [String?], schema: Schema) -> [FileStatistics?] {
        let parse: @Sendable (String?) -> FileStatistics? = { $0.flatMap { FileStatistics.parse($0, schema: schema) } }
        guard texts.count >= 128 else { return texts.map(parse) }
        let chunks = 8
        let parsed = Mutex<[[FileStatistics?]]>(Array(repeating: [], count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let part = texts[(texts.count * c / chunks)..<(texts.count * (c + 1) / chunks)].map(parse)
            parsed.withLock { $0[c] = part }
        }
        return parsed.withLock { $0.flatMap { $0 } }
    }

    /// Scans the newest snapshot of a table.
    public init(table: DeltaTable, columns: [String]? = nil, partitionFilter: ScanPredicate? = nil, predicate: ScanPredicate? = nil) throws {
        try self.init(snapshot: try table.snapshot(), columns: columns, partitionFilter: partitionFilter, predicate: predicate)
    }

    /// Scans whatever `path` is: a Delta table, a hive-partitioned Parquet directory, or a file.
    public static func open(_ path: String, columns: [String]? = nil, partitionFilter: ScanPredicate? = nil, predicate: ScanPredicate? = nil) throws -> TableScan {
        if try DeltaTable.exists(at: path) { return try TableScan(table: DeltaTable(root: path), columns: columns, partitionFilter: partitionFilter, predicate: predicate) }
        if FileSystem.isDirectory(path) { return try TableScan(hiveDirectory: path, columns: columns, partitionFilter: partitionFilter, predicate: predicate) }
        return try TableScan(parquetFile: path, columns: columns, predicate: predicate)
    }

    /// Scans one Parquet file.
    public init(parquetFile path: String, columns: [String]? = nil, predicate: ScanPredicate? = nil) throws {
        let reader = try ParquetFileReader(path: path)
        let size = (try? FileSystem.attributes(path).size) ?? 0
        let name = path.split(separator: "/").last.map(String.init) ?? path
        try self.init(tableSchema: reader.schema, partitionFields: [], candidates: [ScanFile(path: path, relativePath: name, partitionValues: [], stats: nil, sizeBytes: size)],
                      columns: columns, partitionFilter: nil, predicate: predicate, version: nil)
    }

    /// Scans a plain hive-partitioned directory (no `_delta_log`): every non-hidden file under
    /// `k=v` directories. Partition column types are inferred (int32, int64, double, else string).
    public init(hiveDirectory root: String, columns: [String]? = nil, partitionFilter: ScanPredicate? = nil, predicate: ScanPredicate? = nil) throws {
        let rels = try FileSystem.walkFiles(root) { dir in !dir.split(separator: "/").contains { LogPath.isHidden(component: $0) } }
            .filter { rel in !(rel.split(separator: "/").last.map { LogPath.isHidden(component: $0) } ?? true) }
        // A Delta table's directory also holds the Parquet files its log removed: reading them
        // as a plain directory would count removed rows as live. A `_delta_log` we could not
        // make a table of (no commit yet, or unreadable) is refused, never ignored.
        if try FileSystem.directoryStatus(LogPath(root: root).logDirectory) != nil {
            throw TableError.notADataset(path: root, reason: "has a _delta_log but no readable commit; not reading its Parquet files as a plain directory")
        }
        guard let first = rels.first else { throw TableError.notADataset(path: root, reason: "no Parquet files and no _delta_log") }
        var keys: [String]? = nil
        var raw: [[String?]] = []
        for rel in rels {
            var k: [String] = [], v: [String?] = []
            for comp in rel.split(separator: "/").dropLast() {
                guard let (c, value) = PartitionValues.parseDirectoryComponent(String(comp)) else {
                    throw TableError.notADataset(path: root + "/" + rel, reason: "directory \(comp) is not a k=v partition")
                }
                k.append(c); v.append(value)
            }
            if let keys, keys != k { throw TableError.notADataset(path: root + "/" + rel, reason: "partition columns \(k) differ from \(keys)") }
            keys = k
            raw.append(v)
        }
        let dataSchema = try ParquetFileReader(path: root + "/" + first).schema
        let keyList = keys ?? []
        // Columns stored in the files win over same-named directory keys.
        let partKeys = keyList.enumerated().filter { dataSchema.index(of: $0.element) == nil }
        let partFields = partKeys.map { k in Field(k.element, TableScan.inferType(raw.map { $0[k.offset] })) }
        var candidates: [ScanFile] = []
        for (rel, values) in zip(rels, raw) {
            let typed = zip(partKeys, partFields).map { k, f in PartitionValues.parse(values[k.offset], as: f.type) ?? .null }
            let size = (try? FileSystem.attributes(root + "/" + rel).size) ?? 0
            candidates.append(ScanFile(path: root + "/" + rel, relativePath: rel, partitionValues: typed, stats: nil, sizeBytes: size))
        }
        try self.init(tableSchema: Schema(dataSchema.fields + partFields), partitionFields: partFields, candidates: candidates, columns: columns,
                      partitionFilter: partitionFilter, predicate: predicate, version: nil)
    }

    private init(tableSchema: Schema, partitionFields: [Field], candidates: [ScanFile], columns: [String]?,
                 partitionFilter: ScanPredicate?, predicate: ScanPredicate?, version: Int64?) throws {
        self.tableSchema = tableSchema
        self.partitionFields = partitionFields
        let names = columns ?? tableSchema.names
        guard let out = tableSchema.projected(names) else {
            throw TableError.unknownColumn(names.first { tableSchema.index(of: $0) == nil } ?? "?")
        }
        for p in [partitionFilter, predicate].compactMap({ $0 }) {
            if let bad = p.columns.sorted().first(where: { tableSchema.index(of: $0) == nil }) { throw TableError.unknownColumn(bad) }
        }
        if let pf = partitionFilter, let bad = pf.columns.sorted().first(where: { c in !partitionFields.contains { $0.name.lowercased() == c.lowercased() } }) {
            throw TableError.schemaMismatch(reason: "partition filter column \(bad) is not a partition column")
        }
        self.outputSchema = out
        self.predicate = predicate
        self.version = version
        var m = ScanMetrics()
        m.filesTotal = candidates.count
        var kept: [ScanFile] = []
        for f in candidates {
            let partitionOnly = TableScan.partitionRanges(f, fields: partitionFields)
            if !(partitionFilter?.mayMatch(partitionOnly) ?? true) || !(predicate?.mayMatch(partitionOnly) ?? true) {
                m.filesPrunedByPartition += 1
                continue
            }
            if let p = predicate, let stats = f.stats {
                let withStats: (String) -> ColumnRange? = { c in
                    partitionOnly(c) ?? stats.column(c).map { ColumnRange.deltaStats($0, rowCount: stats.numRecords) }
                }
                if !p.mayMatch(withStats) { m.filesSkippedByStats += 1; continue }
            }
            kept.append(f)
        }
        self.files = kept
        self.metrics = m
    }

    /// Exact ranges of the partition columns of one file; nil for other columns.
    static func partitionRanges(_ f: ScanFile, fields: [Field]) -> (String) -> ColumnRange? {
        { c in
            let lower = c.lowercased()
            guard let i = fields.firstIndex(where: { $0.name.lowercased() == lower }) else { return nil }
            return ColumnRange.partition(f.partitionValues[i], rowCount: f.stats?.numRecords)
        }
    }

    static func inferType(_ values: [String?]) -> DataType {
        let present = values.compactMap { $0 }.filter { !$0.isEmpty }
        if present.allSatisfy({ Int32($0) != nil }) { return .int32 }
        if present.allSatisfy({ Int64($0) != nil }) { return .int64 }
        if present.allSatisfy({ Double($0) != nil }) { return .double }
        return .string
    }

    // MARK: Reading

    /// Calls `body` with each batch (one per row group read), files in path order.
    public mutating func forEachBatch(_ body: (RecordBatch) throws -> Void) throws {
        for f in files { try read(f, rowGroups: nil) { batch, _ in try body(batch) } }
    }

    /// Calls `body` with each batch of one of `files` (for callers that split the files across
    /// threads: each thread reads its share through its own copy of the scan, whose `metrics`
    /// then count that share's row groups).
    public mutating func forEachBatch(in file: ScanFile, _ body: (RecordBatch) throws -> Void) throws {
        try read(file, rowGroups: nil) { batch, _ in try body(batch) }
    }

    /// Calls `body` with each batch of the row groups `rowGroups` of `file` (all when nil) and
    /// the position of the batch's first row in the file, for callers that split one file's
    /// row groups across threads and need a row order that does not depend on the split.
    public mutating func forEachBatch(in file: ScanFile, rowGroups: Range<Int>?, _ body: (RecordBatch, Int64) throws -> Void) throws {
        try read(file, rowGroups: rowGroups, body)
    }

    /// The compressed bytes of each row group of `file`, from its footer (to balance row
    /// groups across threads when a scan has few files).
    public func rowGroupBytes(of file: ScanFile) throws -> [Int64] {
        let reader = try ParquetFileReader(path: file.path)
        return reader.metadata.rowGroups.map { group in
            group.totalCompressedSize ?? group.columns.reduce(0) { $0 + ($1.metaData?.totalCompressedSize ?? 0) }
        }
    }

    /// Every batch concatenated.
    public mutating func readAll() throws -> RecordBatch {
        var batches: [RecordBatch] = []
        try forEachBatch { batches.append($0) }
        return RecordBatch.concatenate(batches, schema: outputSchema)
    }

    private mutating func read(_ f: ScanFile, rowGroups: Range<Int>?, _ body: (RecordBatch, Int64) throws -> Void) throws {
        let reader = try ParquetFileReader(path: f.path)
        let fileSchema = reader.schema
        let partIndex: [String: Int] = Dictionary(uniqueKeysWithValues: partitionFields.enumerated().map { ($1.name.lowercased(), $0) })
        let dataNames = outputSchema.fields.filter { partIndex[$0.name.lowercased()] == nil }.compactMap { fileSchema.field(named: $0.name)?.name }
        let partitionOnly = TableScan.partitionRanges(f, fields: partitionFields)
        var firstRow: Int64 = 0
        for (g, info) in reader.rowGroups.enumerated() {
            defer { firstRow += info.rowCount }
            if let only = rowGroups, !only.contains(g) { continue }
            if let p = predicate {
                let ranges: (String) -> ColumnRange? = { c in
                    if let r = partitionOnly(c) { return r }
                    guard let i = fileSchema.index(of: c), i < info.statistics.count, let s = info.statistics[i] else { return nil }
                    let isDouble = fileSchema.fields[i].type == .double
                    return ColumnRange(min: s.min, max: s.max, nullCount: s.nullCount, rowCount: info.rowCount,
                                       mayContainNaN: isDouble && (s.nanCount ?? 1) > 0)
                }
                if !p.mayMatch(ranges) { metrics.rowGroupsSkipped += 1; continue }
            }
            metrics.rowGroupsRead += 1
            let rows = Int(info.rowCount)
            let data: RecordBatch? = dataNames.isEmpty ? nil : try reader.read(rowGroup: g, columns: dataNames)
            var cols: [Column] = []
            for field in outputSchema.fields {
                if let pi = partIndex[field.name.lowercased()] {
                    cols.append(constantColumn(field.type, f.partitionValues[pi], count: rows))
                } else if let col = data?.column(named: field.name) {
                    cols.append(try cast(col, to: field.type, file: f.path, column: field.name))
                } else {
                    cols.append(Column.nulls(field.type, count: rows))
                }
            }
            try body(RecordBatch(schema: outputSchema, columns: cols), firstRow)
        }
    }
}

/// A column of `count` copies of `v`.
func constantColumn(_ type: DataType, _ v: Value, count: Int) -> Column {
    switch (type, v) {
    case (_, .null): return Column.nulls(type, count: count)
    case (.int32, .int32(let x)), (.date, .date(let x)): return Column(type: type, values: .int32(Array(repeating: x, count: count)))
    case (.int64, .int64(let x)), (.timestamp, .timestamp(let x)): return Column(type: type, values: .int64(Array(repeating: x, count: count)))
    case (.double, .double(let x)): return Column(type: type, values: .double(Array(repeating: x, count: count)))
    case (.boolean, .boolean(let x)): return Column(type: type, values: .boolean(Array(repeating: x, count: count)))
    case (.string, .string(let s)):
        var a = StringArray()
        a.reserveCapacity(rows: count, bytes: s.utf8.count * count)
        for _ in 0..<count { a.append(s) }
        return Column(type: type, values: .string(a))
    default:
        var b = ColumnBuilder(type: type, capacity: count)
        for _ in 0..<count { b.append(v) }
        return b.finish()
    }
}

/// Widens a file column to the table's type (int32 → int64/double, int64 → double); other
/// differences are a schema mismatch naming the file and column.
func cast(_ c: Column, to type: DataType, file: String, column: String) throws -> Column {
    if c.type == type { return c }
    switch (c.values, type) {
    case (.int32(let v), .int64): return Column(type: type, values: .int64(v.map(Int64.init)), validity: c.validity)
    case (.int32(let v), .double): return Column(type: type, values: .double(v.map(Double.init)), validity: c.validity)
    case (.int64(let v), .double): return Column(type: type, values: .double(v.map(Double.init)), validity: c.validity)
    case (.int32, .int32), (.int64, .int64): return Column(type: type, values: c.values, validity: c.validity)
    default: throw TableError.schemaMismatch(reason: "\(file): column \(column) is \(c.type), the table says \(type)")
    }
}
