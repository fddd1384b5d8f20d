import Testing
@testable import FSCore

/// The word-at-a-time Validity builders give the bitmap appending bit by bit gives, at every
/// length around the word boundaries.
struct ValidityPackingTests {
    @Test(arguments: [0, 1, 2, 63, 64, 65, 127, 128, 130, 1_000])
    func packedBitmapsEqualBitByBitAppends(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        let bits = (0..<count).map { _ in Bool.random(using: &rng) }
        var appended = Validity()
        for b in bits { appended.append(b) }
        #expect(Validity(bits) == appended)
        #expect(Validity(count: count) { bits[$0] } == appended)
        #expect(Validity(count: count) { _ in true } == Validity(repeating: true, count: count))
        #expect(Validity(bits).nullCount == bits.filter { !$0 }.count)
    }
}
