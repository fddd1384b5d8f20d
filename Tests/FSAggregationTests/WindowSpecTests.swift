import FSCore
import Testing
@testable import FSAggregation

private let second: Int64 = 1_000_000

@Suite("Window durations and window assignment")
struct WindowSpecTests {
    @Test("Spark's duration texts parse to microseconds", arguments: [
        ("5 seconds", 5 * second), ("1 hour", 3_600 * second), ("10 minutes", 600 * second), ("1 day", 86_400 * second),
        ("interval 1 hour 30 minutes", 5_400 * second), ("1h", 3_600 * second), ("500 milliseconds", 500_000),
        ("2 WEEKS", 14 * 86_400 * second), ("250 microseconds", 250), ("  10   seconds ", 10 * second),
    ])
    func durationsParse(text: String, micros: Int64) {
        #expect((try? DurationText.parse(text).get()) == micros)
    }

    @Test("Malformed durations are refused with a reason", arguments: ["", "seconds", "5", "5 parsecs", "1 month", "x seconds", "1 hour 5"])
    func badDurations(text: String) {
        guard case .failure(let e) = DurationText.parse(text) else { Issue.record("\(text) parsed"); return }
        #expect(!e.description.isEmpty)
    }

    @Test("A slide longer than the window, or a non-positive length, is refused")
    func invalidSpecs() {
        #expect(throws: WindowSpecError.self) { try WindowSpec(duration: 10, slide: 20) }
        #expect(throws: WindowSpecError.self) { try WindowSpec(duration: 0, slide: 0) }
        #expect(throws: WindowSpecError.self) { try WindowSpec(duration: 10, slide: -1) }
    }

    @Test("Slices are gcd(duration, slide)", arguments: [(25, 10, 5), (60, 5, 5), (10, 10, 10), (3_600, 300, 300), (7, 3, 1)])
    func sliceIsGCD(duration: Int64, slide: Int64, slice: Int64) throws {
        let s = try WindowSpec(duration: duration, slide: slide)
        #expect(s.slice == slice)
        #expect(s.slicesPerWindow * s.slice == duration)
    }

    @Test("Tumbling windows: boundaries belong to the window they start, negative times floor")
    func tumblingBoundaries() throws {
        let s = try WindowSpec.tumbling(10)
        #expect(s.windows(containing: 0) == 0...0)
        #expect(s.windows(containing: 9) == 0...0)
        #expect(s.windows(containing: 10) == 1...1)
        #expect(s.windows(containing: -1) == -1...(-1))
        #expect(s.windowStart(-1) == -10 && s.windowEnd(-1) == 0)
        #expect(s.windows(containing: -10) == -1...(-1))
        #expect(s.windows(containing: -11) == -2...(-2))
    }

    @Test("Window assignment equals the brute-force definition start ≤ t < start + duration",
          arguments: [(10, 10), (30, 10), (25, 10), (7, 3), (3_600, 300)])
    func assignmentMatchesDefinition(duration: Int64, slide: Int64) throws {
        let s = try WindowSpec(duration: duration, slide: slide)
        var rng = SeededGenerator(seed: UInt64(duration * 31 + slide))
        for _ in 0..<500 {
            let t = Int64.random(in: -10_000...10_000, using: &rng)
            let ks = s.windows(containing: t)
            var brute: [Int64] = []
            for k in (t / slide - duration / slide - 2)...(t / slide + 2) where s.windowStart(k) <= t && t < s.windowEnd(k) { brute.append(k) }
            #expect(Array(ks) == brute, "t=\(t)")
            // Every window of t contains t's slice, and the slice's windows are the same.
            #expect(s.windows(containingSlice: s.sliceIndex(of: t)) == ks)
            for k in ks { #expect(s.slices(ofWindow: k).contains(s.sliceIndex(of: t))) }
        }
    }

    @Test("Sliding windows overlap: an event is in ceil(duration/slide) or floor(duration/slide) windows")
    func slidingOverlapCounts() throws {
        let s = try WindowSpec(duration: 25, slide: 10)
        #expect(s.windows(containing: 24).count == 3)  // starts 0, 10, 20
        #expect(s.windows(containing: 5).count == 2)   // starts -10, 0
        #expect(s.windows(containing: 5).map(s.windowStart) == [-10, 0])
    }
}
