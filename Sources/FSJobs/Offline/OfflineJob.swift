import FSAggregation
import FSCore
import FSExpr
import FSTable
import Logging

/// What an offline run did; printed as the `--summary` JSON and asserted by tests.
public struct OfflineSummary: JobSummaryDetails, Equatable {
    public var start = ""
    public var end = ""
    public var partition = ""
    public var features = 0
    public var filesTotal = 0
    public var filesPruned = 0
    public var filesSkippedByStats = 0
    public var filesRead = 0
    public var rowGroupsRead = 0
    public var rowGroupsSkipped = 0
    public var rowsRead: Int64 = 0
    public var rowsInRange: Int64 = 0
    public var keys = 0
    public var outputVersion: Int64?
    public var threads = 1
    /// Hash partitions of the keys, one shared table each (1: per-thread tables merged, used
    /// for one thread or when an aggregate depends on row order).
    public var keyPartitions = 1
    /// Wall time of the run (planning, scan, aggregation, write), in seconds.
    public var seconds = 0.0
    /// A run that returns has written its partition: there is no partial outcome.
    public var status: JobStatus { .completed }

    public var details: [(String, JSONValue)] {
        [
            ("start", .string(start)), ("end", .string(end)), ("partition", .string(partition)),
            ("features", .int(Int64(features))), ("threads", .int(Int64(threads))), ("keyPartitions", .int(Int64(keyPartitions))),
            ("filesTotal", .int(Int64(filesTotal))), ("filesPruned", .int(Int64(filesPruned))),
            ("filesSkippedByStats", .int(Int64(filesSkippedByStats))), ("filesRead", .int(Int64(filesRead))),
            ("rowGroupsRead", .int(Int64(rowGroupsRead))), ("rowGroupsSkipped", .int(Int64(rowGroupsSkipped))),
            ("rowsRead", .int(rowsRead)), ("rowsInRange", .int(rowsInRange)), ("keys", .int(Int64(keys))),
            ("outputVersion", outputVersion.map(JSONValue.int) ?? .null),
        ]
    }
}

/// One offline aggregation run: plan the features against the input's schema, scan only what
/// the range needs, fold everything in one parallel pass, and replace the end-date partition of
/// the output in one commit. A batch job: a signal ends it at once, and the output's last
/// commit stays what it was.
public struct OfflineJob: RunnableJob {
    public let config: OfflineConfig
    public var clock: any WallClock = SystemWallClock()
    let logger: Logger

    public init(config: OfflineConfig, logger: Logger = Logger(label: "fs-agg-offline")) {
        self.config = config
        self.logger = logger
    }

    public func run() throws -> OfflineSummary {
        let started = monotonicSeconds()
        logger.info("starting", metadata: ["app_name": "\(config.common.appName)", "input": "\(config.inputTable)", "output": "\(config.outputTable)",
                                           "master_mode": "\(config.common.masterMode)"])
        let range = config.range
        // 1. The input's schema, and every name checked against it before reading data.
        let probe = try openInput(partitionFilter: nil, predicate: nil, columns: nil)
        let schema = probe.tableSchema
        guard let timeField = schema.field(named: config.timeField) else {
            throw OfflineError.unknownColumn(flag: "--time-field", problem: bindProblem(config.timeField, schema))
        }
        guard timeField.type == .timestamp || timeField.type == .date else {
            throw OfflineError.badTimeField(name: timeField.name, type: timeField.type)
        }
        guard schema.field(named: config.aggField) != nil else {
            throw OfflineError.unknownColumn(flag: "--agg-field", problem: bindProblem(config.aggField, schema))
        }
        let fullPlan = try FeaturePlan(definitions: config.definitions, schema: schema, groupBy: config.aggField)
        // 2. Only the columns the plan reads (plus key and time).
        var needed = [schema.field(named: config.aggField)!.name, timeField.name]
        for a in fullPlan.aggregates {
            for name in a.call.referencedColumns where !needed.contains(name) { needed.append(name) }
        }
        let partitionFilter = OfflinePruning.partitionFilter(partitionFields: probe.partitionFields, range: range)
        let timePredicate = OfflinePruning.timePredicate(timeField: timeField, range: range)
        let scan = try openInput(partitionFilter: partitionFilter, predicate: timePredicate, columns: needed)
        let plan = try FeaturePlan(definitions: config.definitions, schema: scan.outputSchema, groupBy: config.aggField)
        guard let timeIndex = scan.outputSchema.index(of: timeField.name) else {
            throw OfflineError.unknownColumn(flag: "--time-field", problem: bindProblem(config.timeField, scan.outputSchema))
        }
        let day = range.outputDay
        var summary = OfflineSummary(start: formatISO8601(micros: range.startMicros), end: formatISO8601(micros: range.endMicros),
                                     partition: "year=\(day.year)/month=\(day.month)/day=\(day.day)", features: plan.features.count)
        let m = scan.metrics
        summary.filesTotal = m.filesTotal
        summary.filesPruned = m.filesPrunedByPartition
        summary.filesSkippedByStats = m.filesSkippedByStats
        summary.filesRead = scan.files.count
        logger.info("scanning", metadata: [
            "range": "[\(summary.start), \(summary.end))", "files_total": "\(m.filesTotal)", "files_pruned": "\(m.filesPrunedByPartition)",
            "files_skipped_by_stats": "\(m.filesSkippedByStats)", "files_to_read": "\(scan.files.count)", "columns": "\(needed.joined(separator: ","))",
            "features": "\(plan.features.count)", "aggregates": "\(plan.aggregates.count)", "periods": "\(plan.periods.count)",
        ])

        // 3. One pass, all features and periods, per-thread tables merged.
        let foldRange = OfflineFoldRange(start: range.startMicros, end: range.endMicros, periodStarts: plan.periods.map(range.periodStart))
        let engine = OfflineEngine(plan: plan, range: foldRange, timeIndex: timeIndex, threads: config.common.masterMode.threads,
                                   nowMicros: clock.nowMicros())
        let style = ProgressStyle.detect(logLevel: logger.logLevel)
        let pass = try engine.run(TableScanSource(scan: scan)) { units, bytes, unitName in
            ScanProgress(totalUnits: units, totalBytes: bytes, unitName: unitName, style: style, logger: logger)
        }
        summary.rowGroupsRead = pass.rowGroupsRead
        summary.rowGroupsSkipped = pass.rowGroupsSkipped
        summary.rowsRead = pass.rowsRead
        summary.rowsInRange = pass.rowsInRange
        summary.keys = pass.groupCount
        summary.threads = pass.workers
        summary.keyPartitions = pass.isPartitioned ? pass.aggregators.count : 1
        logger.info("scanned", metadata: [
            "threads": "\(pass.workers)", "work_units": "\(pass.units)", "key_partitions": "\(summary.keyPartitions)",
            "fold_seconds": "\(formatSeconds(pass.foldSeconds))", "merge_seconds": "\(formatSeconds(pass.mergeSeconds))",
            "row_groups_read": "\(pass.rowGroupsRead)", "row_groups_skipped": "\(pass.rowGroupsSkipped)",
            "rows_read": "\(pass.rowsRead)", "rows_in_range": "\(pass.rowsInRange)", "keys": "\(summary.keys)",
        ])

        // 4. Features sorted by key, plus the partition columns; replace the partition.
        let outputStarted = monotonicSeconds()
        let now = clock.nowMicros()
        // Key partitions are disjoint tables: each finished on its own core.
        let aggregators = pass.aggregators
        let tables = parallelMap(count: aggregators.count) { plan.finish(aggregators[$0], nowMicros: now) }
        let features = OfflineOutput.sortedByKey(tables, schema: plan.outputSchema)
        let sortSeconds = monotonicSeconds() - outputStarted
        summary.outputVersion = try OfflineOutput.write(features, day: day, to: config.outputTable, clock: clock)
        logger.info("wrote features", metadata: ["partition": "\(summary.partition)", "rows": "\(features.rowCount)",
                                                 "finish_sort_seconds": "\(formatSeconds(sortSeconds))",
                                                 "write_seconds": "\(formatSeconds(monotonicSeconds() - outputStarted - sortSeconds))",
                                                 "version": "\(summary.outputVersion.map(String.init) ?? "none")"])
        summary.seconds = monotonicSeconds() - started
        return summary
    }

    private func openInput(partitionFilter: ScanPredicate?, predicate: ScanPredicate?, columns: [String]?) throws -> TableScan {
        let path = config.inputTable
        guard FileSystem.exists(path) else { throw OfflineError.inputMissing(path: path, reason: "no such file or directory") }
        do {
            return try TableScan.open(path, columns: columns, partitionFilter: partitionFilter, predicate: predicate)
        } catch let TableError.notADataset(_, reason) {
            throw OfflineError.inputMissing(path: path, reason: reason)
        }
    }
}

/// Seconds with three decimals, for log lines.
func formatSeconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

/// The binder's message for an unknown column (it lists the closest names of the schema).
func bindProblem(_ name: String, _ schema: Schema) -> String {
    do {
        _ = try Binder(schema: schema).bind(Identifier.quoted(name), mode: .scalar)
        return "column \(name) is not usable"
    } catch {
        // Keep "unknown column 'x'; did you mean 'y'?" without the caret of the synthetic text.
        let text = "\(error)"
        guard let cut = text.firstRange(of: " at column ") else { return text }
        return String(text[..<cut.lowerBound])
    }
}

extension String {
    /// Replaces every `target` character with `replacement` (no Foundation).
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
