import FSCore
import Glibc
import Testing
@testable import FSTable

/// "Is there a table here?" has three answers: yes, no (no `_delta_log`), and "cannot tell"
/// (an I/O error), which must never be taken for "no".
@Suite struct TableExistenceTests {
    /// A table with rows in one commit, whose log is then replaced by a link pointing at itself
    /// (stat fails with ELOOP even for root, who is not stopped by permissions).
    func tableWithUnreadableLog(_ dir: ScratchDirectory) throws -> String {
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<30))
        _ = try w.commit()
        try FileSystem.removeTree(t.log.logDirectory)
        #expect(symlink(t.log.logDirectory, t.log.logDirectory) == 0)
        return t.log.logDirectory
    }

    @Test func anUnreadableDeltaLogIsAnIOErrorNamingItNotAMissingTable() throws {
        let dir = try ScratchDirectory()
        let log = try tableWithUnreadableLog(dir)
        #expect(throws: IOError(path: log, operation: "stat", errno: ELOOP)) { try DeltaTable.exists(at: dir.path) }
        #expect(throws: IOError.self) { try DeltaTable.open(at: dir.path) }
        #expect(throws: IOError.self) { try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd) }
        #expect(throws: IOError.self) { try TableScan.open(dir.path) }
        #expect(IOError(path: log, operation: "stat", errno: ELOOP).exitStatus == .ioError)
    }

    @Test func aDirectoryWithoutDeltaLogIsNoTableAndADeltaTableIsOne() throws {
        let dir = try ScratchDirectory()
        #expect(try !DeltaTable.exists(at: dir.path))
        #expect(try !DeltaTable.exists(at: dir.sub("missing/deeper")))
        _ = try DeltaTable.create(at: dir.path, schema: ordersSchema)
        #expect(try DeltaTable.exists(at: dir.path))
    }

    @Test func thePlainParquetReaderRefusesADirectoryWithADeltaLog() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<30))
        _ = try w.commit()
        // The commits are gone but _delta_log/ and the data files stay: not a table, and not a
        // plain directory either (its files may be ones the log had removed).
        for f in try FileSystem.listDirectory(t.log.logDirectory) { try FileSystem.removeFile(t.log.logDirectory + "/" + f) }
        #expect(try !DeltaTable.exists(at: dir.path))
        do {
            _ = try TableScan.open(dir.path)
            Issue.record("a directory with _delta_log/ was read as plain Parquet")
        } catch let e as TableError {
            guard case .notADataset(let path, let reason) = e else { Issue.record("\(e)"); return }
            #expect(path == dir.path && reason.contains("_delta_log"))
        }
        #expect(throws: TableError.self) { try TableScan(hiveDirectory: dir.path) }
    }
}
