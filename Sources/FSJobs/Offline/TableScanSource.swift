import FSAggregation
import FSCore
import FSTable

/// The offline engine's view of a `TableScan`: the files left after pruning, readable whole or
/// by row groups, one scan copy per worker.
struct TableScanSource: OfflineBatchSource {
    let scan: TableScan

    var fileSizes: [Int64] { scan.files.map(\.sizeBytes) }

    func rowGroupBytes(ofFile index: Int) throws -> [Int64] { try scan.rowGroupBytes(of: scan.files[index]) }

    func makeReader() -> Reader { Reader(scan: scan) }

    struct Reader: OfflineBatchReader {
        var scan: TableScan

        mutating func forEachBatch(inFile index: Int, rowGroups: Range<Int>?, _ body: (RecordBatch, Int64) throws -> Void) throws {
            try scan.forEachBatch(in: scan.files[index], rowGroups: rowGroups, body)
        }

        var rowGroupsRead: Int { scan.metrics.rowGroupsRead }
        var rowGroupsSkipped: Int { scan.metrics.rowGroupsSkipped }
    }
}

extension ScanProgress: OfflineProgress {}
