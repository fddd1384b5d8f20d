import FSCore
import FSParquet

/// Workload (a): write one in-memory batch as a ZSTD Parquet file with our writer.
///
/// The input is read first (untimed) with our reader; the timed section is create → write →
/// finish (footer, fsync, close) — the peer times `pq.write_table(table, path,
/// compression='zstd')` on a table it also read beforehand. The output must not exist.
struct TableWriteWorkload {
    var input: String
    var output: String

    func run() throws -> JSONValue {
        let batch = try ParquetFileReader(path: input).readAll()
        let watch = Stopwatch()
        let writer = try ParquetFileWriter(path: output, schema: batch.schema)
        try writer.write(batch)
        let summary = try writer.finish()
        let seconds = watch.seconds
        return .object([
            ("seconds", .double(seconds)),
            ("rows", .int(summary.rowCount)),
            ("bytes", .int(summary.sizeBytes)),
            ("row_groups", .int(Int64(summary.metadata.rowGroups.count))),
        ])
    }
}
