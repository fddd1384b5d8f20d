import FSCore
import Testing
@testable import FSAggregation

/// The one-table storage of DISTINCT sets: membership per group, per-group listing, and the
/// replace-on-decode path.
struct DistinctPairSetTests {
    @Test func aPairIsCountedOncePerGroupAndGroupsDoNotShareValues() {
        var set = DistinctPairSet()
        set.resize(groupCount: 3)
        for (g, v) in [(0, 7), (0, 7), (1, 7), (0, 8), (2, 0), (0, 7)] as [(UInt32, UInt32)] { set.insert(group: g, value: v) }
        #expect(set.counts == [2, 1, 1])
        var zero: [UInt32] = []
        set.forEachValue(ofGroup: 0) { zero.append($0) }
        #expect(zero.sorted() == [7, 8])
    }

    @Test func growingPastManyRehashesKeepsEveryPair() {
        var set = DistinctPairSet()
        set.resize(groupCount: 100)
        for i in 0..<20_000 { set.insert(group: UInt32(i % 100), value: UInt32(i / 3)) }
        for i in 0..<20_000 { set.insert(group: UInt32(i % 100), value: UInt32(i / 3)) }
        #expect(set.counts.reduce(0, +) == 20_000)
        #expect(set.keys.count == 20_000)
    }

    @Test func removingOneGroupKeepsTheOthers() {
        var set = DistinctPairSet()
        set.resize(groupCount: 2)
        for v in 0..<50 as Range<UInt32> { set.insert(group: 0, value: v); set.insert(group: 1, value: v * 2) }
        set.removeAll(ofGroup: 0)
        #expect(set.counts == [0, 50])
        set.insert(group: 0, value: 3)
        set.insert(group: 1, value: 4)  // already there
        #expect(set.counts == [1, 50])
    }

    @Test func decodingAGroupReplacesItsValuesInsteadOfAddingToThem() throws {
        let spec = AggregateSpec(.count, [.string], isDistinct: true)
        var source = DistinctAccumulator(spec)
        source.update([Column(type: .string, values: .string(StringArray(["ä", "", "x"])))])
        var target = DistinctAccumulator(spec)
        target.update([Column(type: .string, values: .string(StringArray(["old", "older", "oldest", "x"])))])
        try target.deserialize(source.serialize())
        #expect(target.finalizeValue() == .int64(3))
        #expect(target.serialize() == source.serialize())
    }
}
