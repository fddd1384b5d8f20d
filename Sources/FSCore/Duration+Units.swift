/// A `Duration` in the units C APIs, summaries and timers take. One definition, because the
/// attoseconds arithmetic is easy to get wrong by a factor of 1000.
extension Duration {
    /// Seconds as a `Double` (summary lines, rates).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole microseconds, truncated (the unit of event times and window arithmetic).
    public var inMicroseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }

    /// Whole milliseconds, truncated (librdkafka's and SQLite's timeouts).
    public var inMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
