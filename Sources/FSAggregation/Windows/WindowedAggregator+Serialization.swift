import FSCore

/// Checkpointing the whole window state: what the online job writes next to each output commit
/// so a restart resumes exactly where the committed output ends.
///
///     u8 format (2) · bytes fingerprint · i64 duration, slide, delay, block slices · u8 mode
///     · opt maxEventTime, watermark, emittedThrough (bool present + i64)
///     · 6 × i64 counters · count dirty windows · i64 each
///     · count keys · per key (id order): bool isNull, key (i64, or UTF-8 bytes)
///     · count blocks · per block (ascending): i64 block number · count rows · u64 row key each
///       · per aggregate: bytes(Accumulator.serialize())
///
/// Row order inside a block and key ids are preserved, so a restored engine emits exactly what
/// the uninterrupted one would. The fingerprint is the caller's description of everything else
/// the state depends on (the definitions, key and time fields); a state written under another
/// fingerprint is refused rather than silently mixed with different features.
extension WindowedAggregator {
    public func serialize(fingerprint: String) -> [UInt8] {
        var w = StateWriter()
        w.write(UInt8(2))
        w.write(bytes: Array(fingerprint.utf8))
        w.write(spec.duration); w.write(spec.slide); w.write(delay); w.write(blockSlices)
        w.write(UInt8(mode == .append ? 0 : 1))
        for v in [maxEventTime, watermark, emittedThrough] {
            w.write(v != nil)
            if let v { w.write(v) }
        }
        for c in [counters.eventsIn, counters.lateEvents, counters.partiallyLateEvents, counters.nullTimeEvents,
                  counters.windowsEmitted, counters.rowsEmitted] { w.write(c) }
        w.writeCount(dirty.count)
        for k in dirty.sorted() { w.write(k) }
        w.write(keys: keyTable.keyColumn())
        w.writeCount(blocks.count)
        for blk in blocks.keys.sorted() {
            guard let block = blocks[blk] else { continue }
            w.write(blk)
            w.writeCount(block.rowCount)
            for key in block.rows.keys { w.write(key) }
            for a in block.accumulators { w.write(bytes: a.serialize()) }
        }
        return w.bytes
    }

    /// Replaces this (fresh) aggregator's state with a checkpoint written by `serialize`.
    public mutating func restore(_ bytes: [UInt8], fingerprint: String) throws(StateDecodingError) {
        var r = StateReader(bytes)
        let tag = try r.readUInt8()
        guard tag == 2 else { throw .invalid(offset: 0, reason: "unknown window state format \(tag) (this fs reads format 2)") }
        let stored = String(decoding: try r.readBytes(), as: UTF8.self)
        guard stored == fingerprint else {
            throw .invalid(offset: 1, reason: "the state was written for other settings (\(stored)); this run has \(fingerprint)")
        }
        let duration = try r.readInt64(), slide = try r.readInt64(), storedDelay = try r.readInt64(), storedBlock = try r.readInt64()
        let storedMode = try r.readUInt8()
        guard duration == spec.duration, slide == spec.slide, storedDelay == delay, storedBlock == blockSlices,
              storedMode == (mode == .append ? 0 : 1) else {
            throw .invalid(offset: r.offset, reason: "the state was written with another window, slide, watermark or output mode")
        }
        var optionals: [Int64?] = []
        for _ in 0..<3 { optionals.append(try r.readBool() ? try r.readInt64() : nil) }
        var c = WindowCounters()
        c.eventsIn = try r.readInt64(); c.lateEvents = try r.readInt64(); c.partiallyLateEvents = try r.readInt64()
        c.nullTimeEvents = try r.readInt64(); c.windowsEmitted = try r.readInt64(); c.rowsEmitted = try r.readInt64()
        var d = Set<Int64>()
        for _ in 0..<(try r.readCount(limit: bytes.count)) { d.insert(try r.readInt64()) }
        let keyType = keyTable.keyType
        let keyColumn = try r.readKeys(type: keyType)
        let keyCount = keyColumn.count
        var table = GroupKeyTable(keyType: keyType, expectedGroups: Swift.max(16, keyCount))
        var ids: [UInt32] = []
        table.groupIDs(for: keyColumn, into: &ids)
        guard table.groupCount == keyCount else { throw .invalid(offset: r.offset, reason: "duplicate keys in window state") }
        var restored: [Int64: SliceBlock] = [:]
        for _ in 0..<(try r.readCount(limit: bytes.count)) {
            let blk = try r.readInt64()
            let rows = try r.readCount(limit: bytes.count)
            var block = SliceBlock(specs: specs, expectedRows: rows)
            for i in 0..<rows {
                let key = try r.readUInt64()
                guard Int(SliceBlock.keyID(of: key)) < keyCount, Int64(SliceBlock.offset(of: key)) < blockSlices,
                      block.rows.id(for: key) == UInt32(i) else {
                    throw .invalid(offset: r.offset, reason: "bad or duplicate row in block \(blk)")
                }
            }
            for a in block.accumulators.indices {
                try block.accumulators[a].deserialize(try r.readBytes())
                block.accumulators[a].resize(groupCount: rows)
                guard block.accumulators[a].groupCount == rows else {
                    throw .invalid(offset: r.offset, reason: "block \(blk): aggregate \(a) has \(block.accumulators[a].groupCount) rows, expected \(rows)")
                }
            }
            guard restored.updateValue(block, forKey: blk) == nil else { throw .invalid(offset: r.offset, reason: "block \(blk) twice") }
        }
        guard r.isAtEnd else { throw .invalid(offset: r.offset, reason: "trailing bytes in window state") }
        maxEventTime = optionals[0]; watermark = optionals[1]; emittedThrough = optionals[2]
        counters = c
        dirty = d
        keyTable = table
        blocks = restored
        rowsFreedSinceCompaction = 0
    }
}
