import FSCore
import Testing
@testable import FSTable

/// `TableScan.parseStatistics`: the files' statistics parsed on every core for a large
/// snapshot are those parsed one by one, in file order (missing and unreadable ones nil).
@Suite struct ScanStatisticsTests {
    @Test(arguments: [0, 1, 127, 128, 365, 1001])
    func statisticsParsedInParallelEqualThoseParsedOneByOne(files: Int) {
        let texts: [String?] = (0..<files).map { i in
            switch i % 7 {
            case 3: return nil
            case 5: return "not json \(i)"
            default:
                return FileStatistics(numRecords: Int64(i), columns: [
                    FileStatistics.ColumnEntry(name: "id", min: .int64(Int64(i)), max: .int64(Int64(i * 2)), nullCount: Int64(i % 3)),
                ]).json
            }
        }
        let parsed = TableScan.parseStatistics(texts, schema: ordersSchema)
        #expect(parsed == texts.map { $0.flatMap { FileStatistics.parse($0, schema: ordersSchema) } })
        #expect(parsed.count == files)
        if files > 1 { #expect(parsed[1]?.numRecords == 1) }
    }
}
