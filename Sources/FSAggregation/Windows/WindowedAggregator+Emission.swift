import FSCore

/// Emitting windows: the merge of slices happens here (per window) and in `+Runs` (per run of
/// identical windows: every emission of all windows in a range, i.e. append mode).
///
///     windows to emit [k₁, k₂] ──► chunks of about `emitChunkRows` output rows
///     per chunk, per live block touching it, per position q (0 ..< windows per slice):
///         row (key, slice j) ──► output group (key, lowest window of j + q), or a trash group
///         one `merge(block.accumulators[a], groupMap)` per aggregate
///     finalize once per chunk ──► plan.finish (features) ──► key, window_start, window_end, …
///
/// A (key, window) output row is the merge of that key's rows in the window's slices, so the
/// number it reports is the one a single pass over the window's events gives (the law tests
/// of every accumulator pin merge = update of the union).
extension WindowedAggregator {
    /// Ends the micro-batch: advances the watermark, hands the rows to write (`outputSchema`)
    /// to `emit` in chunks (windows ascending within each chunk), and frees state no open window
    /// needs.
    public mutating func endMicroBatch(emit: (RecordBatch) throws -> Void) rethrows {
        try endMicroBatch(asRuns: false) { out in if case .rows(let batch) = out { try emit(batch) } }
    }

    /// Ends the micro-batch as `endMicroBatch(emit:)` does, but hands append mode's windows out
    /// as runs (`EmittedWindows.runs`: days ascending, within a day by key, for a writer that
    /// takes runs); update mode's dirty windows still come as rows.
    public mutating func endMicroBatchByRuns(emit: (EmittedWindows) throws -> Void) rethrows {
        try endMicroBatch(asRuns: true, emit: emit)
    }

    mutating func endMicroBatch(asRuns: Bool, emit: (EmittedWindows) throws -> Void) rethrows {
        if let m = maxEventTime {
            let candidate = m &- delay
            if watermark.map({ candidate > $0 }) ?? true { watermark = candidate }
        }
        switch mode {
        case .append:
            if let w = watermark {
                let kTo = floorDiv(w &- spec.duration, spec.slide)
                let kFrom = emittedThrough.map { floorDiv($0 &- spec.duration, spec.slide) + 1 }
                emittedThrough = w
                try emitWindows(from: kFrom, through: kTo, only: nil, asRuns: asRuns, emit: emit)
            }
        case .update:
            let ks = dirty
            dirty = []
            if let lo = ks.min(), let hi = ks.max() { try emitWindows(from: lo, through: hi, only: ks, asRuns: false, emit: emit) }
        }
        freeClosedBlocks()
    }

    /// Append mode, inside a micro-batch: emits the windows that are already final, before
    /// `endMicroBatch`, so the output is encoded while the rest of the micro-batch is folded.
    ///
    /// `remainingFrom` must be a lower bound of the event times of the rows this micro-batch has
    /// still to `add` (the caller knows it from the input files' statistics). A window is final
    /// once both hold:
    ///
    ///     end ≤ max event time seen − delay   the watermark this micro-batch ends with is at least that
    ///     end ≤ remainingFrom                 no row still to come falls inside it
    ///
    /// Those windows are emitted exactly as `endMicroBatch` would emit them (same rows, same
    /// numbers; it then emits only the windows after them), and blocks no open window needs are
    /// freed. The watermark itself does not move: rows of this micro-batch are still judged late
    /// against the previous one. Update mode emits nothing here (its rows change until the end).
    public mutating func emitFinalWindows(remainingFrom: Int64, emit: (RecordBatch) throws -> Void) rethrows {
        try emitFinalWindows(remainingFrom: remainingFrom, asRuns: false) { out in if case .rows(let batch) = out { try emit(batch) } }
    }

    /// `emitFinalWindows(remainingFrom:emit:)` handing the windows out as runs (see
    /// `endMicroBatchByRuns(emit:)`).
    public mutating func emitFinalWindowsByRuns(remainingFrom: Int64, emit: (EmittedWindows) throws -> Void) rethrows {
        try emitFinalWindows(remainingFrom: remainingFrom, asRuns: true, emit: emit)
    }

    mutating func emitFinalWindows(remainingFrom: Int64, asRuns: Bool, emit: (EmittedWindows) throws -> Void) rethrows {
        guard mode == .append, let m = maxEventTime else { return }
        let mark = Swift.min(m &- delay, remainingFrom)
        if let done = emittedThrough, mark <= done { return }
        let kTo = floorDiv(mark &- spec.duration, spec.slide)
        let kFrom = emittedThrough.map { floorDiv($0 &- spec.duration, spec.slide) + 1 }
        emittedThrough = mark
        try emitWindows(from: kFrom, through: kTo, only: nil, asRuns: asRuns, emit: emit)
        freeBlocks(closedBy: mark)
    }

    /// Ends the micro-batch and returns all its output rows in one batch (tests, small inputs).
    public mutating func endMicroBatch() -> RecordBatch {
        var parts: [RecordBatch] = []
        endMicroBatch { parts.append($0) }
        return parts.count == 1 ? parts[0] : RecordBatch.concatenate(parts, schema: outputSchema)
    }

    /// The rows of window k now (empty when no slice of it has rows); nothing is emitted or freed.
    public func value(ofWindow k: Int64) -> RecordBatch {
        var parts: [RecordBatch] = []
        let keys = keyTable.keyColumn()
        emitChunks(from: k, through: k, only: nil, asRuns: false, keys: keys) { out, _ in if case .rows(let batch) = out { parts.append(batch) } }
        return parts.first ?? RecordBatch.empty(outputSchema)
    }

    /// Emits windows `from…through` (from nil = from the oldest live data) that hold rows,
    /// restricted to `only` when given.
    mutating func emitWindows(from: Int64?, through kTo: Int64, only: Set<Int64>?, asRuns: Bool,
                              emit: (EmittedWindows) throws -> Void) rethrows {
        guard !blocks.isEmpty else { return }
        let keys = keyTable.keyColumn()
        var windows: Int64 = 0, rows: Int64 = 0
        try emitChunks(from: from, through: kTo, only: only, asRuns: asRuns, keys: keys) { out, windowCount in
            windows += Int64(windowCount)
            rows += Int64(out.rowCount)
            try emit(out)
        }
        counters.windowsEmitted += windows
        counters.rowsEmitted += rows
    }

    /// The chunking: live blocks in order; each chunk takes blocks until about `emitChunkRows`
    /// output rows, and emits the windows no later block can contribute to.
    private func emitChunks(from: Int64?, through kTo: Int64, only: Set<Int64>?, asRuns: Bool, keys: Column,
                            emit: (EmittedWindows, Int) throws -> Void) rethrows {
        let b = blockSlices
        let windowsPerSlice = Int64(spec.windows(containingSlice: 0).count)
        let order = blocks.keys.sorted()
        guard !order.isEmpty else { return }
        func firstSlice(_ blk: Int64) -> Int64 { blk &* b }
        func lastSlice(_ blk: Int64) -> Int64 { blk &* b &+ (b - 1) }
        // Blocks whose windows all end before the range are irrelevant.
        var first = 0
        var k1 = from ?? spec.windows(containingSlice: firstSlice(order[0])).lowerBound
        while first < order.count && spec.windows(containingSlice: lastSlice(order[first])).upperBound < k1 { first += 1 }
        let budget = Int64(Swift.max(1, emitChunkRows))
        // Per key: the last window that saw it and its output group there. Shared by the chunks
        // (windows only ascend, so a stamp never matches in a later chunk): allocated once per
        // emission, not once per chunk (an 8+4-byte slot per key, millions of keys).
        var stamps = KeyStamps(stamp: [Int64](repeating: Int64.min, count: keyTable.groupCount),
                               group: [UInt32](repeating: 0, count: keyTable.groupCount))
        while first < order.count && k1 <= kTo {
            // No data for windows before the first relevant block's lowest window.
            k1 = Swift.max(k1, spec.windows(containingSlice: firstSlice(order[first])).lowerBound)
            if k1 > kTo { break }
            var next = first
            var estimate: Int64 = 0
            var k2 = kTo
            while next < order.count {
                estimate += Int64(blocks[order[next]]?.rowCount ?? 0) * windowsPerSlice
                next += 1
                // Windows after the last block's newest window get nothing from this chunk.
                k2 = Swift.min(kTo, spec.windows(containingSlice: lastSlice(order[next - 1])).upperBound)
                if next < order.count {
                    // Windows below the next block's lowest window get nothing from it or later
                    // blocks: cut there once the chunk is big enough, or at a gap in the data
                    // (so pass 1 never walks long runs of empty windows).
                    let cut = spec.windows(containingSlice: firstSlice(order[next])).lowerBound - 1
                    if cut >= k1 && (estimate >= budget || cut > k2) { k2 = Swift.min(k2, cut); break }
                }
            }
            if only == nil && emitsByRuns {
                // By runs of identical windows (`+Runs`); the key stamps' group slots are its rank scratch.
                try emitRunChunk(k1, k2, blocks: Array(order[first..<next]), keys: keys, rankOf: &stamps.group, asRuns: asRuns, emit: emit)
            } else {
                try emitChunk(k1, k2, blocks: Array(order[first..<next]), only: only, keys: keys, stamps: &stamps) { batch, windowCount in
                    try emit(asRuns ? .runs(RunBatch(rows: batch)) : .rows(batch), windowCount)
                }
            }
            k1 = k2 + 1
            while first < order.count && spec.windows(containingSlice: lastSlice(order[first])).upperBound < k1 { first += 1 }
        }
    }

    /// Builds the output rows of windows `k1…k2` from `blockIDs` (every block that can hold
    /// rows of those windows) and hands them out as one batch, windows ascending.
    ///
    /// Pass 1 walks the windows in order and, for each, the rows of its slices (rows bucketed
    /// by slice once per block); a per-key stamp dedups a key seen in several slices of the
    /// window, so output groups are numbered in (window, first row) order without a hash table.
    /// Pass 2 is one `merge` per block, window position q and aggregate.
    private func emitChunk(_ k1: Int64, _ k2: Int64, blocks blockIDs: [Int64], only: Set<Int64>?, keys: Column, stamps: inout KeyStamps,
                           emit: (RecordBatch, Int) throws -> Void) rethrows {
        let b = blockSlices
        let windowsPerSlice = spec.windows(containingSlice: 0).count
        // Rows of every block bucketed by slice offset (CSR), and the per-(block, q) maps.
        var present: [SliceBlock] = []
        var indexOf: [Int64: Int] = [:]
        var bucketStart: [[Int]] = []
        var bucketRows: [[UInt32]] = []
        var rowKeyIDs: [[UInt32]] = []
        var maps: [[[UInt32]]] = []
        for blk in blockIDs {
            guard let block = blocks[blk] else { continue }
            indexOf[blk] = present.count
            present.append(block)
            let keys = block.rows.keys
            let (start, rows) = block.rowsByOffset(slices: b)
            let ids = keys.map { SliceBlock.keyID(of: $0) }
            bucketStart.append(start)
            bucketRows.append(rows)
            rowKeyIDs.append(ids)
            // One array per position (`repeating:` would share one buffer and copy it on each first write).
            maps.append((0..<windowsPerSlice).map { _ in [UInt32](repeating: UInt32.max, count: keys.count) })
        }
        var stamp = stamps.stamp, group = stamps.group
        stamps = KeyStamps(stamp: [], group: [])  // moved out: mutated in place below, handed back at the end
        defer { stamps = KeyStamps(stamp: stamp, group: group) }
        // At most one output row per (block row, window position): reserved once, no regrowth copies.
        let bound = present.reduce(0) { $0 + $1.rowCount } * windowsPerSlice
        var outKeys: [UInt32] = []
        var starts: [Int64] = []
        var ends: [Int64] = []
        outKeys.reserveCapacity(bound)
        starts.reserveCapacity(bound)
        ends.reserveCapacity(bound)
        var windowCount = 0
        var k = k1
        // The per-row loop works on raw buffers: indexing the nested arrays (`maps[bi][q][r]`)
        // checked uniqueness at every level on every row (emitChunk itself fell from 7.3% to
        // 2.7% of fs-agg-online's CPU samples at 1M events).
        stamp.withUnsafeMutableBufferPointer { stampOf in
            group.withUnsafeMutableBufferPointer { groupOf in
                while k <= k2 {
                    defer { k += 1 }
                    if let only, !only.contains(k) { continue }
                    let before = outKeys.count
                    for j in spec.slices(ofWindow: k) {
                        let blk = floorDiv(j, b)
                        guard let bi = indexOf[blk] else { continue }
                        let o = Int(j - blk * b)
                        let from = bucketStart[bi][o], to = bucketStart[bi][o + 1]
                        guard from < to else { continue }
                        let q = Int(k - spec.windows(containingSlice: j).lowerBound)
                        bucketRows[bi].withUnsafeBufferPointer { rowOf in
                            rowKeyIDs[bi].withUnsafeBufferPointer { keyOf in
                                maps[bi][q].withUnsafeMutableBufferPointer { map in
                                    for i in from..<to {
                                        let r = Int(rowOf[i])
                                        let key = Int(keyOf[r])
                                        if stampOf[key] != k {
                                            stampOf[key] = k
                                            groupOf[key] = UInt32(truncatingIfNeeded: outKeys.count)
                                            outKeys.append(UInt32(truncatingIfNeeded: key))
                                        }
                                        map[r] = groupOf[key]
                                    }
                                }
                            }
                        }
                    }
                    let added = outKeys.count - before
                    if added > 0 {
                        windowCount += 1
                        starts.append(contentsOf: repeatElement(spec.windowStart(k), count: added))
                        ends.append(contentsOf: repeatElement(spec.windowEnd(k), count: added))
                    }
                }
            }
        }
        let count = outKeys.count
        guard count > 0 else { return }
        // Pass 2: merge, with the trash group last.
        let trash = UInt32(count)
        var out = SliceBlock(specs: specs, expectedRows: 16).accumulators
        for a in out.indices { out[a].resize(groupCount: count + 1) }
        for (bi, block) in present.enumerated() {
            for q in 0..<windowsPerSlice {
                // In place: the map is not needed afterwards (a copy per (block, q) was ~3% of the job).
                let any = maps[bi][q].withUnsafeMutableBufferPointer { map -> Bool in
                    var any = false
                    for r in map.indices { if map[r] == UInt32.max { map[r] = trash } else { any = true } }
                    return any
                }
                guard any else { continue }
                maps[bi][q].withUnsafeBufferPointer { m in
                    for a in out.indices { out[a].merge(any: block.accumulators[a], groupMap: m) }
                }
            }
        }
        let results = out.map { Self.prefix($0.finalize(), count) }
        // The key column carries its key-table ids, so the writer's dictionary hashes each key
        // once per column chunk instead of once per output row (~12 rows per event).
        var keyColumn = Self.gatherKeys(keys, outKeys)
        keyColumn.dictionaryHint = DictionaryHint(codes: outKeys, codeCount: keys.count)
        let features = plan.finish(keys: keyColumn, results: results)
        let batch = RecordBatch(schema: outputSchema, columns: [
            features.columns[0], Column(type: .timestamp, values: .int64(starts)), Column(type: .timestamp, values: .int64(ends)),
        ] + features.columns.dropFirst())
        try emit(batch, windowCount)
    }

    /// Scratch of `emitChunk`'s key dedup, kept across the chunks of one emission.
    struct KeyStamps {
        var stamp: [Int64]
        var group: [UInt32]
    }

    /// `keys.gather(ids)` with one exact allocation and memcpy per string (the output's key
    /// column is the largest thing emission builds).
    static func gatherKeys(_ keys: Column, _ ids: [UInt32]) -> Column {
        guard case .string(let s) = keys.values else { return keys.gather(ids.map { Int($0) }) }
        var total = 0
        for id in ids { let i = Int(id); total += s.offsets[i + 1] - s.offsets[i] }
        var offsets = [Int](repeating: 0, count: ids.count + 1)
        var bytes = [UInt8](repeating: 0, count: total)
        s.bytes.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBufferPointer { dst in
                var at = 0
                for (n, id) in ids.enumerated() {
                    let i = Int(id)
                    let from = s.offsets[i], len = s.offsets[i + 1] - from
                    if len > 0, let d = dst.baseAddress, let sp = src.baseAddress { (d + at).update(from: sp + from, count: len) }
                    at += len
                    offsets[n + 1] = at
                }
            }
        }
        var validity: Validity? = nil
        if let v = keys.validity {
            var out = Validity()
            out.reserveCapacity(ids.count)
            for i in ids { out.append(v.isValid(Int(i))) }
            validity = out.nullCount > 0 ? out : nil
        }
        return Column(type: .string, values: .string(StringArray(offsets: offsets, bytes: bytes)), validity: validity)
    }

    /// The first `n` values of a finalized column (dropping the trash group).
    ///
    /// The column is consumed and its value array shortened in place: `finalize` hands out
    /// arrays nothing else references, and copying them (every feature column of every chunk,
    /// ~12 output rows per event) was 1.3% of fs-agg-online's CPU in memmove alone.
    static func prefix(_ c: consuming Column, _ n: Int) -> Column {
        guard c.count > n else { return c }
        let taken = c.values
        c.values = .boolean([])  // `taken` is now the arrays' only reference: no copy on write
        let values: ColumnValues
        switch consume taken {
        case .boolean(var v): v.removeLast(v.count - n); values = .boolean(v)
        case .int32(var v): v.removeLast(v.count - n); values = .int32(v)
        case .int64(var v): v.removeLast(v.count - n); values = .int64(v)
        case .double(var v): v.removeLast(v.count - n); values = .double(v)
        case .string(let s): values = .string(StringArray(offsets: Array(s.offsets[0...n]), bytes: Array(s.bytes[0..<s.offsets[n]])))
        }
        var validity: Validity? = nil
        if let v = c.validity {
            var p = Validity()
            p.reserveCapacity(n)
            for i in 0..<n { p.append(v.isValid(i)) }
            validity = p.nullCount > 0 ? p : nil
        }
        return Column(type: c.type, values: values, validity: validity)
    }

    // MARK: Freeing

    /// Drops blocks whose newest window has ended at or before the watermark, and compacts the
    /// key table once as many rows were freed as are live.
    mutating func freeClosedBlocks() {
        guard let w = watermark else { return }
        freeBlocks(closedBy: w)
    }

    /// Drops blocks whose newest window ends at or before `w` (every window of theirs emitted,
    /// and no row to come falls in them), and compacts the key table once as many rows were
    /// freed as are live.
    mutating func freeBlocks(closedBy w: Int64) {
        let b = blockSlices
        for blk in Array(blocks.keys) where spec.windowEnd(spec.windows(containingSlice: blk &* b &+ (b - 1)).upperBound) <= w {
            rowsFreedSinceCompaction += blocks.removeValue(forKey: blk)?.rowCount ?? 0
        }
        let live = liveKeySlices
        if rowsFreedSinceCompaction > Swift.max(4096, live) {
            compactKeys()
            rowsFreedSinceCompaction = 0
        }
    }

    /// Rebuilds the key table with only the keys live rows use (ids renumbered in old id order)
    /// and re-keys every block's rows, keeping row order.
    mutating func compactKeys() {
        var used = [Bool](repeating: false, count: keyTable.groupCount)
        for block in blocks.values { for key in block.rows.keys { used[Int(SliceBlock.keyID(of: key))] = true } }
        let liveIDs = used.indices.filter { used[$0] }
        guard liveIDs.count < used.count else { return }
        var remap = [UInt32](repeating: UInt32.max, count: used.count)
        for (new, old) in liveIDs.enumerated() { remap[old] = UInt32(new) }
        var table = GroupKeyTable(keyType: keyTable.keyType, expectedGroups: Swift.max(16, liveIDs.count))
        var ids: [UInt32] = []
        table.groupIDs(for: keyTable.keyColumn().gather(liveIDs), into: &ids)
        keyTable = table
        for blk in Array(blocks.keys) {
            guard var block = blocks.removeValue(forKey: blk) else { continue }
            var rows = DenseKeyMap(expectedCount: block.rowCount)
            for key in block.rows.keys {
                _ = rows.id(for: SliceBlock.rowKey(keyID: remap[Int(SliceBlock.keyID(of: key))], offset: SliceBlock.offset(of: key)))
            }
            block.rows = rows
            blocks[blk] = block
        }
    }
}
