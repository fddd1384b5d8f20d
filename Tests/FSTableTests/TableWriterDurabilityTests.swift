import FSCore
import Synchronization
import Testing
@testable import FSTable

#if canImport(Glibc)
import Glibc
#endif

/// Records what `TableWriter` fsyncs and can make the n-th file or directory sync fail.
final class SyncRecorder: Sendable {
    struct State {
        var synced: [(path: String, isDirectory: Bool)] = []
        var failFiles = false
        var failDirectories = false
    }
    let state = Mutex(State())

    /// The `TableWriterOptions.fsync` to install: records, then fails or syncs for real.
    var sync: FileSyncer.Sync {
        { [self] path, isDirectory throws(IOError) in
            let fail = state.withLock { s -> Bool in
                s.synced.append((path, isDirectory))
                return isDirectory ? s.failDirectories : s.failFiles
            }
            if fail { throw IOError(path: path, operation: "fsync", errno: EIO) }
            try FileSyncer.system(path, isDirectory)
        }
    }

    var files: Set<String> { Set(state.withLock { $0.synced.filter { !$0.isDirectory }.map(\.path) }) }
    var directories: [String] { state.withLock { $0.synced.filter(\.isDirectory).map(\.path) } }
}

/// The durability protocol of `TableWriter.commit`: every data file and every directory entry
/// that leads to it is fsynced before the log commit names them (the syncs run in parallel on
/// background threads), and a failed sync commits nothing and leaves nothing behind.
@Suite struct TableWriterDurabilityTests {
    /// What was true at the moment the commit was about to be written.
    final class BeforeCommit: Sendable {
        let seen = Mutex<(version: Int64, dataFiles: [String], syncedFiles: Set<String>, syncedDirectories: [String])?>(nil)
    }

    static func dataFiles(_ root: String) throws -> [String] {
        try FileSystem.walkFiles(root) { !$0.hasPrefix("_") }.filter { $0.hasSuffix(".parquet") }
    }

    /// nil: one file per partition at the commit; 1: every file finished (and synced in the
    /// background) as soon as it is written to.
    @Test(arguments: [nil, 1] as [Int?])
    func everyFileAndDirectoryIsDurableBeforeTheCommitNamesIt(budget: Int?) throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let recorder = SyncRecorder()
        let before = BeforeCommit()
        var o = TableWriterOptions()
        o.maxBufferedBytes = budget
        o.fsync = recorder.sync
        o.beforeCommit = { [t] in
            let version = (try? t.snapshot().version) ?? -2
            let files = (try? Self.dataFiles(t.root)) ?? []
            before.seen.withLock { $0 = (version, files, recorder.files, recorder.directories) }
        }
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<90))
        try w.write(ordersBatch(ids: 90..<120))
        let result = try w.commit()
        #expect(result.version == 1)

        let seen = try #require(before.seen.withLock { $0 })
        #expect(seen.version == 0, "the log must not have the commit yet")
        let committed = try t.snapshot().sortedFiles.map(\.path).sorted()
        #expect(seen.dataFiles.sorted() == committed, "every file is in place before the commit")
        #expect(committed.count == (budget == nil ? 3 : 6))
        for path in committed {
            let name = String(path.split(separator: "/").last ?? "")
            #expect(seen.syncedFiles.contains(t.log.stagingFile(name)), "\(path) was not fsynced before the commit")
        }
        // Each directory once: the three day directories, and the parents of every directory
        // the commit created (root, fs_year=2019, and both months).
        let expectedDirectories = [
            "", "fs_year=2019", "fs_year=2019/fs_month=1", "fs_year=2019/fs_month=2",
            "fs_year=2019/fs_month=1/fs_day=30", "fs_year=2019/fs_month=1/fs_day=31", "fs_year=2019/fs_month=2/fs_day=1",
        ].map { $0.isEmpty ? t.root : t.root + "/" + $0 }
        #expect(seen.syncedDirectories.sorted() == expectedDirectories.sorted())
        #expect(sortedIDs(try scanAll(t)) == (0..<120).map(Int64.init))
    }

    @Test func aSecondCommitSyncsOnlyTheDirectoriesItTouches() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let recorder = SyncRecorder()
        var o = TableWriterOptions()
        o.fsync = recorder.sync
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<10))
        try w.commit()
        let first = recorder.directories.count
        try w.write(ordersBatch(ids: 10..<20, days: [(2019, 1, 30)]))
        try w.commit()
        #expect(Array(recorder.directories.dropFirst(first)) == [t.root + "/fs_year=2019/fs_month=1/fs_day=30"])
    }

    enum Failure: CaseIterable { case file, directory }

    @Test(arguments: Failure.allCases, [nil, 1] as [Int?])
    func aFailedFsyncCommitsNothingLeavesNoFilesAndTheWriterStaysUsable(failure: Failure, budget: Int?) throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let recorder = SyncRecorder()
        recorder.state.withLock { if failure == .file { $0.failFiles = true } else { $0.failDirectories = true } }
        var o = TableWriterOptions()
        o.maxBufferedBytes = budget
        o.fsync = recorder.sync
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<60))
        #expect(throws: IOError.self) { try w.commit() }
        #expect(try t.snapshot().version == 0)
        #expect(try Self.dataFiles(t.root).isEmpty, "a failed commit leaves no data file in the partitions")
        #expect(try FileSystem.listDirectory(t.log.stagingDirectory).isEmpty)

        recorder.state.withLock { $0.failFiles = false; $0.failDirectories = false }
        try w.write(ordersBatch(ids: 60..<70))
        let r = try w.commit()
        #expect(r.version == 1)
        #expect(sortedIDs(try scanAll(t)) == (60..<70).map(Int64.init))
    }

    @Test func abortWaitsForBackgroundSyncsAndRemovesTheirFiles() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = 1
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<60))
        w.abort()
        #expect(try FileSystem.listDirectory(t.log.stagingDirectory).isEmpty)
        try w.write(ordersBatch(ids: 0..<3))
        #expect(try w.commit().version == 1, "an abort leaves no stale sync failure behind")
    }
}
