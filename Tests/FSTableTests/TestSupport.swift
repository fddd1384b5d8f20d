import FSCore
import Testing
@testable import FSTable

/// A scratch directory removed when the value dies.
final class ScratchDirectory {
    let path: String
    init(_ prefix: String = "fstable") throws {
        path = try FileSystem.makeTemporaryDirectory(prefix: prefix)
    }
    deinit { try? FileSystem.removeTree(path) }
    func sub(_ name: String) -> String { path + "/" + name }
}

/// A clock tests move by hand.
final class ManualClock: WallClock, @unchecked Sendable {
    private var micros: Int64
    init(_ micros: Int64 = 1_547_765_406_000_000) { self.micros = micros }
    func nowMicros() -> Int64 { micros }
    func advance(millis: Int64) { micros += millis * 1000 }
}

let ordersSchema = Schema([
    Field("id", .int64, isNullable: false),
    Field("amount", .double),
    Field("name", .string),
    Field("fs_year", .int32),
    Field("fs_month", .int32),
    Field("fs_day", .int32),
])

let ymd = ["fs_year", "fs_month", "fs_day"]

func add(_ path: String, _ pv: StringMap = [:], size: Int64 = 100, dataChange: Bool = true) -> AddAction {
    AddAction(path: path, partitionValues: pv, size: size, modificationTime: 1_000, dataChange: dataChange, stats: "{\"numRecords\":1}")
}
