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
        let keyColumn = keys.keyColumn()
        w.writeCount(keyColumn.count)
        for g in 0..<keyColumn.count {
            let isNull = keyColumn.isNull(g)
            w.write(isNull)
            if isNull { continue }
            switch keyColumn.values {
            case .string(let s): s.withUTF8(g) { w.write(bytes: $0) }
            case .int32(let v): w.write(Int64(v[g]))
            case .int64(let v): w.write(v[g])
            case .boolean(let v): w.write(Int64(v[g] ? 1 : 0))
            case .double(let v): w.write(v[g])
            }
        }
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
        let n = try r.readCount(limit: bytes.count)
        var b = ColumnBuilder(type: keyType, capacity: n)
        for _ in 0..<n {
            if try r.readBool() { b.appendNull(); continue }
            switch keyType {
            case .string: let k = try r.readBytes(); k.withUnsafeBytes { b.append(utf8: $0) }
            case .double: b.append(try r.readDouble())
            case .boolean: b.append(try r.readInt64() != 0)
            case .int32, .date: b.append(Int32(truncatingIfNeeded: try r.readInt64()))
            case .int64, .timestamp: b.append(try r.readInt64())
            }
        }
        let keyColumn = b.finish()
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
