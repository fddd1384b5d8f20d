import FSCore
import Testing
@testable import FSAggregation

/// DISTINCT accumulators that collect their pairs and sort them at the end (the offline job's
/// partition tables) must give what row-by-row inserts give: results, merges and states.
struct DeferredDistinctTests {
    /// `kind` over random `type` values, selected rows only, in groups of 60: immediate and
    /// deferred, fed the same batches.
    func pair(_ spec: AggregateSpec, type: DataType, batches: Int = 4, seed: UInt64) -> (immediate: DistinctAccumulator, deferred: DistinctAccumulator) {
        var rng = SeededGenerator(seed: seed)
        var immediate = DistinctAccumulator(spec)
        var deferred = DistinctAccumulator(spec)
        deferred.deferPairs()
        for b in 0..<batches {
            let n = 500 + 37 * b
            let values = randomColumn(type, count: n, rng: &rng)
            let groups = (0..<n).map { _ in UInt32.random(in: 0..<60, using: &rng) }
            let selection = Validity((0..<n).map { _ in Double.random(in: 0..<1, using: &rng) < 0.8 })
            for a in [0, 1] {
                groups.withUnsafeBufferPointer { g in
                    if a == 0 {
                        immediate.resize(groupCount: 60 + b)
                        immediate.update([values], groups: g, selection: selection, firstRowStamp: 0)
                    } else {
                        deferred.resize(groupCount: 60 + b)
                        deferred.update([values], groups: g, selection: selection, firstRowStamp: 0)
                    }
                }
            }
        }
        return (immediate, deferred)
    }

    @Test(arguments: [AggregateKind.count, .collectSetSize, .sum, .avg, .stddevSamp], [DataType.string, .int64, .double])
    func deferredPairsGiveTheSameResultsAsInsertingRowByRow(kind: AggregateKind, type: DataType) {
        if type == .string && kind != .count && kind != .collectSetSize { return }
        let spec = AggregateSpec(kind, [type], isDistinct: kind != .collectSetSize)
        let (immediate, deferred) = pair(spec, type: type, seed: 11)
        let a = immediate.finalize(), b = deferred.finalize()
        #expect(a.count == 63)
        #expect(a.count == b.count)
        for g in 0..<a.count { #expect(resultsMatch(a[g], b[g], relative: 1e-12), "group \(g): \(a[g]) vs \(b[g])") }
    }

    @Test func deferredStatesSerializeAndMergeLikeImmediateOnes() throws {
        let spec = AggregateSpec(.count, [.string], isDistinct: true)
        let (immediate, deferred) = pair(spec, type: .string, seed: 5)
        #expect(deferred.serialize() == immediate.serialize())
        let (other, otherDeferred) = pair(spec, type: .string, seed: 6)
        let map = (0..<other.groupCount).map { UInt32(($0 * 7) % other.groupCount) }
        var merged = immediate, mergedDeferred = deferred
        map.withUnsafeBufferPointer { m in
            merged.merge(other, groupMap: m)
            mergedDeferred.merge(otherDeferred, groupMap: m)
        }
        #expect(mergedDeferred.finalize() == merged.finalize())
        #expect(mergedDeferred.serialize() == merged.serialize())
        var decoded = DistinctAccumulator(spec)
        decoded.deferPairs()
        try decoded.deserialize(deferred.serialize())
        #expect(decoded.finalize() == immediate.finalize())
    }

    @Test func aGroupedTableDefersOnlyItsDistinctAggregates() throws {
        let specs = [AggregateSpec(.count, [.string], isDistinct: true), AggregateSpec(.sum, [.int64]), AggregateSpec(.count, [.int64], isDistinct: true)]
        var rng = SeededGenerator(seed: 3)
        let keys = randomColumn(.string, count: 2_000, rng: &rng)
        let s = randomColumn(.string, count: 2_000, rng: &rng), v = randomColumn(.int64, count: 2_000, rng: &rng)
        var plain = try GroupedAggregator(keyType: .string, specs: specs)
        var deferring = try GroupedAggregator(keyType: .string, specs: specs)
        deferring.deferDistinctPairs()
        #expect(deferring.accumulators.map { ($0 as? DistinctAccumulator)?.defersPairs } == [true, nil, true])
        for table in [0, 1] {
            if table == 0 { plain.update(keys: keys, arguments: [[s], [v], [v]]) } else { deferring.update(keys: keys, arguments: [[s], [v], [v]]) }
        }
        #expect(deferring.finish().keys == plain.finish().keys)
        #expect(deferring.finish().results == plain.finish().results)
    }
}
