import FSCore
import FSTable

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The behaviour of each `fs-table` command, on top of FSTable.
enum Commands {
    /// Prints every row of a table, directory or file as JSON lines (files in path order, rows
    /// in file order).
    static func dump(_ path: String, columns: [String]?) throws {
        var scan = try TableScan.open(path, columns: columns)
        try scan.forEachBatch { batch in
            var out = ""
            out.reserveCapacity(batch.rowCount * 64)
            RowJSONPrinter.write(batch, to: &out)
            writeText(out)
        }
    }

    /// Version, files, partitions, row count and txns of a Delta table, as one JSON object.
    static func info(_ path: String) throws -> JSONValue {
        let s = try DeltaTable.open(at: path).snapshot()
        let files = s.sortedFiles
        var rows: Int64 = 0
        for f in files { rows += f.stats.flatMap { FileStatistics.parse($0, schema: s.schema)?.numRecords } ?? 0 }
        var partitions: [String] = []
        for f in files {
            let dir = PartitionValues.directory(columns: s.partitionColumns, values: f.partitionValues)
            if partitions.last != dir && !partitions.contains(dir) { partitions.append(dir) }
        }
        let listing = try LogReplay.list(LogPath(root: s.root))
        let schema: [JSONValue] = s.schema.fields.map { .object([("name", .string($0.name)), ("type", .string($0.type.deltaName)), ("nullable", .bool($0.isNullable))]) }
        let txns: [(String, JSONValue)] = s.txns.keys.sorted().map { ($0, JSONValue.int(s.txns[$0]?.version ?? 0)) }
        return .object([
            ("version", .int(s.version)),
            ("numFiles", .int(Int64(files.count))),
            ("numRecords", .int(rows)),
            ("partitionColumns", .array(s.partitionColumns.map { .string($0) })),
            ("schema", .array(schema)),
            ("partitions", .array(partitions.sorted().map { .string($0) })),
            ("files", .array(files.map { .string($0.path) })),
            ("txns", .object(txns)),
            ("checkpoints", .array(listing.checkpoints.map { .int($0.version) })),
        ])
    }

    /// Appends `commits` one-row commits (ids idBase…), racing with whoever else commits.
    static func raceAppend(_ path: String, commits: Int, idBase: Int64) throws {
        let writer = try TableWriter(table: try DeltaTable.open(at: path), options: noCleanup())
        var lost = 0
        var versions: [JSONValue] = []
        for k in 0..<commits {
            var b = SampleTable.batch(0..<1)
            b.columns[0] = Column(type: .int64, values: .int64([idBase + Int64(k)]))
            try writer.write(b)
            let r = try writer.commit()
            lost += r.lostRaces
            if let v = r.version { versions.append(.int(v)) }
        }
        writeText(JSONValue.object([("commits", .int(Int64(versions.count))), ("lostRaces", .int(Int64(lost))), ("versions", .array(versions))]).description + "\n")
    }

    /// Writes `rows` sample rows and stops forever at a point of the write (for kill -9 tests):
    /// `staged` with the data file still open under `_staging/`, or `placed` after the files
    /// were moved into their partitions but before the commit. Prints the point's name first.
    static func hangWrite(_ path: String, rows: Int, at point: String) throws {
        var options = noCleanup()
        let announce: @Sendable () -> Void = {
            writeText(point + "\n")
            while true { sleep(60) }
        }
        switch point {
        case "staged": break
        case "placed": options.beforeCommit = announce
        default: throw ToolError.usage("--at must be staged or placed")
        }
        let writer = try TableWriter(table: try DeltaTable.open(at: path), options: options)
        try writer.write(SampleTable.batch(0..<rows))
        if point == "staged" { announce() }
        try writer.commit()
    }

    private static func noCleanup() -> TableWriterOptions {
        var o = TableWriterOptions()
        o.orphanGracePeriodMillis = nil
        return o
    }
}
