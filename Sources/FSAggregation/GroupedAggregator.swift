import Dispatch
import FSCore

/// Hash aggregation of batches by one key column into columnar per-group states: the driver
/// the offline job (per-thread tables, merged) and the online job (one table per window slice)
/// share.
///
///     batch ──keys──► GroupKeyTable ──group ids──┐
///           ──arguments of aggregate k──────────►├─► accumulators[k].update(…, selection_k)
///           ──FILTER ∧ period mask of k─────────┘
///     finish() ──► key column + one result column per aggregate (group id order)
///
/// Callers evaluate arguments and masks (see `FeaturePlan`); this type only groups and folds,
/// so several periods (one selection each) are computed in one pass over the input.
public struct GroupedAggregator: Sendable {
    /// The aggregates, in output order.
    public let specs: [AggregateSpec]
    public private(set) var keys: GroupKeyTable
    public internal(set) var accumulators: [any Accumulator]
    /// Rows folded so far; the next batch's first row gets this stamp unless told otherwise.
    public private(set) var rowsSeen: Int64 = 0
    private var ids: [UInt32] = []

    public init(keyType: DataType, specs: [AggregateSpec], expectedGroups: Int = 1024) throws(AggregateError) {
        self.specs = specs
        keys = GroupKeyTable(keyType: keyType, expectedGroups: expectedGroups)
        var accs: [any Accumulator] = []
        for s in specs { accs.append(try makeAccumulator(s)) }
        accumulators = accs
    }

    /// Number of groups (distinct keys) so far.
    public var groupCount: Int { keys.groupCount }

    /// Folds one batch.
    /// - Parameters:
    ///   - keys: the grouping column.
    ///   - arguments: `arguments[k]` = the evaluated argument columns of aggregate k.
    ///   - selections: `selections[k]` = rows aggregate k sees (FILTER ∧ period), nil = all;
    ///     an empty array means no selection for any aggregate.
    ///   - firstRowStamp: sequence number of row 0 (default: rows seen so far).
    ///   - keyHashes: for string keys, each row's `GroupKeyTable.stringHash`, when the caller
    ///     has it already.
    public mutating func update(keys keyColumn: Column, arguments: [[Column]], selections: [Validity?] = [], firstRowStamp: Int64? = nil) {
        update(keys: keyColumn, arguments: arguments, selections: selections, firstRowStamp: firstRowStamp, keyHashes: nil)
    }

    package mutating func update(keys keyColumn: Column, arguments: [[Column]], selections: [Validity?], firstRowStamp: Int64?, keyHashes: [UInt64]?) {
        precondition(arguments.count == accumulators.count, "\(arguments.count) argument lists for \(accumulators.count) aggregates")
        keys.groupIDs(for: keyColumn, stringHashes: keyHashes, into: &ids)
        let n = keyColumn.count
        let stamp = firstRowStamp ?? rowsSeen
        let groupCount = keys.groupCount
        ids.withUnsafeBufferPointer { gids in
            for k in accumulators.indices {
                accumulators[k].resize(groupCount: groupCount)
                accumulators[k].update(arguments[k], groups: gids, selection: selections.isEmpty ? nil : selections[k], firstRowStamp: stamp)
            }
        }
        rowsSeen = Swift.max(rowsSeen, stamp + Int64(n))
    }

    /// DISTINCT aggregates collect their (group, value) pairs and sort them once when the sets
    /// are needed, instead of inserting row by row (`DistinctAccumulator.deferPairs()`): for a
    /// table that is folded and then finished without being serialized.
    package mutating func deferDistinctPairs() {
        for k in accumulators.indices {
            guard var d = accumulators[k] as? DistinctAccumulator else { continue }
            d.deferPairs()
            accumulators[k] = d
        }
    }

    /// Folds another table's groups into this one (per-thread tables, window slices).
    public mutating func merge(_ other: GroupedAggregator) {
        precondition(other.specs == specs, "merging aggregators of different plans")
        var map: [UInt32] = []
        keys.groupIDs(for: other.keys.keyColumn(), into: &map)
        let groupCount = keys.groupCount
        let others = other.accumulators
        // Aggregates are independent: merge them on all cores when the tables are large (the
        // merge of per-thread tables is otherwise the serial tail of the offline job). Each
        // task touches only its own element.
        let isLarge = other.groupCount >= 16_384 && accumulators.count > 1
        map.withUnsafeBufferPointer { m in
            accumulators.withUnsafeMutableBufferPointer { accs in
                let shared = MergeTargets(accs: accs, groupMap: m)
                let mergeOne: @Sendable (Int) -> Void = { k in
                    shared.accs[k].resize(groupCount: groupCount)
                    shared.accs[k].merge(any: others[k], groupMap: shared.groupMap)
                }
                if isLarge {
                    DispatchQueue.concurrentPerform(iterations: accs.count, execute: mergeOne)
                } else {
                    for k in accs.indices { mergeOne(k) }
                }
            }
        }
        rowsSeen = Swift.max(rowsSeen, other.rowsSeen)
    }

    /// Re-creates the key table from stored keys (deserialization only).
    mutating func restore(keyColumn: Column, rowsSeen seen: Int64) throws(StateDecodingError) {
        keys.groupIDs(for: keyColumn, into: &ids)
        rowsSeen = seen
    }

    /// The key column and one finalized column per aggregate, a row per group.
    public func finish() -> (keys: Column, results: [Column]) {
        (keys.keyColumn(), accumulators.map { $0.finalize() })
    }
}

/// The accumulators being merged and the (read-only) group map, handed to concurrent tasks
/// that each mutate one accumulator; both buffers outlive the tasks.
private struct MergeTargets: @unchecked Sendable {
    let accs: UnsafeMutableBufferPointer<any Accumulator>
    let groupMap: UnsafeBufferPointer<UInt32>
}
