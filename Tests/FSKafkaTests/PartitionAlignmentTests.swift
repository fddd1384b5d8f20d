import FSKafka
import Testing

/// `PartitionAlignment`: which partitions a catching-up consumer pauses for running ahead of the
/// slowest one, and when it resumes them.
@Suite("Partition alignment")
struct PartitionAlignmentTests {
    private func tp(_ p: Int32) -> TopicPartition { TopicPartition(topic: "t", partition: p) }
    private typealias R = PartitionAlignment.Reading

    /// Four partitions of 1,000 messages from offset 0: the unit of a 400-message batch is
    /// 400 / 4,000 = 0.1 of a partition's range, so "three batches ahead" is 300 messages.
    private func readings(_ nexts: [Int64], paused: Set<Int32> = [], idle: Set<Int32> = []) -> [(TopicPartition, R)] {
        nexts.enumerated().map { i, next in
            (tp(Int32(i)), R(from: 0, next: next, end: 1_000, paused: paused.contains(Int32(i)), idle: idle.contains(Int32(i))))
        }
    }

    @Test func partitionsWithinThreeBatchesOfTheSlowestAreLeftAlone() {
        let d = PartitionAlignment().decide(readings([100, 150, 250, 300]), batch: 400)
        #expect(d.isEmpty)
    }

    @Test func aPartitionMoreThanThreeBatchesAheadOfTheSlowestIsPaused() {
        let d = PartitionAlignment().decide(readings([100, 401, 400, 900]), batch: 400)
        #expect(d.pause == [tp(1), tp(3)])
        #expect(d.resume.isEmpty)
    }

    @Test func aPausedPartitionIsResumedOnlyOnceWithinAQuarterBatchOfTheSlowest() {
        let a = PartitionAlignment()
        // Unit 200 / 2,000 = 0.1. 150 and 50 ahead (0.15, 0.05): between the thresholds, it stays
        // paused (no flip at every poll).
        #expect(a.decide(readings([100, 250], paused: [1]), batch: 200).isEmpty)
        #expect(a.decide(readings([200, 250], paused: [1]), batch: 200).isEmpty)
        // 20 ahead (0.02) is within a quarter of the unit.
        #expect(a.decide(readings([230, 250], paused: [1]), batch: 200).resume == [tp(1)])
    }

    @Test func positionsAreFractionsOfEachPartitionsOwnRange() {
        // Partition 1 holds ten times the messages of partition 0: at 500 of 10,000 it is at
        // 0.05, behind partition 0 at 250 of 1,000 (0.25), which is the one ahead by 0.2 > 3 × 0.05.
        let rs: [(TopicPartition, R)] = [(tp(0), R(from: 0, next: 250, end: 1_000)),
                                         (tp(1), R(from: 0, next: 500, end: 10_000))]
        let d = PartitionAlignment().decide(rs, batch: 550)
        #expect(d.pause == [tp(0)])
        // Measured from where this run started, not from offset 0.
        let shifted: [(TopicPartition, R)] = [(tp(0), R(from: 5_000, next: 5_250, end: 6_000)),
                                              (tp(1), R(from: 0, next: 500, end: 10_000))]
        #expect(PartitionAlignment().decide(shifted, batch: 550).pause == [tp(0)])
    }

    @Test func aCaughtUpPartitionIsNeverPausedAndAPausedOneThatIsCaughtUpIsResumed() {
        let d = PartitionAlignment().decide(readings([0, 1_000, 1_000], paused: [2]), batch: 400)
        #expect(d.pause.isEmpty)
        #expect(d.resume == [tp(2)])
    }

    @Test func anIdlePartitionDoesNotHoldTheOthersBack() {
        // Partition 0 stalled at 0: the anchor is partition 1, and the paused one comes back.
        let d = PartitionAlignment().decide(readings([0, 500, 520], paused: [2], idle: [0]), batch: 400)
        #expect(d.pause.isEmpty)
        #expect(d.resume == [tp(2)])
        // Without the idle mark it is the anchor and the others are held.
        let held = PartitionAlignment().decide(readings([0, 500, 520], paused: [2]), batch: 400)
        #expect(held.pause == [tp(1)])
        #expect(held.resume.isEmpty)
    }

    @Test func whenOnlyPausedPartitionsAreLeftReadingTheyAnchorAndComeBack() {
        let d = PartitionAlignment().decide(readings([1_000, 700, 720], paused: [1, 2], idle: []), batch: 400)
        // Both paused ones are still reading: the anchor is the slower paused one (0.7), and
        // 0.72 is within a quarter unit (0.033) of it.
        #expect(d.resume == [tp(1), tp(2)])
        // 0.8 is not: only the slowest comes back, the other when it is close.
        #expect(PartitionAlignment().decide(readings([1_000, 700, 800], paused: [1, 2]), batch: 400).resume == [tp(1)])
        let nothing = PartitionAlignment().decide(readings([1_000, 1_000]), batch: 400)
        #expect(nothing.isEmpty)
        let stalled = PartitionAlignment().decide(readings([10, 900], paused: [1], idle: [0]), batch: 400)
        #expect(stalled.resume == [tp(1)])
    }

    @Test func partitionsWithoutARangeAreAtTheirEndAndNeitherPausedNorAnchors() {
        let rs: [(TopicPartition, R)] = [(tp(0), R(from: 7, next: 7, end: 7)), (tp(1), R(from: 0, next: 10, end: 100)),
                                         (tp(2), R(from: 0, next: 90, end: 100))]
        // Unit 20 / 200 = 0.1: partition 2 is 0.8 ahead of partition 1.
        let d = PartitionAlignment().decide(rs, batch: 20)
        #expect(d.pause == [tp(2)])
    }

    @Test func aSpreadOfOneRecordBatchPerPartitionAsAt1MEventsPausesNothing() {
        // 64 partitions of 15,625 messages, 50,000 a batch (unit 0.05): read in record batches
        // of ~560 messages (0.036), the spread the 1M run shows at its commits (up to 0.082).
        var rs: [(TopicPartition, R)] = []
        for p in 0 ..< 64 { rs.append((tp(Int32(p)), R(from: 0, next: Int64(5_000 + (p % 3) * 560 + (p == 9 ? 170 : 0)), end: 15_625))) }
        #expect(PartitionAlignment().decide(rs, batch: 50_000).isEmpty)
    }

    /// 16 partitions of 3,125 messages fetched ~560 at a time, micro-batches of 50: the unit
    /// (0.001) is far below what one fetch moves a partition (0.18), so the scale is the step.
    @Test func whenAFetchMovesAPartitionFurtherThanAMicroBatchTheStepIsTheScale() {
        func rs(_ nexts: [Int64]) -> [(TopicPartition, R)] {
            nexts.enumerated().map { (tp(Int32($0.offset)), R(from: 0, next: $0.element, end: 3_125, step: 560)) }
        }
        // One partition a whole fetch ahead of the others, as any fair fetcher leaves it.
        #expect(PartitionAlignment().decide(rs([560] + Array(repeating: 0, count: 15)), batch: 50).isEmpty)
        // Four fetches ahead: paused (past three steps, 0.54).
        #expect(PartitionAlignment().decide(rs([2_240] + Array(repeating: 0, count: 15)), batch: 50).pause == [tp(0)])
    }

    @Test func theStepIsTheMedianAndIgnoresPartitionsReadInFewerThanFourFetches() {
        // Unit 400 / 8,000 = 0.05. Steps: three partitions of 10 messages (0.005 of 2,000), one
        // outlier of 400 (0.2): the median (0.005) leaves the unit as the scale.
        var rs: [(TopicPartition, R)] = (0 ..< 4).map { (tp(Int32($0)), R(from: 0, next: 0, end: 2_000, step: $0 == 3 ? 400 : 10)) }
        rs[1].1.next = 400  // 0.2 ahead > 3 × 0.05
        #expect(PartitionAlignment().decide(rs, batch: 400).pause == [tp(1)])
        // Partitions of 100 messages fetched in one step each (read in 1 fetch, not 4) set no
        // scale: counted, three of them would make the median step a whole range.
        let small: [(TopicPartition, R)] = [(tp(0), R(from: 0, next: 0, end: 1_000, step: 10)),
                                            (tp(1), R(from: 0, next: 300, end: 1_000, step: 10))]
            + (2 ..< 5).map { (tp(Int32($0)), R(from: 0, next: 0, end: 100, step: 100)) }
        // Unit 100 / 2,300 ≈ 0.043; the steps counted are 0.01 and 0.01: partition 1 (0.3) is paused.
        #expect(PartitionAlignment().decide(small, batch: 100).pause == [tp(1)])
    }
}
