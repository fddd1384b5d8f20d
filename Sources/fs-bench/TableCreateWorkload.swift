import FSCore
import FSParquet
import FSTable

/// Workload (a'): write one in-memory batch as a new Delta table partitioned by
/// fs_year/fs_month/fs_day (one file per day, ZSTD) in one commit — the ingest layout.
///
/// The input is read first (untimed); the timed section is create table → write → commit
/// (files staged, fsynced, renamed into their partitions, log entry put-if-absent). The peer
/// times pyarrow's `ds.write_dataset(..., partitioning=hive)`, which writes the same partition
/// directories but no log and no fsync. The table directory must not exist.
struct TableCreateWorkload {
    var input: String
    var table: String
    /// `TableWriterOptions.maxBufferedBytes` in MiB (nil: the writer's default; 0: no budget).
    var maxBufferedMiB: Int? = nil
    static let partitionColumns = ["fs_year", "fs_month", "fs_day"]

    func run() throws -> JSONValue {
        let batch = try ParquetFileReader(path: input).readAll()
        for c in Self.partitionColumns where batch.column(named: c)?.type != .int32 {
            throw BenchDataError(description: "\(input): needs an int32 column '\(c)' to partition by")
        }
        let watch = Stopwatch()
        let delta = try DeltaTable.create(at: table, schema: batch.schema, partitionColumns: Self.partitionColumns)
        var options = TableWriterOptions()
        if let mib = maxBufferedMiB { options.maxBufferedBytes = mib == 0 ? nil : mib << 20 }
        let writer = try TableWriter(table: delta, options: options)
        try writer.write(batch)
        let result = try writer.commit(operation: "WRITE")
        let seconds = watch.seconds
        return .object([
            ("seconds", .double(seconds)),
            ("rows", .int(Int64(batch.rowCount))),
            ("version", result.version.map { .int($0) } ?? .null),
            ("files", .int(Int64(result.snapshot.files.count))),
        ])
    }
}
