import FSCore

/// Emission by runs: one merge group per (key, run of consecutive windows holding the same
/// slices of that key), instead of one per (key, window).
///
/// A key's window k holds the key's slices j with k in `windows(containingSlice: j)`; that set
/// changes only where a slice enters (its first window) or leaves (one past its last). Between
/// two such points the windows are the same merge of the same slices in the same order, so they
/// report the same numbers. With ~20 events per customer per year, a window over one event is
/// identical to its 11 neighbours: ~1M groups to merge and finalize for 1M events instead of
/// ~12M (bench/ANALYSIS.md, onlineperf5).
///
///     (key, slice) rows of the chunk's blocks ──► by key id, slices ascending (counting sort)
///     per key: sweep entries/exits ──► runs [from, to] of windows, each a contiguous range of
///       the key's slices; a slice's layer in a run is its window position q at the run's start
///     per block and layer: one `merge` per aggregate (row → its run, or the trash group)
///     finalize the runs ──► features per run ──► one row per (run, window), windows ascending
///
/// Merge order equals the per-window path's (`emitChunk`): blocks ascending, and within a block
/// layers ascending, where a slice's layer in a run is that path's window position q at the
/// run's first window — later slices lower, slices of equal q in one call in row order. So even
/// floating-point sums are bit-identical to the per-window path (a layer numbered by the runs a
/// slice joined in this chunk was not: a chunk starting inside two slices' windows gave them the
/// same layer and merged them in row order).
///
/// Then either the runs leave as they are (`EmittedWindows.runs`: split at window-end days,
/// days ascending, within a day by key id then window, for `ParquetFileWriter.writeRuns`), or
/// expanded to rows (12 per event) windows ascending, within a window in key-id order (the
/// per-window path gives them in the order its slices met the keys).
extension WindowedAggregator {
    /// Emits windows `k1…k2` from `blockIDs` (every block that can hold rows of those windows),
    /// windows ascending. `rankOf` has a slot per key id (scratch, no contents expected).
    func emitRunChunk(_ k1: Int64, _ k2: Int64, blocks blockIDs: [Int64], keys: Column,
                      rankOf: inout [UInt32], asRuns: Bool, emit: (EmittedWindows, Int) throws -> Void) rethrows {
        let b = blockSlices
        // (key, slice) pairs reaching k1…k2, slices ascending (blocks ascending, offsets ascending).
        var present: [SliceBlock] = []
        var pairKey: [UInt32] = [], pairBlock: [UInt32] = [], pairRow: [UInt32] = []
        var pairFrom: [Int64] = [], pairTo: [Int64] = [], pairFirst: [Int64] = []
        for blk in blockIDs {
            guard let block = blocks[blk] else { continue }
            let bi = UInt32(present.count)
            present.append(block)
            let rowKeys = block.rows.keys
            let (start, byOffset) = block.rowsByOffset(slices: b)
            for o in 0..<Int(b) where start[o] < start[o + 1] {
                let ws = spec.windows(containingSlice: blk &* b &+ Int64(o))
                let from = Swift.max(ws.lowerBound, k1), to = Swift.min(ws.upperBound, k2)
                guard from <= to else { continue }
                for i in start[o]..<start[o + 1] {
                    let r = Int(byOffset[i])
                    pairKey.append(SliceBlock.keyID(of: rowKeys[r]))
                    pairBlock.append(bi)
                    pairRow.append(UInt32(r))
                    pairFrom.append(from)
                    pairTo.append(to)
                    pairFirst.append(ws.lowerBound)
                }
            }
        }
        guard !pairKey.isEmpty else { return }
        // Keys ranked by id (a window's rows then do not depend on how emission was cut into
        // chunks); pairs by rank (stable: slices stay ascending within a key).
        var distinct: [UInt32] = []
        rankOf.withUnsafeMutableBufferPointer { rank in
            for id in pairKey { rank[Int(id)] = UInt32.max }
            for id in pairKey where rank[Int(id)] == UInt32.max {
                rank[Int(id)] = 0
                distinct.append(id)
            }
            distinct.sort()
            for (r, id) in distinct.enumerated() { rank[Int(id)] = UInt32(r) }
        }
        let pairRank = rankOf.withUnsafeBufferPointer { r in pairKey.map { r[Int($0)] } }
        let order = Self.countingOrder(pairRank, buckets: distinct.count, of: Array(0..<UInt32(pairKey.count)))

        // Runs of each key, and which runs each pair belongs to. A pair's layer in a run is the
        // per-window path's position q at the run's first window (that window's number minus the
        // slice's first window): distinct for a pair's runs, lower for later slices, equal for
        // slices entering together — so the merges of a run come in the per-window path's order
        // even when the chunk starts inside a slice's windows.
        var runKey: [UInt32] = [], runFrom: [Int64] = [], runTo: [Int64] = []
        var memberPair: [UInt32] = [], memberRun: [UInt32] = [], memberLayer: [UInt32] = []
        let positions = Int(spec.windows(containingSlice: 0).count)
        var used = [Bool](repeating: false, count: present.count * positions)
        var layers = [Int](repeating: 0, count: present.count)
        var s = 0
        while s < order.count {
            var end = s + 1
            while end < order.count && pairRank[Int(order[end])] == pairRank[Int(order[s])] { end += 1 }
            @inline(__always) func lo(_ i: Int) -> Int64 { pairFrom[Int(order[i])] }
            @inline(__always) func hi(_ i: Int) -> Int64 { pairTo[Int(order[i])] }
            // Active pairs are order[a..<e]: entries and exits both ascend with the slice.
            var a = s, e = s, cur = Int64.min
            while a < end {
                if a == e {
                    cur = lo(e)
                    while e < end && lo(e) == cur { e += 1 }
                }
                let nextEntry = e < end ? lo(e) : Int64.max
                let next = Swift.min(nextEntry, hi(a) &+ 1)
                let run = UInt32(runKey.count)
                runKey.append(pairKey[Int(order[s])])
                runFrom.append(cur)
                runTo.append(next &- 1)
                for i in a..<e {
                    let p = Int(order[i])
                    let layer = Int(cur &- pairFirst[p]), bi = Int(pairBlock[p])
                    memberPair.append(UInt32(p))
                    memberRun.append(run)
                    memberLayer.append(UInt32(layer))
                    used[bi * positions + layer] = true
                    layers[bi] = Swift.max(layers[bi], layer + 1)
                }
                cur = next
                while a < e && hi(a) &+ 1 == cur { a += 1 }
                while e < end && lo(e) == cur { e += 1 }
            }
            s = end
        }
        let count = runKey.count
        let trash = UInt32(count)
        // One map per (block, layer), flat: row → run (trash when the row is not in that layer).
        var base = [Int](repeating: 0, count: present.count + 1)
        for (bi, block) in present.enumerated() { base[bi + 1] = base[bi] + block.rowCount * layers[bi] }
        var maps = [UInt32](repeating: trash, count: base[present.count])
        maps.withUnsafeMutableBufferPointer { m in
            for i in memberPair.indices {
                let p = Int(memberPair[i]), bi = Int(pairBlock[p])
                m[base[bi] + Int(memberLayer[i]) * present[bi].rowCount + Int(pairRow[p])] = memberRun[i]
            }
        }
        var out = SliceBlock(specs: specs, expectedRows: 16).accumulators
        for a in out.indices { out[a].resize(groupCount: count + 1) }
        maps.withUnsafeBufferPointer { m in
            for (bi, block) in present.enumerated() {
                let rows = block.rowCount
                for layer in 0..<layers[bi] where used[bi * positions + layer] {
                    let from = base[bi] + layer * rows
                    let map = UnsafeBufferPointer(rebasing: m[from..<(from + rows)])
                    for a in out.indices { out[a].merge(any: block.accumulators[a], groupMap: map) }
                }
            }
        }
        let results = out.map { Self.prefix($0.finalize(), count) }
        // Keys are gathered below, per run piece or per row: not here as well.
        let features = plan.featureColumns(groupCount: count, results: results)
        if asRuns {
            try emit(.runs(dayMajorRuns(runKey, runFrom, runTo, features: features, keys: keys)),
                     Self.windowsWithRows(runFrom, runTo, k1, k2))
            return
        }

        let rows = windowMajorRows(runKey, runFrom, runTo, k1, k2)
        var keyColumn = Self.gatherKeys(keys, rows.keys)
        keyColumn.dictionaryHint = DictionaryHint(codes: rows.keys, codeCount: keys.count)
        let startColumn = Column(type: .timestamp, values: .int64(rows.starts))
        let endColumn = Column(type: .timestamp, values: .int64(rows.ends))
        let batch = RecordBatch(schema: outputSchema, columns: [keyColumn, startColumn, endColumn]
            + features.map { $0.gather(rows.runs) })
        try emit(.rows(batch), rows.windowCount)
    }

    /// The runs as a `RunBatch`: each run split where its windows' end crosses a UTC day (the
    /// output's partition), the pieces by day (stable: within a day by key id, then window).
    func dayMajorRuns(_ runKey: [UInt32], _ runFrom: [Int64], _ runTo: [Int64], features: [Column], keys: Column) -> RunBatch {
        var pieceRun: [Int] = [], pieceFrom: [Int64] = [], pieceTo: [Int64] = [], pieceDay: [Int64] = []
        pieceRun.reserveCapacity(runKey.count)
        pieceFrom.reserveCapacity(runKey.count)
        pieceTo.reserveCapacity(runKey.count)
        pieceDay.reserveCapacity(runKey.count)
        var minDay = Int64.max, maxDay = Int64.min
        for g in runKey.indices {
            var from = runFrom[g]
            let to = runTo[g]
            while from <= to {
                let day = daysOf(micros: spec.windowEnd(from))
                // The last window whose end falls on `day`.
                let last = Swift.min(to, floorDiv((day &+ 1) &* microsPerDay &- 1 &- spec.duration, spec.slide))
                pieceRun.append(g)
                pieceFrom.append(from)
                pieceTo.append(last)
                pieceDay.append(day)
                minDay = Swift.min(minDay, day)
                maxDay = Swift.max(maxDay, day)
                from = last &+ 1
            }
        }
        var order = Array(pieceRun.indices)
        if minDay < maxDay {
            let (span, overflow) = maxDay.subtractingReportingOverflow(minDay)
            if !overflow && span < Int64(pieceRun.count + 1024) {
                let bucket = pieceDay.map { UInt32($0 &- minDay) }
                order = Self.countingOrder(bucket, buckets: Int(span) + 1, of: pieceRun.indices.map { UInt32($0) }).map { Int($0) }
            } else {
                order.sort { (pieceDay[$0], $0) < (pieceDay[$1], $1) }
            }
        }
        let runs = order.map { pieceRun[$0] }
        let pieceKeys = runs.map { runKey[$0] }
        var keyColumn = Self.gatherKeys(keys, pieceKeys)
        keyColumn.dictionaryHint = DictionaryHint(codes: pieceKeys, codeCount: keys.count)
        let first = order.map { pieceFrom[$0] }
        return RunBatch(
            schema: outputSchema, runLengths: order.map { Int32(pieceTo[$0] &- pieceFrom[$0] &+ 1) },
            columns: [.repeated(keyColumn),
                      .stepping(first: first.map { spec.windowStart($0) }, step: spec.slide, type: .timestamp),
                      .stepping(first: first.map { spec.windowEnd($0) }, step: spec.slide, type: .timestamp)]
                + features.map { .repeated($0.gather(runs)) })
    }

    /// Windows of `k1…k2` that some run `[runFrom[g], runTo[g]]` covers.
    static func windowsWithRows(_ runFrom: [Int64], _ runTo: [Int64], _ k1: Int64, _ k2: Int64) -> Int {
        let (span, overflow) = k2.subtractingReportingOverflow(k1)
        if !overflow && span < Int64(4 * runFrom.count + 1024) {
            var delta = [Int32](repeating: 0, count: Int(span) + 2)
            for g in runFrom.indices {
                delta[Int(runFrom[g] &- k1)] += 1
                delta[Int(runTo[g] &- k1) + 1] -= 1
            }
            var running: Int32 = 0, windows = 0
            for d in delta.dropLast() {
                running += d
                if running > 0 { windows += 1 }
            }
            return windows
        }
        // Sparse: merge the intervals.
        let order = runFrom.indices.sorted { runFrom[$0] < runFrom[$1] }
        var windows = 0, covered = Int64.min
        for g in order {
            let lo = Swift.max(runFrom[g], covered == Int64.min ? runFrom[g] : covered &+ 1)
            if runTo[g] >= lo { windows += Int(runTo[g] &- lo) + 1 }
            covered = covered == Int64.min ? runTo[g] : Swift.max(covered, runTo[g])
        }
        return windows
    }

    /// The output rows of a chunk's runs: for each row its run, key id and window bounds.
    struct RunRows {
        var runs: [Int] = []
        var keys: [UInt32] = []
        var starts: [Int64] = []
        var ends: [Int64] = []
        /// Windows with at least one row.
        var windowCount = 0
    }

    /// Windows ascending; within a window, runs in their order (keys as first met). A counting
    /// pass over the windows when they are dense, a sort of (window, run) otherwise.
    func windowMajorRows(_ runKey: [UInt32], _ runFrom: [Int64], _ runTo: [Int64], _ k1: Int64, _ k2: Int64) -> RunRows {
        var total = 0
        for g in runKey.indices { total += Int(runTo[g] &- runFrom[g]) &+ 1 }
        var out = RunRows()
        let (span, overflow) = k2.subtractingReportingOverflow(k1)
        var windows: [Int64] = [], counts: [Int] = []
        var runs = [Int](repeating: 0, count: total)
        if !overflow && span < Int64(4 * total + 1024) {
            // Rows per window from the runs' entries and exits, then each window's first row.
            let n = Int(span) + 1
            var start = [Int](repeating: 0, count: n + 1)
            for g in runKey.indices {
                start[Int(runFrom[g] &- k1)] += 1
                start[Int(runTo[g] &- k1) + 1] -= 1
            }
            var running = 0, at = 0
            for w in 0..<n {
                running += start[w]
                if running > 0 { windows.append(k1 &+ Int64(w)); counts.append(running) }
                start[w] = at
                at += running
            }
            runs.withUnsafeMutableBufferPointer { row in
                start.withUnsafeMutableBufferPointer { next in
                    for g in runKey.indices {
                        var k = Int(runFrom[g] &- k1)
                        let last = Int(runTo[g] &- k1)
                        while k <= last {
                            row[next[k]] = g
                            next[k] += 1
                            k += 1
                        }
                    }
                }
            }
        } else {
            var items: [(Int64, Int)] = []
            items.reserveCapacity(total)
            for g in runKey.indices { for k in runFrom[g]...runTo[g] { items.append((k, g)) } }
            items.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            for (i, item) in items.enumerated() {
                runs[i] = item.1
                if windows.last != item.0 { windows.append(item.0); counts.append(0) }
                counts[counts.count - 1] += 1
            }
        }
        out.keys = runs.map { runKey[$0] }
        out.starts.reserveCapacity(total)
        out.ends.reserveCapacity(total)
        for (w, k) in windows.enumerated() {
            out.starts.append(contentsOf: repeatElement(spec.windowStart(k), count: counts[w]))
            out.ends.append(contentsOf: repeatElement(spec.windowEnd(k), count: counts[w]))
        }
        out.runs = runs
        out.windowCount = windows.count
        return out
    }

    /// `items` stably sorted by `bucket[item]` (every bucket < `buckets`).
    static func countingOrder(_ bucket: [UInt32], buckets: Int, of items: [UInt32]) -> [UInt32] {
        var start = [Int](repeating: 0, count: buckets + 1)
        for i in items { start[Int(bucket[Int(i)]) + 1] += 1 }
        for b in 0..<buckets { start[b + 1] += start[b] }
        var out = [UInt32](repeating: 0, count: items.count)
        for i in items {
            let b = Int(bucket[Int(i)])
            out[start[b]] = i
            start[b] += 1
        }
        return out
    }
}

/// What emission hands out: rows, windows ascending, or (append mode asked for runs) a
/// `RunBatch` of runs of a key's consecutive windows that report the same features, days of
/// window end ascending and by key within a day.
public enum EmittedWindows: Sendable {
    case rows(RecordBatch)
    case runs(RunBatch)

    public var rowCount: Int {
        switch self {
        case .rows(let b): return b.rowCount
        case .runs(let b): return b.rowCount
        }
    }
}
