import FSCore

/// The rows of a batch that belong to one partition.
public struct PartitionSlice: Sendable {
    /// Typed partition values, in partition column order.
    public var values: [Value]
    /// The same as log strings (`add.partitionValues`).
    public var logValues: StringMap
    /// `fs_year=2019/fs_month=1/fs_day=17` (empty for an unpartitioned table).
    public var directory: String
    /// The rows, without the partition columns (they are never stored in the files).
    public var batch: RecordBatch
    /// The slice's rows within `batch`, as ascending runs: all of `batch`, except in
    /// `forEachSlice`, which passes a partition made of long runs of the input as the whole
    /// input and those runs.
    public var runs: [Range<Int>]
}

/// Splits batches by partition column values (§4).
///
/// Works column by column: each partition column maps its rows to small integer codes in one
/// typed loop, and the current groups are refined by those codes, so rows keep their order
/// within a partition and no per-row key is allocated for numeric columns.
public struct PartitionSplitter: Sendable {
    public let tableSchema: Schema
    public let partitionColumns: [String]
    /// Positions of the partition columns in the table schema.
    let partitionIndices: [Int]
    /// Positions of the stored (data) columns in the table schema.
    let dataIndices: [Int]
    public let dataSchema: Schema

    public init(tableSchema: Schema, partitionColumns: [String]) throws(TableError) {
        self.tableSchema = tableSchema
        self.partitionColumns = partitionColumns
        var pi: [Int] = []
        for c in partitionColumns {
            guard let i = tableSchema.index(of: c) else { throw .schemaMismatch(reason: "partition column \(c) is not in \(tableSchema)") }
            pi.append(i)
        }
        partitionIndices = pi
        dataIndices = tableSchema.fields.indices.filter { !pi.contains($0) }
        dataSchema = Schema(dataIndices.map { tableSchema.fields[$0] })
    }

    /// Reorders a batch's columns to the table schema (matched by name, case-insensitively),
    /// checking types; a missing or mistyped column is an error.
    public func conform(_ batch: RecordBatch) throws(TableError) -> RecordBatch {
        if batch.schema.fields.map({ "\($0.name):\($0.type)" }) == tableSchema.fields.map({ "\($0.name):\($0.type)" }) {
            return RecordBatch(schema: tableSchema, columns: batch.columns)
        }
        var cols: [Column] = []
        for f in tableSchema.fields {
            guard let i = batch.schema.index(of: f.name) else { throw .schemaMismatch(reason: "column \(f.name) is missing") }
            guard batch.schema.fields[i].type == f.type else {
                throw .schemaMismatch(reason: "column \(f.name) is \(batch.schema.fields[i].type), the table says \(f.type)")
            }
            cols.append(batch.columns[i])
        }
        if batch.schema.count != tableSchema.count {
            let extra = batch.schema.names.filter { tableSchema.index(of: $0) == nil }
            throw .schemaMismatch(reason: "unknown column(s) \(extra.joined(separator: ", "))")
        }
        return RecordBatch(schema: tableSchema, columns: cols)
    }

    /// The batch's rows grouped by partition, partitions in ascending value order.
    public func split(_ input: RecordBatch) throws(TableError) -> [PartitionSlice] {
        let (batch, groups) = try partitionRows(input)
        return groups.map { g in
            let (log, directory) = location(of: g.values)
            return slice(batch, g, log: log, directory: directory, single: groups.count == 1, runs: false)
        }
    }

    /// The same slices as `split`, in the same order, built one at a time: only the slice
    /// `body` is working on is alive, so a batch spanning many partitions is not copied whole
    /// a second time (the writer's memory bound relies on it).
    ///
    /// A partition whose rows come in long runs of the input (at least `minimumRunRows` on
    /// average) is not copied at all: its slice is the whole input's data columns with `runs`
    /// the runs. Time-ordered streams arrive that way — a Kafka topic's events, day after day,
    /// with days interleaved only where the partitions' consumers cross midnight — and
    /// gathering each chunk's days copied every byte of fs-ingest's input once more on its
    /// writer thread. Short runs are gathered: each run costs the writer a call per column.
    ///
    /// `include` sees every partition first, in the same order (its directory and row count),
    /// and only the partitions it accepts are sliced and passed to `body`: writer lanes that
    /// share a batch's partitions between them (fs-ingest's `ChunkWriter`) copy only their own.
    public func forEachSlice(_ input: RecordBatch, where include: ((_ directory: String, _ rows: Int) -> Bool)? = nil,
                             _ body: (PartitionSlice) throws -> Void) throws {
        let (batch, groups) = try partitionRows(input)
        for g in groups {
            let (log, directory) = location(of: g.values)
            if let include, !include(directory, g.rows.count) { continue }
            try body(slice(batch, g, log: log, directory: directory, single: groups.count == 1, runs: true))
        }
    }

    /// The conformed batch and, per partition in ascending value order, its values and rows.
    private func partitionRows(_ input: RecordBatch) throws(TableError) -> (RecordBatch, [(values: [Value], rows: [Int])]) {
        let batch = try conform(input)
        guard batch.rowCount > 0 else { return (batch, []) }
        // One partition (a day's rows, an unpartitioned table): no per-row grouping at all.
        if partitionIndices.allSatisfy({ Self.isConstant(batch.columns[$0]) }) {
            return (batch, [(values: partitionIndices.map { batch.columns[$0][0] }, rows: Array(0..<batch.rowCount))])
        }
        var groups: [[Int]] = [Array(0..<batch.rowCount)]
        for pi in partitionIndices {
            let codes = PartitionSplitter.codes(batch.columns[pi])
            var refined: [[Int]] = []
            for g in groups {
                var byCode: [Int32: Int] = [:]
                var parts: [[Int]] = []
                var lastCode = Int32.min, lastPart = 0  // runs of one partition skip the lookup
                for r in g {
                    let c = codes[r]
                    if c == lastCode { parts[lastPart].append(r); continue }
                    if let k = byCode[c] { lastPart = k } else { lastPart = parts.count; byCode[c] = parts.count; parts.append([]) }
                    lastCode = c
                    parts[lastPart].append(r)
                }
                refined.append(contentsOf: parts)
            }
            groups = refined
        }
        var out = groups.map { g in (values: partitionIndices.map { batch.columns[$0][g[0]] }, rows: g) }
        out.sort { a, b in
            for (x, y) in zip(a.values, b.values) {
                if valueLess(x, y) { return true }
                if valueLess(y, x) { return false }
            }
            return false
        }
        return (batch, out)
    }

    /// Average rows per run from which `forEachSlice` passes runs instead of a copy.
    static let minimumRunRows = 32

    /// One partition's rows (gathered unless they are the whole batch, or with `runs` long
    /// runs of it), without partition columns. A group's rows are ascending.
    private func slice(_ batch: RecordBatch, _ group: (values: [Value], rows: [Int]), log: StringMap, directory: String, single: Bool,
                       runs: Bool) -> PartitionSlice {
        var ranges: [Range<Int>] = single ? [0..<batch.rowCount] : []
        if !single && runs {
            var start = group.rows[0], end = start + 1
            for r in group.rows.dropFirst() {
                if r == end { end += 1; continue }
                ranges.append(start..<end)
                if ranges.count * Self.minimumRunRows > group.rows.count { break }
                start = r
                end = r + 1
            }
            ranges.append(start..<end)
            if ranges.count * Self.minimumRunRows > group.rows.count && ranges.count > 1 { ranges = [] }
        }
        let rows = ranges.isEmpty ? batch.gather(group.rows) : batch
        let data = RecordBatch(schema: dataSchema, columns: dataIndices.map { rows.columns[$0] })
        return PartitionSlice(values: group.values, logValues: log, directory: directory, batch: data, runs: ranges.isEmpty ? [0..<data.rowCount] : ranges)
    }

    /// A partition's values as the log writes them (`add.partitionValues`) and its directory.
    private func location(of values: [Value]) -> (log: StringMap, directory: String) {
        var log = StringMap()
        for (name, v) in zip(partitionColumns, values) { log.set(name, PartitionValues.serialize(v)) }
        return (log, PartitionValues.directory(columns: partitionColumns, values: log))
    }

    /// True when every row holds the same non-null value, bit for bit (a column that is not
    /// is grouped row by row, which also handles null/empty and ±0.0 sharing a partition).
    static func isConstant(_ col: Column) -> Bool {
        guard col.validity == nil, col.count > 0 else { return col.count == 0 }
        func same<T: Equatable>(_ v: [T]) -> Bool {
            v.withUnsafeBufferPointer { p in
                let first = p[0]
                for x in p where x != first { return false }
                return true
            }
        }
        switch col.values {
        case .boolean(let v): return same(v)
        case .int32(let v): return same(v)
        case .int64(let v): return same(v)
        case .double(let v): return same(v.map(\.bitPattern))
        case .string(let v):
            let first = v[0]
            guard !first.isEmpty else { return false }
            for i in 1..<v.count where v.length(i) != v.length(0) || v[i] != first { return false }
            return true
        }
    }

    /// Per-row codes of one column: equal codes ⇔ equal partition values (nulls and empty
    /// strings share a code, since Delta cannot tell them apart; -0.0 and 0.0 share one too).
    static func codes(_ col: Column) -> [Int32] {
        var out = [Int32](repeating: 0, count: col.count)
        let nullCode: Int32 = -1
        switch col.values {
        case .boolean(let v):
            for i in 0..<v.count { out[i] = v[i] ? 1 : 0 }
        case .int32(let v):
            var dict: [Int32: Int32] = [:]
            for i in 0..<v.count {
                if i > 0 && v[i] == v[i - 1] { out[i] = out[i - 1]; continue }  // runs (sorted input) skip the lookup
                if let c = dict[v[i]] { out[i] = c } else { let c = Int32(dict.count); dict[v[i]] = c; out[i] = c }
            }
        case .int64(let v):
            var dict: [Int64: Int32] = [:]
            for i in 0..<v.count {
                if i > 0 && v[i] == v[i - 1] { out[i] = out[i - 1]; continue }
                if let c = dict[v[i]] { out[i] = c } else { let c = Int32(dict.count); dict[v[i]] = c; out[i] = c }
            }
        case .double(let v):
            var dict: [UInt64: Int32] = [:]
            for i in 0..<v.count {
                let d = v[i] == 0 ? 0.0 : (v[i].isNaN ? Double.nan : v[i])
                let key = d.bitPattern
                if let c = dict[key] { out[i] = c } else { let c = Int32(dict.count); dict[key] = c; out[i] = c }
            }
        case .string(let v):
            var dict: [String: Int32] = [:]
            for i in 0..<v.count {
                if v.length(i) == 0 { out[i] = nullCode; continue }
                let s = v[i]
                if let c = dict[s] { out[i] = c } else { let c = Int32(dict.count); dict[s] = c; out[i] = c }
            }
        }
        if let validity = col.validity {
            for i in 0..<col.count where !validity.isValid(i) { out[i] = nullCode }
        }
        return out
    }
}
