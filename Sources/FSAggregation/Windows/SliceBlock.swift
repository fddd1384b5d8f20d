import FSCore

/// The (key, slice) states of a run of consecutive slices: one row per (key, slice) pair that
/// has events, its states stored column-wise in one accumulator per aggregate.
///
///     block b = slices [b·B, b·B + B)
///     rows:  (key id << 32 | slice − b·B) ──DenseKeyMap──► row r
///     accumulators[k]: group r = the state of aggregate k for row r
///
/// Grouping slices into blocks keeps the per-slice overhead (the accumulator arrays) off sparse
/// data, lets emission merge a whole block per accumulator call, and frees state in one step
/// when the block's newest window has closed — no deletion inside a hash table, no compaction.
struct SliceBlock: Sendable {
    var rows: DenseKeyMap
    var accumulators: [any Accumulator]

    init(specs: [AggregateSpec], expectedRows: Int) {
        rows = DenseKeyMap(expectedCount: expectedRows)
        var accs: [any Accumulator] = []
        for s in specs {
            // The plan validated every spec, so building its accumulator cannot fail.
            guard let a = try? makeAccumulator(s) else { preconditionFailure("validated aggregate \(s) failed to build") }
            accs.append(a)
        }
        accumulators = accs
    }

    var rowCount: Int { rows.count }

    @inline(__always)
    static func rowKey(keyID: UInt32, offset: UInt32) -> UInt64 { UInt64(keyID) << 32 | UInt64(offset) }

    @inline(__always)
    static func keyID(of rowKey: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: rowKey >> 32) }

    @inline(__always)
    static func offset(of rowKey: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: rowKey) }

    /// The block's rows bucketed by slice offset (a counting sort, CSR form): the rows of offset
    /// `o` are `rows[start[o]..<start[o + 1]]`, in row order. `slices` is the block's width B.
    /// Both emission paths walk a block slice by slice through this.
    func rowsByOffset(slices: Int64) -> (start: [Int], rows: [UInt32]) {
        let keys = rows.keys
        var start = [Int](repeating: 0, count: Int(slices) + 1)
        for key in keys { start[Int(Self.offset(of: key)) + 1] += 1 }
        for o in 0..<Int(slices) { start[o + 1] += start[o] }
        var fill = start
        var byOffset = [UInt32](repeating: 0, count: keys.count)
        for (r, key) in keys.enumerated() {
            let o = Int(Self.offset(of: key))
            byOffset[fill[o]] = UInt32(r)
            fill[o] += 1
        }
        return (start, byOffset)
    }

    /// Folds rows into their (key, slice) states, creating rows for new pairs.
    /// - Parameters:
    ///   - keyIDs, offsets: per input row, the key id and the slice offset inside this block.
    ///   - arguments, selections: per aggregate, as `FeaturePlan.evaluateInputs` gives them,
    ///     for exactly these rows.
    mutating func fold(keyIDs: UnsafeBufferPointer<UInt32>, offsets: UnsafeBufferPointer<UInt32>, arguments: [[Column]],
                       selections: [Validity?], firstRowStamp: Int64, scratch ids: inout [UInt32]) {
        let n = keyIDs.count
        ids.removeAll(keepingCapacity: true)
        ids.reserveCapacity(n)
        for i in 0..<n { ids.append(rows.id(for: Self.rowKey(keyID: keyIDs[i], offset: offsets[i]))) }
        let count = rows.count
        ids.withUnsafeBufferPointer { groups in
            for k in accumulators.indices {
                accumulators[k].resize(groupCount: count)
                accumulators[k].update(arguments[k], groups: groups, selection: selections[k], firstRowStamp: firstRowStamp)
            }
        }
    }
}
