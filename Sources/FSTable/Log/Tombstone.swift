/// What a snapshot keeps of a removed file until its retention expires: the deletion time and
/// the size, the fields a checkpoint's `remove` row carries (PROTOCOL "Checkpoints": path,
/// `deletionTimestamp` and `dataChange`, `size` optional) and all `Vacuum` reads. The path is the
/// key of `Snapshot.tombstones`.
///
/// A compacting stream keeps every removed file for the 7-day retention
/// (`delta.deletedFileRetentionDuration`): at one commit a second that is hundreds of thousands
/// of tombstones. As a full `RemoveAction` each held its partition values (a `StringMap` on the
/// heap) and optionals; this is 24 bytes inline, so the writer's memory grows by little more
/// than the paths themselves (issue #13, item 5). The partition values of a tombstone are not
/// written to checkpoints (`extendedFileMetadata` is left unset, which the protocol allows).
public struct Tombstone: Sendable, Hashable {
    /// Milliseconds since the epoch; `Int64.min` when the remove had none.
    private var deletionMillis: Int64
    /// Bytes; -1 when the remove did not say.
    private var sizeBytes: Int64
    /// False for rearrangements (compaction).
    public var dataChange: Bool

    public init(deletionTimestamp: Int64?, size: Int64? = nil, dataChange: Bool = true) {
        deletionMillis = deletionTimestamp ?? .min
        sizeBytes = size.map { $0 < 0 ? -1 : $0 } ?? -1
        self.dataChange = dataChange
    }

    /// What is kept of `remove`.
    public init(_ remove: RemoveAction) {
        self.init(deletionTimestamp: remove.deletionTimestamp, size: remove.size, dataChange: remove.dataChange)
    }

    /// When the file was removed (ms since the epoch), if the remove said.
    public var deletionTimestamp: Int64? { deletionMillis == .min ? nil : deletionMillis }

    /// The removed file's size in bytes, if the remove said.
    public var size: Int64? { sizeBytes < 0 ? nil : sizeBytes }

    /// The `remove` action a checkpoint writes for this tombstone of `path`.
    public func removeAction(path: String) -> RemoveAction {
        RemoveAction(path: path, deletionTimestamp: deletionTimestamp, dataChange: dataChange, size: size)
    }

    /// True when the tombstone is still within a retention whose cutoff is `cutoffMillis`
    /// (a tombstone without a time counts as removed `nowMillis`).
    func isRetained(cutoffMillis: Int64, nowMillis: Int64) -> Bool {
        (deletionTimestamp ?? nowMillis) > cutoffMillis
    }
}
