import FSCore

/// The grid points of a chunk's `stepping` runs and their dictionary entries.
///
/// Every value of a stepping run is `first + i·step`; when every run's first value is `base`
/// plus a multiple of `step`, the values are grid points `g = (v − base) / step`, and a slot per
/// grid point (from `origin` on) holds its dictionary entry, made the first time the point is
/// seen. Window bounds of a day file are ~300 points, so a row costs one slot read.
struct SteppingGrid {
    /// The value of grid point 0 (the chunk's first stepping value); nil before it.
    var base: Int64?
    var step: Int64 = 0
    /// Grid point of `slots[0]`.
    var origin: Int64 = 0
    /// Dictionary entry of each grid point from `origin` (−1: not seen yet).
    var slots: [Int32] = []

    /// A grid spanning more points than this is not worth a dictionary (nor its memory).
    static let maxSlots = 1 << 16

    /// Makes `slots` cover grid points `lo...hi`; false when that would pass `maxSlots`.
    mutating func cover(_ lo: Int64, _ hi: Int64) -> Bool {
        if slots.isEmpty {
            guard hi - lo < Int64(Self.maxSlots) else { return false }
            origin = lo
            slots = [Int32](repeating: -1, count: Int(hi - lo + 1))
            return true
        }
        let newLo = Swift.min(lo, origin), newHi = Swift.max(hi, origin + Int64(slots.count) - 1)
        guard newHi - newLo < Int64(Self.maxSlots) else { return false }
        if newLo < origin {
            slots.insert(contentsOf: repeatElement(-1, count: Int(origin - newLo)), at: 0)
            origin = newLo
        }
        let needed = Int(newHi - origin + 1)
        if needed > slots.count { slots.append(contentsOf: repeatElement(-1, count: needed - slots.count)) }
        return true
    }
}

extension FlatColumnWriter {
    /// Writes `stepping` runs `runs` of an INT64 column as dictionary indices of their grid
    /// points (see `SteppingGrid`): entries join the chunk's run entries (`runEntries`, the same
    /// dictionary page as `repeated` numbers), each row appends one index, and pages are cut at
    /// `maxPageRows` as for any rows. Returns false, having written nothing, when a run is off
    /// the chunk's grid or the grid would grow past `SteppingGrid.maxSlots`: the caller writes
    /// the runs PLAIN/DELTA instead (a chunk may mix dictionary and other pages).
    func appendSteppingIndices(_ first: [Int64], _ step: Int64, _ lengths: UnsafeBufferPointer<Int32>, _ runs: Range<Int>) throws(ParquetError) -> Bool {
        guard !runs.isEmpty else { return true }
        guard step > 0 else { return false }
        var grid = steppingGrid
        let base = grid.base ?? first[runs.lowerBound]
        guard grid.base == nil || grid.step == step else { return false }
        // Every run on the grid; the points they cover.
        var lo = Int64.max, hi = Int64.min, total = 0
        for r in runs {
            let (d, overflow) = first[r].subtractingReportingOverflow(base)
            guard !overflow, d % step == 0 else { return false }
            let g = d / step, last = g + Int64(lengths[r]) - 1
            lo = Swift.min(lo, g)
            hi = Swift.max(hi, last)
            total += Int(lengths[r])
        }
        guard grid.cover(lo, hi) else { return false }
        grid.base = base
        grid.step = step
        steppingGrid = SteppingGrid()  // taken out of the writer during the loop (no access checks)
        defer { steppingGrid = grid }

        try startRunEntries()
        if !indexValues.isEmpty {
            // Runs of indices of the open page become per-row indices.
            for (v, n) in zip(indexValues, indexCounts) { indices.append(contentsOf: repeatElement(v, count: Int(n))) }
            indexValues.removeAll(keepingCapacity: true)
            indexCounts.removeAll(keepingCapacity: true)
        }
        // Rows without an index (NULLs) in the open page: the indices below could not follow
        // them; such runs are written as values instead.
        guard indices.count == pageRows else { return false }
        // The page's state in locals while rows are appended (a class's stored properties would
        // pay a run-time exclusivity check per access); back in the writer at each cut.
        var rows = pageRows, stats = statistics, entryCount = runEntryCount
        var entries: [UInt64] = []
        // The open page's indices are taken out of the writer and extended in place by the
        // rows of this call (up to a full page); they are copied into `indices` only at a cut,
        // for `flushPage`, and put back, cut to the page's rows, at the end. (Copying the open
        // page in and out on every call was ~330M of the run's ~12G instructions, callgrind.)
        var page: [UInt32] = []
        swap(&page, &indices)
        let needed = Swift.min(maxPageRows, rows + total)
        if page.count < needed { page.append(contentsOf: repeatElement(0, count: needed - page.count)) }
        let maxRows = maxPageRows, origin = grid.origin
        try grid.slots.withUnsafeMutableBufferPointer { slots throws(ParquetError) in
            try page.withUnsafeMutableBufferPointer { out throws(ParquetError) in
                for r in runs {
                    let length = Int(lengths[r])
                    let f = first[r]
                    var g = (f &- base) / step
                    stats.add(int: f)
                    stats.add(int: f &+ Int64(length - 1) &* step)
                    var left = length
                    while left > 0 {
                        let n = Swift.min(left, maxRows - rows)
                        let s0 = Int(g - origin)
                        for i in 0..<n {
                            var e = slots[s0 + i]
                            if e < 0 {
                                e = Int32(entryCount)
                                entryCount += 1
                                slots[s0 + i] = e
                                entries.append(UInt64(bitPattern: base &+ (g + Int64(i)) &* step))
                            }
                            out[rows + i] = UInt32(e)
                        }
                        rows += n
                        g += Int64(n)
                        left -= n
                        if rows >= maxRows {
                            putBackSteppingPage(UnsafeBufferPointer(rebasing: out[0..<rows]), stats, entryCount, &entries)
                            try flushPage()
                            rows = 0
                        }
                    }
                }
            }
        }
        page.removeLast(page.count - rows)
        swap(&page, &indices)
        putBackSteppingPage(nil, stats, entryCount, &entries)
        return true
    }

    /// The open page's state, kept in locals by `appendSteppingIndices`, back in the writer
    /// (entries appended to the chunk's `runEntries`); `page`: the indices of a full page, copied
    /// into `indices` for `flushPage` (nil: `indices` already holds the page's indices).
    private func putBackSteppingPage(_ page: UnsafeBufferPointer<UInt32>?, _ stats: StatisticsAccumulator, _ entryCount: Int, _ entries: inout [UInt64]) {
        if let page {
            indices.removeAll(keepingCapacity: true)
            indices.append(contentsOf: page)
        }
        let rows = indices.count
        pageRows = rows
        statistics = stats
        runEntryCount = entryCount
        if isOptional && pageNulls == 0 { levels.append(contentsOf: repeatElement(1, count: rows - levels.count)) }
        if !entries.isEmpty {
            #if _endian(little)
            entries.withUnsafeBytes { runEntries.append($0) }
            #else
            for e in entries { runEntries.append(littleEndian: e) }
            #endif
            entries.removeAll(keepingCapacity: true)
        }
    }
}
