import FSCore

/// Checkpointing the whole window state: what the online job writes next to each output commit
/// so a restart resumes exactly where the committed output ends.
///
///     u8 format (1) · bytes fingerprint · i64 duration, slide, delay · u8 mode
///     · opt maxEventTime, watermark, emittedThrough (bool present + i64)
///     · 6 × i64 counters · count dirty windows · i64 each
///     · count slices · per slice (ascending): i64 slice number, bytes(GroupedAggregator.serialize())
///
/// The fingerprint is the caller's description of everything else the state depends on (the
/// definitions, key and time fields); a state written under another fingerprint is refused
/// rather than silently mixed with different features.
extension WindowedAggregator {
    public func serialize(fingerprint: String) -> [UInt8] {
        var w = StateWriter()
        w.write(UInt8(1))
        w.write(bytes: Array(fingerprint.utf8))
        w.write(spec.duration); w.write(spec.slide); w.write(delay)
        w.write(UInt8(mode == .append ? 0 : 1))
        for v in [maxEventTime, watermark, emittedThrough] {
            w.write(v != nil)
            if let v { w.write(v) }
        }
        for c in [counters.eventsIn, counters.lateEvents, counters.partiallyLateEvents, counters.nullTimeEvents,
                  counters.windowsEmitted, counters.rowsEmitted] { w.write(c) }
        w.writeCount(dirty.count)
        for k in dirty.sorted() { w.write(k) }
        w.writeCount(slices.count)
        for j in slices.keys.sorted() {
            w.write(j)
            w.write(bytes: slices[j]?.serialize() ?? [])
        }
        return w.bytes
    }

    /// Replaces this (fresh) aggregator's state with a checkpoint written by `serialize`.
    public mutating func restore(_ bytes: [UInt8], fingerprint: String) throws(StateDecodingError) {
        var r = StateReader(bytes)
        let tag = try r.readUInt8()
        guard tag == 1 else { throw .invalid(offset: 0, reason: "unknown window state format \(tag)") }
        let stored = String(decoding: try r.readBytes(), as: UTF8.self)
        guard stored == fingerprint else {
            throw .invalid(offset: 1, reason: "the state was written for other settings (\(stored)); this run has \(fingerprint)")
        }
        let duration = try r.readInt64(), slide = try r.readInt64(), storedDelay = try r.readInt64()
        let storedMode = try r.readUInt8()
        guard duration == spec.duration, slide == spec.slide, storedDelay == delay, storedMode == (mode == .append ? 0 : 1) else {
            throw .invalid(offset: r.offset, reason: "the state was written with another window, slide, watermark or output mode")
        }
        var optionals: [Int64?] = []
        for _ in 0..<3 { optionals.append(try r.readBool() ? try r.readInt64() : nil) }
        var c = WindowCounters()
        c.eventsIn = try r.readInt64(); c.lateEvents = try r.readInt64(); c.partiallyLateEvents = try r.readInt64()
        c.nullTimeEvents = try r.readInt64(); c.windowsEmitted = try r.readInt64(); c.rowsEmitted = try r.readInt64()
        var d = Set<Int64>()
        for _ in 0..<(try r.readCount(limit: bytes.count)) { d.insert(try r.readInt64()) }
        var s: [Int64: GroupedAggregator] = [:]
        let keyType = plan.schema.fields[plan.keyIndex].type
        let specs = plan.aggregates.map(\.spec)
        for _ in 0..<(try r.readCount(limit: bytes.count)) {
            let j = try r.readInt64()
            s[j] = try GroupedAggregator(deserializing: try r.readBytes(), keyType: keyType, specs: specs)
        }
        guard r.isAtEnd else { throw .invalid(offset: r.offset, reason: "trailing bytes in window state") }
        maxEventTime = optionals[0]; watermark = optionals[1]; emittedThrough = optionals[2]
        counters = c
        dirty = d
        slices = s
    }
}
