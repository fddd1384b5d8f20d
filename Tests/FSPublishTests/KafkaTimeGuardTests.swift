import FSCore
import Testing
@testable import FSPublish

/// The Kafka target's per-key time guard: only a strictly newer time replaces a key's time, in
/// the order of the time column's type.
@Suite struct KafkaTimeGuardTests {
    typealias Time = KafkaTimeGuard.Time

    @Test func aNewKeyIsAdmittedAndOnlyAStrictlyNewerTimeReplacesItsTime() {
        var g = KafkaTimeGuard()
        let steps: [(key: String, time: Time, admitted: Bool)] = [
            ("a", .ordinal(10), true), ("a", .ordinal(10), false), ("a", .ordinal(9), false), ("a", .ordinal(11), true),
            ("a", .ordinal(10), false), ("b", .ordinal(-5), true), ("", .ordinal(0), true), ("é", .text(""), true),
        ]
        for (n, step) in steps.enumerated() {
            let admitted = g.admit(key: Array(step.key.utf8), time: step.time)
            #expect(admitted == step.admitted, "step \(n): \(step.key) at \(step.time)")
        }
        #expect(g.count == 4)
    }

    @Test func doubleTimesOrderLikeTheNumbersWithNegativeZeroEqualToZero() {
        let values: [Double] = [-.infinity, -1e300, -2.5, -1, -1e-300, 0, 1e-300, 1, 2.5, 1e300, .infinity]
        let column = Column(.double, values.map { Value.double($0) })
        let times = values.indices.map { Time(column, row: $0) }
        for i in 1..<times.count { #expect(times[i - 1]! < times[i]!, "\(values[i - 1]) < \(values[i])") }
        let zeros = Column(.double, [.double(-0.0), .double(0.0), .double(.nan), .null])
        #expect(Time(zeros, row: 0) == Time(zeros, row: 1))
        #expect(Time(zeros, row: 2) == nil)
        #expect(Time(zeros, row: 3) == nil)
    }

    @Test func timesFromMessagesFollowTheColumnTypeAndRejectOtherShapes() {
        #expect(Time(json: .string("2019-01-17T13:05:00.000001Z"), type: .timestamp) == .ordinal(1_547_730_300_000_001))
        #expect(Time(json: .string("2019-01-17"), type: .date) == .ordinal(17_913))
        #expect(Time(json: .int(-3), type: .int64) == .ordinal(-3))
        #expect(Time(json: .string("b"), type: .string) == .text("b"))
        #expect(Time(json: .int(3), type: .timestamp) == nil)
        #expect(Time(json: .string("yesterday"), type: .date) == nil)
        #expect(Time(json: .null, type: .int32) == nil)
        #expect(Time(json: .bool(true), type: .boolean) == nil)
    }
}
