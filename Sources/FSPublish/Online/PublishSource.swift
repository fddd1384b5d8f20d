import FSCore
import FSExpr
import FSJobs
import FSTable

/// The input table as an online-store publish reads it: which columns to scan, and how a scanned
/// batch becomes a batch of `layout.schema` (keys, time, features).
///
/// Key and time columns come from `--key-field`/`--time-field`, else from the table properties
/// the aggregation jobs record (`FeatureTableProperties`). An offline feature table's time is
/// derived: `feature_date`, a DATE built from the `year`/`month`/`day` partition values of each
/// row, published as a column like the others.
struct PublishSource: Equatable {
    let layout: PublishLayout
    /// Columns read from the table, in scan order.
    let scanColumns: [String]
    /// For a derived time: the positions of year, month and day in `scanColumns`.
    let derivedTimeFrom: [Int]?

    /// Resolves the layout of `snapshot` under `config`; usage errors (exit 64) name the flag and
    /// suggest close column names.
    static func resolve(_ snapshot: Snapshot, config: PublishConfig) throws(UsageError) -> PublishSource {
        let schema = snapshot.schema
        let props = snapshot.metadata.configuration
        let columnsList = schema.names.joined(separator: ", ")

        func field(_ name: String, flag: String) throws(UsageError) -> Field {
            if let f = schema.field(named: name) { return f }
            let close = closestNames(to: name, in: schema.names)
            let hint = close.isEmpty ? "" : "; did you mean \(close.map { "'\($0)'" }.joined(separator: " or "))?"
            throw UsageError(flag: flag, message: "column '\(name)' is not in the input table \(config.inputTable)\(hint) (columns: \(columnsList))")
        }

        // Keys.
        let keyNames: [String]
        if let k = config.keyFields {
            keyNames = k
        } else if let k = props[FeatureTableProperties.keyColumns], !k.isEmpty {
            keyNames = k.split(separator: ",").map(String.init)
        } else {
            throw UsageError(flag: "--key-field", message: "the input table \(config.inputTable) does not record its key columns (property \(FeatureTableProperties.keyColumns)); name them with --key-field (columns: \(columnsList))")
        }
        var keys: [Field] = []
        for n in keyNames { keys.append(try field(n, flag: "--key-field")) }

        // Time: a column, or the date derived from year/month/day partitions.
        let timeName: String
        let fromConfig = config.timeField == nil
        if let t = config.timeField {
            timeName = t
        } else if let t = props[FeatureTableProperties.timeColumn], !t.isEmpty {
            timeName = t
        } else {
            throw UsageError(flag: "--time-field", message: "the input table \(config.inputTable) does not record its time column (property \(FeatureTableProperties.timeColumn)); name the column that orders a key's rows with --time-field (columns: \(columnsList))")
        }
        var time: Field
        var derivedFrom: [String]? = nil
        if schema.field(named: timeName) == nil, fromConfig || timeName == props[FeatureTableProperties.timeColumn],
           let parts = props[FeatureTableProperties.timeFromPartitions]?.split(separator: ",").map(String.init), parts.count == 3 {
            for p in parts {
                guard let f = schema.field(named: p), f.type == .int32 || f.type == .int64 else {
                    throw UsageError(flag: "--time-field", message: "the input table derives \(timeName) from \(parts.joined(separator: ",")), but \(p) is not an integer column of it")
                }
            }
            time = Field(timeName, .date, isNullable: true)
            derivedFrom = parts
        } else {
            time = try field(timeName, flag: "--time-field")
            guard time.type != .boolean else {
                throw UsageError(flag: "--time-field", message: "column '\(time.name)' is boolean and cannot order the rows of a key; choose a timestamp, date or number column")
            }
        }
        if keys.contains(where: { $0.name == time.name }) {
            throw UsageError(flag: "--time-field", message: "column '\(time.name)' is also a key column")
        }

        // Features.
        let excluded = Set((keys.map(\.name) + [time.name]).map { $0.lowercased() })
        var features: [Field] = []
        if let cols = config.columns {
            for n in cols {
                let f = try field(n, flag: "--columns")
                if !excluded.contains(f.name.lowercased()) && !features.contains(f) { features.append(f) }
            }
        } else {
            let partitions = Set(snapshot.partitionColumns.map { $0.lowercased() })
            features = schema.fields.filter { !excluded.contains($0.name.lowercased()) && !partitions.contains($0.name.lowercased()) }
        }
        // Published names must be distinct case-insensitively (SQL identifiers are).
        var seen: Set<String> = []
        for f in keys + [time] + features where !seen.insert(f.name.lowercased()).inserted {
            throw UsageError(flag: "--columns", message: "column '\(f.name)' is published twice (names compare case-insensitively in the stores)")
        }

        var scan = keys.map(\.name)
        var derivedIndices: [Int]? = nil
        if let parts = derivedFrom {
            derivedIndices = []
            for p in parts {
                let name = schema.field(named: p)!.name
                if let i = scan.firstIndex(of: name) { derivedIndices!.append(i) } else { derivedIndices!.append(scan.count); scan.append(name) }
            }
        } else {
            scan.append(time.name)
        }
        for f in features where !scan.contains(f.name) { scan.append(f.name) }
        time.isNullable = true
        let layout = PublishLayout(target: config.outputTable, sourceTableId: snapshot.metadata.id, sourcePath: config.inputTable,
                                   keyColumns: keys, timeColumn: time, featureColumns: features)
        return PublishSource(layout: layout, scanColumns: scan, derivedTimeFrom: derivedIndices)
    }

    /// `batch` (columns `scanColumns`) as a batch of `layout.schema`.
    func project(_ batch: RecordBatch) -> RecordBatch {
        var columns: [Column] = []
        columns.reserveCapacity(layout.schema.count)
        for f in layout.keyColumns { columns.append(batch.column(named: f.name)!) }
        if let d = derivedTimeFrom {
            columns.append(Self.dates(year: batch.columns[d[0]], month: batch.columns[d[1]], day: batch.columns[d[2]]))
        } else {
            columns.append(batch.column(named: layout.timeColumn.name)!)
        }
        for f in layout.featureColumns { columns.append(batch.column(named: f.name)!) }
        return RecordBatch(schema: layout.schema, columns: columns)
    }

    /// A DATE column from year, month and day columns; NULL where a part is NULL or the parts
    /// are not a real date.
    static func dates(year: Column, month: Column, day: Column) -> Column {
        var b = ColumnBuilder(type: .date, capacity: year.count)
        for i in 0..<year.count {
            guard let y = year[i].asInt64, let m = month[i].asInt64, let d = day[i].asInt64 else { b.appendNull(); continue }
            let c = CivilDate(year: Int(y), month: Int(m), day: Int(d))
            if c.isValid { b.append(.date(Int32(truncatingIfNeeded: c.daysSinceEpoch))) } else { b.appendNull() }
        }
        return b.finish()
    }
}
