import FSCore
import Synchronization
import Testing
@testable import FSTable

#if canImport(Glibc)
import Glibc
#endif

/// A commit of more files than `TableWriterOptions.fileSystemSyncThreshold` (per writer or lane)
/// fsyncs only the first ones and makes the rest, and every directory entry, durable with one
/// syncfs before the log commit names them; a failed syncfs commits nothing.
@Suite struct TableWriterFileSystemSyncTests {
    /// Counts the file system syncs and can fail them; records how many had run when the log
    /// commit was about to be written.
    final class FileSystemSyncRecorder: Sendable {
        struct State {
            var syncs = 0
            var fail = false
            var syncsBeforeCommit: Int?
        }
        let state = Mutex(State())

        var sync: @Sendable (FileSystemSync) throws(IOError) -> Void {
            { [self] fs throws(IOError) in
                let fail = state.withLock { s -> Bool in s.syncs += 1; return s.fail }
                if fail { throw IOError(path: fs.path, operation: "syncfs", errno: EIO) }
                try fs.sync()
            }
        }
        var syncs: Int { state.withLock { $0.syncs } }
    }

    /// A fresh table and a writer on it with `threshold`, its syncs recorded.
    struct Fixture {
        let dir: ScratchDirectory
        let table: DeltaTable
        let files = SyncRecorder()
        let fileSystem = FileSystemSyncRecorder()
        let writer: TableWriter

        init(threshold: Int?) throws {
            dir = try ScratchDirectory()
            table = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
            var o = TableWriterOptions()
            o.maxBufferedBytes = nil
            o.fileSystemSyncThreshold = threshold
            o.fsync = files.sync
            o.syncFileSystem = fileSystem.sync
            o.beforeCommit = { [fileSystem] in fileSystem.state.withLock { $0.syncsBeforeCommit = $0.syncs } }
            writer = try TableWriter(table: table, options: o)
        }
    }

    @Test func aCommitPastTheThresholdSyncsTheFileSystemInsteadOfEachFileAndDirectory() throws {
        try #require(FileSystemSync.isReliable, "this kernel's syncfs does not report writeback errors")
        let f = try Fixture(threshold: 1)
        let t = f.table, files = f.files, fileSystem = f.fileSystem, w = f.writer
        try w.write(ordersBatch(ids: 0..<90))  // three day partitions: three files
        #expect(try w.commit().version == 1)

        #expect(files.files.count == 1, "only the first file is fsynced alone")
        #expect(files.directories.isEmpty, "directory entries are covered by the file system sync")
        #expect(fileSystem.state.withLock { $0.syncsBeforeCommit } == 2, "one sync before the renames, one after, both before the log commit")
        #expect(sortedIDs(try scanAll(t)) == (0..<90).map(Int64.init))
    }

    @Test func aCommitWithinTheThresholdFsyncsEachFileAndDirectory() throws {
        let f = try Fixture(threshold: 3)
        let files = f.files, fileSystem = f.fileSystem, w = f.writer
        try w.write(ordersBatch(ids: 0..<90))
        try w.commit()
        #expect(files.files.count == 3)
        #expect(!files.directories.isEmpty)
        #expect(fileSystem.syncs == 0)
    }

    @Test func aFailedFileSystemSyncCommitsNothingLeavesNoFilesAndTheWriterStaysUsable() throws {
        try #require(FileSystemSync.isReliable, "this kernel's syncfs does not report writeback errors")
        let f = try Fixture(threshold: 1)
        let t = f.table, fileSystem = f.fileSystem, w = f.writer
        fileSystem.state.withLock { $0.fail = true }
        try w.write(ordersBatch(ids: 0..<90))
        #expect(throws: IOError.self) { try w.commit() }
        #expect(try t.snapshot().version == 0)
        #expect(try TableWriterDurabilityTests.dataFiles(t.root).isEmpty, "a failed commit leaves no data file in the partitions")
        #expect(try FileSystem.listDirectory(t.log.stagingDirectory).isEmpty)

        fileSystem.state.withLock { $0.fail = false }
        try w.write(ordersBatch(ids: 90..<180))
        #expect(try w.commit().version == 1)
        #expect(sortedIDs(try scanAll(t)) == (90..<180).map(Int64.init))
    }

    /// Lanes each pass the threshold; their groups join the owner's commit, which syncs the
    /// file system through the oldest handle only (it reports every later error too).
    @Test func lanesPastTheThresholdAreSyncedOnceByTheOwnersCommit() throws {
        try #require(FileSystemSync.isReliable, "this kernel's syncfs does not report writeback errors")
        let f = try Fixture(threshold: 1)
        let t = f.table, files = f.files, fileSystem = f.fileSystem, owner = f.writer
        let lanes = [try owner.makeLane(), try owner.makeLane()]
        try lanes[0].write(ordersBatch(ids: 0..<60, days: [(2019, 1, 30), (2019, 1, 31)]))
        try lanes[1].write(ordersBatch(ids: 60..<120, days: [(2019, 2, 1), (2019, 2, 2)]))
        for lane in lanes {
            try lane.finishOpenFiles()
            try owner.adopt(lane.stage())
        }
        #expect(try owner.commit().version == 1)
        #expect(files.files.count == 2, "each lane fsyncs its first file alone")
        #expect(fileSystem.syncs == 2)
        #expect(sortedIDs(try scanAll(t)) == (0..<120).map(Int64.init))
    }

    @Test func theOldestHandlePerFileSystemIsSynced() throws {
        try #require(FileSystemSync.isReliable, "this kernel's syncfs does not report writeback errors")
        let dir = try ScratchDirectory()
        let a = try #require(FileSystemSync(directory: dir.path))
        let b = try #require(FileSystemSync(directory: dir.path))
        #expect(FileSystemSync.oldest([b, a, b]).map(\.openedOrder) == [a.openedOrder])
    }

    @Test func syncfsReportsWritebackErrorsFromLinux5_8() {
        #expect(FileSystemSync.kernelReportsSyncfsErrors(release: "6.1.0-13-amd64"))
        #expect(FileSystemSync.kernelReportsSyncfsErrors(release: "5.8.0"))
        #expect(FileSystemSync.kernelReportsSyncfsErrors(release: "5.10.209-fc"))
        #expect(!FileSystemSync.kernelReportsSyncfsErrors(release: "5.7.19"))
        #expect(!FileSystemSync.kernelReportsSyncfsErrors(release: "4.19.0"))
        #expect(!FileSystemSync.kernelReportsSyncfsErrors(release: "unknown"))
    }
}
