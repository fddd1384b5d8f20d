import FSCore
import Testing
@testable import FSJobs
@testable import FSTable

@Suite("Bounds of the event times still to come in a micro-batch")
struct OnlineInputBoundsTests {
    static func file(_ name: String, _ minTime: Int64?) -> ScanFile {
        let stats = minTime.map { t in
            FileStatistics(numRecords: 1, columns: [FileStatistics.ColumnEntry(name: "t", min: .timestamp(t), max: .timestamp(t + 10))])
        }
        return ScanFile(path: "/x/\(name)", relativePath: name, partitionValues: [], stats: stats, sizeBytes: 1)
    }

    @Test("The bound after a file is the smallest minimum of the files after it, in read order")
    func suffixMinimum() {
        let files = [Self.file("a", 900), Self.file("b", 1_100), Self.file("c", 1_000), Self.file("d", 1_200)]
        #expect(OnlineInputBounds.laterTimeBounds(files, timeField: "t") == [1_000, 1_000, 1_200, .max])
    }

    @Test("A file without a time minimum makes every earlier bound unknown; the time column is found case-insensitively")
    func unknownMinimum() {
        let files = [Self.file("a", 5), Self.file("b", nil), Self.file("c", 30), Self.file("d", 20)]
        #expect(OnlineInputBounds.laterTimeBounds(files, timeField: "T") == [.min, 20, 20, .max])
        #expect(OnlineInputBounds.laterTimeBounds([], timeField: "t") == [])
        #expect(OnlineInputBounds.laterTimeBounds(files, timeField: "other") == [.min, .min, .min, .max])
    }
}

@Suite("Order of a micro-batch's input files")
struct OnlineReadOrderTests {
    @Test("Files are read by their minimum time, then path, unless path order is needed or a minimum is missing")
    func byMinimumTime() {
        let f = OnlineInputBoundsTests.file
        let files = [f("m=1/d=1", 100), f("m=1/d=10", 1_000), f("m=1/d=2", 200), f("m=10/d=1", 9_000), f("m=2/d=1", 2_000), f("b", 200)]
        let byTime = OnlineInputBounds.readOrder(files, timeField: "t", keepPathOrder: false).map(\.relativePath)
        #expect(byTime == ["m=1/d=1", "b", "m=1/d=2", "m=1/d=10", "m=2/d=1", "m=10/d=1"])
        #expect(OnlineInputBounds.readOrder(files, timeField: "t", keepPathOrder: true) == files)
        let missing = files + [f("z", nil)]
        #expect(OnlineInputBounds.readOrder(missing, timeField: "t", keepPathOrder: false) == missing)
    }
}
