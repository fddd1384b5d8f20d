import FSCore

/// Sliding event-time windows as Spark's `window(time, duration, slide)` defines them (start
/// time 0): every window is `[start, start + duration)` with `start` a multiple of `slide`
/// counted from the Unix epoch, so a time t belongs to the windows whose start lies in
/// `(t - duration, t]`.
///
/// The online job aggregates into *slices* of `gcd(duration, slide)`: every window is a whole
/// number of consecutive slices, so an event updates exactly one slice and a window's value is the
/// merge of its slices — the cost per event does not depend on how many windows overlap.
///
///     slide 10, duration 25 → slice 5
///     slices  |0 |1 |2 |3 |4 |5 |6 |7 |
///     window  [0 ............25)          slices 0…4
///     window        [10 ...........35)    slices 2…6
public struct WindowSpec: Sendable, Hashable, CustomStringConvertible {
    /// Window length in µs.
    public let duration: Int64
    /// Distance between consecutive window starts in µs (≤ duration).
    public let slide: Int64
    /// gcd(duration, slide): the unit of state.
    public let slice: Int64

    public init(duration: Int64, slide: Int64) throws(WindowSpecError) {
        guard duration > 0 else { throw WindowSpecError("the window duration must be positive") }
        guard slide > 0 else { throw WindowSpecError("the slide duration must be positive") }
        guard slide <= duration else {
            throw WindowSpecError("the slide duration (\(Self.text(slide))) must be less than or equal to the window duration (\(Self.text(duration)))")
        }
        self.duration = duration
        self.slide = slide
        var a = duration, b = slide
        while b != 0 { (a, b) = (b, a % b) }
        slice = a
    }

    /// A tumbling window (slide = duration).
    public static func tumbling(_ duration: Int64) throws(WindowSpecError) -> WindowSpec {
        try WindowSpec(duration: duration, slide: duration)
    }

    /// Slices that make up one window.
    public var slicesPerWindow: Int64 { duration / slice }

    /// The slice holding time `t`.
    @inline(__always)
    public func sliceIndex(of t: Int64) -> Int64 { floorDiv(t, slice) }

    /// Start of slice `j`.
    @inline(__always)
    public func sliceStart(_ j: Int64) -> Int64 { j &* slice }

    /// Window number k covers `[k·slide, k·slide + duration)`.
    @inline(__always)
    public func windowStart(_ k: Int64) -> Int64 { k &* slide }

    @inline(__always)
    public func windowEnd(_ k: Int64) -> Int64 { k &* slide &+ duration }

    /// The numbers of the windows holding time `t` (never empty).
    @inline(__always)
    public func windows(containing t: Int64) -> ClosedRange<Int64> {
        (floorDiv(t &- duration, slide) + 1)...floorDiv(t, slide)
    }

    /// The windows made (in part) of slice `j`: the same windows as for any time in the slice,
    /// because window starts are multiples of the slice.
    public func windows(containingSlice j: Int64) -> ClosedRange<Int64> { windows(containing: sliceStart(j)) }

    /// The slices of window k.
    public func slices(ofWindow k: Int64) -> ClosedRange<Int64> {
        let first = windowStart(k) / slice  // exact: slide is a multiple of slice
        return first...(first + slicesPerWindow - 1)
    }

    public var description: String {
        "window \(Self.text(duration)), slide \(Self.text(slide)), slice \(Self.text(slice))"
    }

    /// A µs duration in the largest exact unit (`"5 minutes"`).
    public static func text(_ micros: Int64) -> String {
        DurationText.format(micros)
    }
}

/// A window definition that cannot work (non-positive lengths, slide longer than the window).
public struct WindowSpecError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
