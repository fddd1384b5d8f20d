import Testing
@testable import FSAggregation

/// The radix sort behind deferred DISTINCT sets: it must equal sorting and deduplicating with
/// the standard library for any id widths, including those that need no pass at all.
struct PairKeySortTests {
    /// Random pair keys with many repeats: `count` keys over `groups` × `values` ids.
    func randomKeys(_ count: Int, groups: UInt64, values: UInt64, seed: UInt64) -> [UInt64] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt64.random(in: 0..<groups, using: &rng) << 32 | UInt64.random(in: 0..<values, using: &rng) }
    }

    @Test(arguments: [(0, 1, 1), (1, 5, 5), (2, 1, 1), (500, 1, 1), (3_000, 1, 700), (3_000, 700, 1), (20_000, 300, 50),
                      (50_000, 250_000, 100_000), (10_000, 1 << 32, 1 << 32), (10_000, 3, 1 << 32)])
    func sortedUniqueEqualsTheStandardLibrarysSortAndDeduplication(count: Int, groups: Int, values: Int) {
        let keys = randomKeys(count, groups: UInt64(groups), values: UInt64(values), seed: UInt64(count + groups))
        let expected = Array(Set(keys)).sorted()
        #expect(PairKeySort.sortedUnique(keys, groupCount: groups, valueCount: values) == expected)
    }

    @Test func idWidthsCountTheBitsOfTheLargestID() {
        #expect([0, 1, 2, 3, 4, 5, 256, 257].map { PairKeySort.bitWidth(ofIDsBelow: $0) } == [0, 0, 1, 2, 2, 3, 8, 9])
        #expect(PairKeySort.bitWidth(ofIDsBelow: 1 << 32) == 32)
    }

    @Test func radixSortOfKeysWhoseDigitsAreAllEqualOrAllDifferentIsAscending() {
        var same = [UInt64](repeating: 0xABC, count: 1_000)
        PairKeySort.radixSort(&same, bits: 12)
        #expect(same == [UInt64](repeating: 0xABC, count: 1_000))
        var descending = (0..<5_000).map { UInt64(4_999 - $0) << 20 | UInt64($0 % 7) }
        PairKeySort.radixSort(&descending, bits: 33)
        #expect(descending == descending.sorted())
        #expect(descending.first == 0 << 20 | UInt64(4_999 % 7))
    }
}

extension PairKeySortTests {
    @Test(arguments: [(0, 4, 1), (1, 4, 9), (3_000, 60, 700), (40_000, 250_000, 100_000)])
    func distinctCountsCountTheSortedUniqueKeysOfEachGroup(count: Int, groups: Int, values: Int) {
        let keys = randomKeys(count, groups: UInt64(groups), values: UInt64(values), seed: 77)
        var expected = [Int64](repeating: 0, count: groups)
        for key in Set(keys) { expected[Int(key >> 32)] += 1 }
        #expect(PairKeySort.distinctCounts(keys, groupCount: groups, valueCount: values) == expected)
    }
}
