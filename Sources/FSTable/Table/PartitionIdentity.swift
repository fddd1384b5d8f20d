/// A partition's values in a form that hashes: entries sorted by key, "" and null both null —
/// equal exactly when `DeltaTable.samePartition` says the maps are.
///
/// Why: a writer's commit matched each partition it wrote against every other with
/// `samePartition`, pairwise. fs-agg-online's one commit of 365 day partitions spent ~11 ms of
/// its serial end in those loops (auto-compaction's choice of a partition), and every lane
/// `append` searched the partitions written so far.
struct PartitionIdentity: Hashable {
    private let entries: [StringMap.Entry]

    init(_ values: StringMap) {
        entries = values.entries
            .map { StringMap.Entry(key: $0.key, value: $0.value.flatMap { $0.isEmpty ? nil : $0 }) }
            .sorted { $0.key < $1.key }
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

    var isEmpty: Bool { maps.isEmpty }
}
