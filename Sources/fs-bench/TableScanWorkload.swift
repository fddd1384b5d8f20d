import FSCore
import FSParquet

/// Workload (b): read every column of one Parquet file into memory with our reader.
///
/// The timed section is open → footer → decode all row groups into one batch — what the peer
/// times with `pq.read_table(path)`. The checksum is computed afterwards, untimed.
struct TableScanWorkload {
    var input: String

    func run() throws -> JSONValue {
        let watch = Stopwatch()
        let batch = try ParquetFileReader(path: input).readAll()
        let seconds = watch.seconds
        let checksum = try OrderChecksum(batch, file: input)
        return .object([("seconds", .double(seconds))] + checksum.fields)
    }
}
