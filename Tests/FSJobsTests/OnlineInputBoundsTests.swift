import FSCore
import Testing
@testable import FSJobs
@testable import FSTable

@Suite("Bounds of the event times still to come in a micro-batch")
struct OnlineInputBoundsTests {
    static func file(_ name: String, minTime: Int64?) -> ScanFile {
        let stats = minTime.map { t in
            FileStatistics(numRecords: 1, columns: [FileStatistics.ColumnEntry(name: "t", min: .timestamp(t), max: .timestamp(t + 10))])
        }
        return ScanFile(path: "/x/\(name)", relativePath: name, partitionValues: [], stats: stats, sizeBytes: 1)
    }

    @Test("The bound after a file is the smallest minimum of the files after it, in read order")
    func suffixMinimum() {
        let files = [Self.file("a", minTime: 900), Self.file("b", minTime: 1_100), Self.file("c", minTime: 1_000), Self.file("d", minTime: 1_200)]
        #expect(OnlineInputBounds.laterTimeBounds(files, timeField: "t") == [1_000, 1_000, 1_200, .max])
    }

    @Test("A file without a time minimum makes every earlier bound unknown; the time column is found case-insensitively")
    func unknownMinimum() {
        let files = [Self.file("a", minTime: 5), Self.file("b", minTime: nil), Self.file("c", minTime: 30), Self.file("d", minTime: 20)]
        #expect(OnlineInputBounds.laterTimeBounds(files, timeField: "T") == [.min, 20, 20, .max])
        #expect(OnlineInputBounds.laterTimeBounds([], timeField: "t") == [])
        #expect(OnlineInputBounds.laterTimeBounds(files, timeField: "other") == [.min, .min, .min, .max])
    }
}
