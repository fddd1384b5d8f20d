import FSCore

/// Checkpointing a whole grouped table (the online job's window-slice state): keys, row
/// stamp counter and every accumulator's states, in the `StateWriter` encoding.
///
///     u8 format (1) · i64 rowsSeen · count groups · per group: bool isNull, key
///     · count aggregates · per aggregate: bytes(Accumulator.serialize())
///
/// Keys are stored as Int64 (integer-like types) or UTF-8 bytes (strings). Reading re-inserts
/// the keys in id order, so group ids — and thus each accumulator's group order — are preserved.
extension GroupedAggregator {
    public func serialize() -> [UInt8] {
        var w = StateWriter()
        w.write(UInt8(1))
        w.write(rowsSeen)
        w.write(keys: keys.keyColumn())
        w.writeCount(accumulators.count)
        for a in accumulators { w.write(bytes: a.serialize()) }
        return w.bytes
    }

    /// Rebuilds a table written by `serialize()` for the same key type and aggregates.
    public init(deserializing bytes: [UInt8], keyType: DataType, specs: [AggregateSpec]) throws(StateDecodingError) {
        do { try self.init(keyType: keyType, specs: specs) } catch {
            throw .invalid(offset: 0, reason: "cannot build the aggregates: \(error)")
        }
        var r = StateReader(bytes)
        let tag = try r.readUInt8()
        guard tag == 1 else { throw .invalid(offset: 0, reason: "unknown grouped state format \(tag)") }
        let seen = try r.readInt64()
        let keyColumn = try r.readKeys(type: keyType)
        let n = keyColumn.count
        try restore(keyColumn: keyColumn, rowsSeen: seen)
        guard keys.groupCount == n else { throw .invalid(offset: r.offset, reason: "duplicate keys in grouped state") }
        let m = try r.readCount(limit: 1 << 20)
        guard m == accumulators.count else { throw .invalid(offset: r.offset, reason: "\(m) aggregates, expected \(accumulators.count)") }
        for k in 0..<m {
            let part = try r.readBytes()
            try accumulators[k].deserialize(part)
            accumulators[k].resize(groupCount: n)
            guard accumulators[k].groupCount == n else {
                throw .invalid(offset: r.offset, reason: "aggregate \(k) has \(accumulators[k].groupCount) groups, expected \(n)")
            }
        }
        guard r.isAtEnd else { throw .invalid(offset: r.offset, reason: "trailing bytes") }
    }
}
