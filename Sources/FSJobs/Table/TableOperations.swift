import FSCore
import FSTable

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The behaviour of each `fs-table` subcommand, on top of FSTable (`TableCommand` parses).
enum TableOperations {
    /// Prints every row of a table, directory or file as JSON lines (files in path order, rows
    /// in file order).
    static func dump(_ path: String, columns: [String]?) throws {
        var scan = try TableScan.open(path, columns: columns)
        try scan.forEachBatch { batch in
            var out = ""
            out.reserveCapacity(batch.rowCount * 64)
            RowJSONPrinter.write(batch, to: &out)
            JobRunner.write(out)
        }
    }

    /// Version, files, partitions, row count, txns, checkpoints and log size of a Delta table,
    /// as one JSON object (the interop suite and the Makefile read `version`, `numFiles`,
    /// `numRecords`).
    static func info(_ path: String) throws -> JSONValue {
        let s = try DeltaTable.open(at: path).snapshot()
        let files = s.sortedFiles
        var rows: Int64 = 0
        var bytes: Int64 = 0
        var perPartition: [String: Int] = [:]
        for f in files {
            rows += numRecords(f.stats) ?? 0
            bytes += f.size
            perPartition[PartitionValues.directory(columns: s.partitionColumns, values: f.partitionValues), default: 0] += 1
        }
        let log = LogPath(root: s.root)
        let listing = try LogReplay.list(log)
        var logBytes: Int64 = 0
        for name in try FileSystem.listDirectory(log.logDirectory) { logBytes += (try? FileSystem.attributes(log.logDirectory + "/" + name).size) ?? 0 }
        let schema: [JSONValue] = s.schema.fields.map { .object([("name", .string($0.name)), ("type", .string($0.type.deltaName)), ("nullable", .bool($0.isNullable))]) }
        let txns: [(String, JSONValue)] = s.txns.keys.sorted().map { ($0, JSONValue.int(s.txns[$0]?.version ?? 0)) }
        return .object([
            ("version", .int(s.version)),
            ("numFiles", .int(Int64(files.count))),
            ("numRecords", .int(rows)),
            ("sizeInBytes", .int(bytes)),
            ("partitionColumns", .array(s.partitionColumns.map { .string($0) })),
            ("schema", .array(schema)),
            ("partitions", .array(perPartition.keys.sorted().map { .string($0) })),
            ("maxFilesPerPartition", .int(Int64(perPartition.values.max() ?? 0))),
            ("files", .array(files.map { .string($0.path) })),
            ("txns", .object(txns)),
            ("checkpoints", .array(listing.checkpoints.map { .int($0.version) })),
            ("oldestVersion", listing.commits.first.map { .int($0) } ?? .null),
            ("logBytes", .int(logBytes)),
            ("tombstones", .int(Int64(s.tombstones.count))),
            ("properties", .object(s.metadata.configuration.entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value.map(JSONValue.string) ?? .null) })),
        ])
    }

    /// `numRecords` of an add's statistics JSON.
    static func numRecords(_ stats: String?) -> Int64? {
        guard let s = stats, let j = try? JSONValue.parse(s) else { return nil }
        return j["numRecords"]?.int64Value
    }

    /// One JSON object per version still in the log, newest first (at most `limit`).
    static func history(_ path: String, limit: Int?) throws -> [JSONValue] {
        let table = try DeltaTable.open(at: path)
        var versions = try LogReplay.list(table.log).commits.reversed().map { $0 }
        if let limit { versions = Array(versions.prefix(limit)) }
        return try versions.map { v in
            var info: JSONValue = .null
            var added = 0, removed = 0
            var rowsAdded: Int64 = 0, bytesAdded: Int64 = 0, bytesRemoved: Int64 = 0
            var dataChange = false
            var txns: [JSONValue] = []
            for a in try LogReplay.readCommit(table.log, version: v) {
                switch a {
                case .commitInfo(let j): info = j
                case .add(let add):
                    added += 1; bytesAdded += add.size; rowsAdded += numRecords(add.stats) ?? 0
                    dataChange = dataChange || add.dataChange
                case .remove(let r):
                    removed += 1; bytesRemoved += r.size ?? 0
                    dataChange = dataChange || r.dataChange
                case .txn(let t): txns.append(.object([("appId", .string(t.appId)), ("version", .int(t.version))]))
                default: break
                }
            }
            return .object([
                ("version", .int(v)),
                ("timestamp", info["timestamp"] ?? .null),
                ("operation", info["operation"] ?? .null),
                ("operationParameters", info["operationParameters"] ?? .null),
                ("filesAdded", .int(Int64(added))),
                ("filesRemoved", .int(Int64(removed))),
                ("rowsAdded", .int(rowsAdded)),
                ("bytesAdded", .int(bytesAdded)),
                ("bytesRemoved", .int(bytesRemoved)),
                ("dataChange", .bool(dataChange)),
                ("txns", .array(txns)),
            ])
        }
    }

    /// `history` as an aligned text table.
    static func historyText(_ entries: [JSONValue]) -> String {
        var out = "version  time                      operation        +files  -files  +rows      txns\n"
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        for e in entries {
            let time = e["timestamp"]?.int64Value.map { formatISO8601(micros: $0 * 1000, fractionDigits: 3) } ?? "-"
            let txns = (e["txns"]?.arrayValue ?? []).map { "\($0["appId"]?.stringValue ?? "?")=\($0["version"]?.int64Value ?? 0)" }.joined(separator: ",")
            out += pad(String(e["version"]?.int64Value ?? 0), 9) + pad(time, 26) + pad(e["operation"]?.stringValue ?? "-", 17)
                + pad(String(e["filesAdded"]?.int64Value ?? 0), 8) + pad(String(e["filesRemoved"]?.int64Value ?? 0), 8)
                + pad(String(e["rowsAdded"]?.int64Value ?? 0), 11) + txns + "\n"
        }
        return out
    }

    /// Runs `Optimize` and summarizes it.
    static func optimize(_ path: String, targetBytes: Int64, minFiles: Int, where text: String?) throws -> JSONValue {
        let table = try DeltaTable.open(at: path)
        let filter = try text.map { try PartitionFilter.parse($0, partitionFields: try table.snapshot().partitionFields) }
        let start = SystemWallClock().nowMicros()
        let r = try FSTable.Optimize(table: table, targetFileBytes: targetBytes, minFiles: minFiles, partitionFilter: filter).run()
        let partitions: [JSONValue] = r.partitions.map { p in
            .object([("partition", .string(p.partition)), ("filesRemoved", .int(Int64(p.filesRemoved))), ("filesAdded", .int(Int64(p.filesAdded))),
                     ("rows", .int(p.rows)), ("bytesRemoved", .int(p.bytesRemoved)), ("bytesAdded", .int(p.bytesAdded)),
                     ("versions", .array(p.versions.map { .int($0) })), ("skipped", p.skippedReason.map(JSONValue.string) ?? .null)])
        }
        return .object([
            ("operation", .string("optimize")), ("version", .int(r.version)), ("filesRemoved", .int(Int64(r.filesRemoved))),
            ("filesAdded", .int(Int64(r.filesAdded))), ("partitionsSkipped", .int(Int64(r.skipped))),
            ("seconds", .double(Double(SystemWallClock().nowMicros() - start) / 1e6)), ("partitions", .array(partitions)),
        ])
    }

    /// Runs `Vacuum` and summarizes it (the files listed, deleted or to delete).
    static func vacuum(_ path: String, retainHours: Double?, dryRun: Bool, force: Bool) throws -> JSONValue {
        let table = try DeltaTable.open(at: path)
        let r = try FSTable.Vacuum(table: table, retentionMillis: retainHours.map { Int64($0 * 3_600_000) }, isDryRun: dryRun, isForced: force).run()
        return .object([
            ("operation", .string("vacuum")), ("dryRun", .bool(r.isDryRun)), ("version", .int(r.version)),
            ("retentionHours", .double(Double(r.retentionMillis) / 3_600_000)), ("numFiles", .int(Int64(r.files.count))),
            ("bytes", .int(r.bytes)), ("files", .array(r.files.map { .string($0) })),
        ])
    }

    /// Checkpoints the newest version and cleans the expired log.
    static func checkpoint(_ path: String, cleanLog: Bool) throws -> JSONValue {
        let table = try DeltaTable.open(at: path)
        let s = try table.snapshot()
        let last = try FSTable.Checkpoint.write(s, log: table.log, nowMillis: table.clock.nowMicros() / 1000)
        var cleaned: LogCleanup.Result?
        if cleanLog && LogCleanup.isEnabled(s) { cleaned = try LogCleanup(clock: table.clock).clean(table.log, newestCheckpoint: s.version, retentionMillis: LogCleanup.retentionMillis(s)) }
        return .object([
            ("operation", .string("checkpoint")), ("version", .int(last.version)), ("actions", .int(last.size)),
            ("sizeInBytes", .int(last.sizeInBytes ?? 0)), ("logFilesDeleted", .int(Int64(cleaned?.deleted.count ?? 0))),
            ("oldestVersion", cleaned?.oldestVersion.map { .int($0) } ?? .null),
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
        JobRunner.write(JSONValue.object([("commits", .int(Int64(versions.count))), ("lostRaces", .int(Int64(lost))), ("versions", .array(versions))]).description + "\n")
    }

    /// What a long-running writer costs in memory on this table (issue #13, item 5): opens a
    /// `TableWriter` (replay), appends `commits` one-row commits, writes a checkpoint of the
    /// result, and prints the process's peak resident set (`VmHWM`, KiB) before opening, after
    /// opening, after the commits and at the end, with the tombstones the writer holds (none
    /// since it streams them back from the log at checkpoints) and the rows of its checkpoint.
    /// `WriterPeakMemoryTests` runs it on tables of 1k and 100k tombstones.
    static func writerMemory(_ path: String, commits: Int) throws {
        let before = peakResidentKiB()
        let writer = try TableWriter(table: try DeltaTable.open(at: path), options: noCleanup())
        let opened = peakResidentKiB()
        for k in 0..<commits {
            var b = SampleTable.batch(0..<1)
            b.columns[0] = Column(type: .int64, values: .int64([Int64(k)]))
            try writer.write(b)
            try writer.commit()
        }
        let committed = peakResidentKiB()
        let s = writer.snapshot
        let last = try FSTable.Checkpoint.write(s, log: writer.table.log, nowMillis: writer.table.clock.nowMicros() / 1000)
        JobRunner.write(JSONValue.object([
            ("version", .int(s.version)), ("tombstonesHeld", .int(Int64(s.tombstones.count))), ("checkpointActions", .int(last.size)),
            ("peakKiBBeforeOpen", .int(before)), ("peakKiBAfterOpen", .int(opened)), ("peakKiBAfterCommits", .int(committed)),
            ("peakKiB", .int(peakResidentKiB())),
        ]).description + "\n")
    }

    /// The process's peak resident set so far, in KiB: `VmHWM` of `/proc/self/status` (-1 when
    /// unreadable). Not `getrusage`'s `ru_maxrss`, which a spawned child starts from its
    /// parent's size.
    private static func peakResidentKiB() -> Int64 {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int64(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? -1
        }
        return -1
    }

    /// Writes `rows` sample rows and stops forever at a point of the write (for kill -9 tests):
    /// `staged` with the data file still open under `_staging/`, or `placed` after the files
    /// were moved into their partitions but before the commit. Prints the point's name first.
    static func hangWrite(_ path: String, rows: Int, at point: String) throws {
        var options = noCleanup()
        let announce: @Sendable () -> Void = {
            JobRunner.write(point + "\n")
            while true { sleep(60) }
        }
        switch point {
        case "staged": break
        case "placed": options.beforeCommit = announce
        default: throw UsageError(flag: "--at", message: "must be staged or placed")
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
