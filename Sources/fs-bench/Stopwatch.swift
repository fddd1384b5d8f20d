import FSCore

/// Times one section with the monotonic clock (no Foundation): the harness compares these
/// in-process seconds between fs and its peer, which time the same section the same way.
struct Stopwatch {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init() { start = clock.now }

    /// Seconds since `init`.
    var seconds: Double { (clock.now - start).inSeconds }
}
