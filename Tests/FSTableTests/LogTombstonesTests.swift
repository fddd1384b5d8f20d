import FSCore
import Testing
@testable import FSTable

/// A snapshot without tombstones (a writer's) writes the same checkpoint rows as one that holds
/// them: its removes are streamed back from the previous checkpoint and the JSON commits since.
@Suite struct LogTombstonesTests {
    static let hour: Int64 = 3_600_000

    /// A table whose log has, after version 2, removes in a checkpoint and in JSON commits:
    /// expired ones, files re-added (live again), files removed, re-added and removed again
    /// (the last remove wins), within the JSON and across the checkpoint. `checkpointAt`: the
    /// version of the one checkpoint (nil: none). Returns the table and "now".
    static func churnedTable(_ dir: ScratchDirectory, checkpointAt: Int64?) throws -> (DeltaTable, Int64) {
        let clock = ManualClock(SystemWallClock().nowMicros())
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, configuration: [TableProperty.deletedFileRetentionDuration: "interval 10 hours"],
                                      clock: clock)
        let now = clock.nowMicros() / 1000, old = now - 11 * hour, recent = now - hour
        func remove(_ p: String, _ at: Int64, size: Int64 = 100) -> Action {
            .remove(RemoveAction(path: p, deletionTimestamp: at, dataChange: true, extendedFileMetadata: true, partitionValues: [:], size: size))
        }
        let commits: [[Action]] = [
            ["a", "b", "c", "d", "e", "f", "g", "h", "i é"].map { .add(add($0)) },                   // v1
            [remove("a", old), remove("b", recent), remove("c", recent - 5), remove("i é", recent)],  // v2
            [.add(add("b")), .add(add("c"))],                                                        // v3: re-adds
            [remove("c", recent + 1, size: 7), remove("d", recent), remove("e", old)],               // v4
            [.add(add("d")), remove("f", recent), .add(add("j"))],                                   // v5
            [remove("g", recent), .add(add("g")), remove("h", recent), .add(add("h")), remove("h", recent + 2, size: 9)],  // v6
        ]
        for (k, actions) in commits.enumerated() {
            let v = Int64(k + 1)
            #expect(try LogCommitter.tryCommit(t.log, version: v, actions: [.commitInfo(timestampMillis: now, operation: "WRITE")] + actions))
            if v == checkpointAt { try Checkpoint.write(try t.snapshot(), log: t.log, nowMillis: now) }
        }
        return (t, now)
    }

    /// Actions with the removes sorted by path (a writer's come in log order).
    static func canonical(_ actions: [Action]) -> [Action] {
        let removes = actions.compactMap { if case .remove(let r) = $0 { return r } else { return nil } }
        return actions.filter { if case .remove = $0 { return false } else { return true } } + removes.sorted { $0.path < $1.path }.map { .remove($0) }
    }

    @Test(arguments: [nil, 2, 3, 6] as [Int64?])
    func aWritersCheckpointHoldsTheSameRowsAsOneFromASnapshotHoldingTombstones(checkpointAt: Int64?) throws {
        let dir = try ScratchDirectory()
        let (t, now) = try Self.churnedTable(dir, checkpointAt: checkpointAt)
        let full = try t.snapshot()
        let writers = try t.snapshot(holdingTombstones: false)
        #expect(full.holdsTombstones && !writers.holdsTombstones)
        #expect(writers.tombstones.isEmpty && full.files == writers.files)
        let expected = try Checkpoint.actions(of: full, nowMillis: now)
        // The premise: expired (a, e), re-added (b, d, g) and twice-removed (c, h) files leave
        // c and h with their last remove, f, and the non-ASCII i é.
        let removes = expected.compactMap { if case .remove(let r) = $0 { return r } else { return nil } }
        #expect(removes.map(\.path) == ["c", "f", "h", "i é"])
        #expect(removes.map(\.size) == [7, 100, 9, 100])
        #expect(Self.canonical(try Checkpoint.actions(of: writers, nowMillis: now)) == expected)

        // The file a writer writes reads back the same.
        try Checkpoint.write(writers, log: t.log, nowMillis: now)
        let written = try CheckpointReader.readActions(log: t.log, files: [LogPath.checkpointFileName(writers.version)])
        #expect(Self.canonical(written) == expected)
        // Later, every tombstone has expired.
        #expect(try Checkpoint.actions(of: writers, nowMillis: now + 11 * Self.hour).filter { if case .remove = $0 { true } else { false } }.isEmpty)
    }

    @Test func aWriterStartsFromAnOlderCheckpointWhenTheNewestCannotBeRead() throws {
        let dir = try ScratchDirectory()
        let (t, now) = try Self.churnedTable(dir, checkpointAt: 2)
        var s = try t.snapshot()
        let expected = try Checkpoint.actions(of: s, nowMillis: now)
        try Checkpoint.write(s, log: t.log, nowMillis: now)
        try FileSystem.replaceFile(t.log.checkpointFile(s.version), Array("not parquet".utf8))
        s = try t.snapshot(holdingTombstones: false)
        #expect(Self.canonical(try Checkpoint.actions(of: s, nowMillis: now)) == expected)
    }
}
