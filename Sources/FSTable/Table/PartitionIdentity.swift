/// A partition's values as a dictionary key: equal exactly when `DeltaTable.samePartition` says
/// the maps are (any key order, "" and null both null), with a hash that ignores key order too.
///
/// Why: a writer's commit matched each partition it wrote against every other with
/// `samePartition`, pairwise. fs-agg-online's one commit of 365 day partitions spent ~11 ms of
/// its serial end in those loops (auto-compaction's choice of a partition), and every lane
/// `append` searched the partitions written so far. Nothing is copied or sorted: auto-compaction
/// looks up every live file of the table after each commit.
struct PartitionIdentity: Hashable {
    let values: StringMap

    init(_ values: StringMap) { self.values = values }

    static func == (a: PartitionIdentity, b: PartitionIdentity) -> Bool { DeltaTable.samePartition(a.values, b.values) }

    /// The sum of each entry's own hash (its value "" hashed as null), so the order of the keys
    /// does not matter.
    func hash(into hasher: inout Hasher) {
        var sum = 0
        for e in values.entries {
            var h = Hasher()
            h.combine(e.key)
            h.combine(e.value.flatMap { $0.isEmpty ? nil : $0 })
            sum &+= h.finalize()
        }
        hasher.combine(values.count)
        hasher.combine(sum)
    }
}

/// Partition value maps in first-seen order, each partition once (by `PartitionIdentity`).
struct DistinctPartitions {
    /// The first map seen of each partition, in the order first seen.
    private(set) var maps: [StringMap] = []
    private var index: [PartitionIdentity: Int] = [:]

    init() {}

    init(_ maps: some Sequence<StringMap>) {
        for m in maps { insert(m) }
    }

    /// Adds `values` unless its partition is already here.
    mutating func insert(_ values: StringMap) {
        let id = PartitionIdentity(values)
        guard index[id] == nil else { return }
        index[id] = maps.count
        maps.append(values)
    }

    /// The position in `maps` of `values`' partition, if present.
    func position(of values: StringMap) -> Int? { index[PartitionIdentity(values)] }

    func contains(_ values: StringMap) -> Bool { position(of: values) != nil }
}
