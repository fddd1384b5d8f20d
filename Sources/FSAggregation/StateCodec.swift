import FSCore

/// Appends the binary form of aggregate states: little-endian fixed-width numbers and
/// length-prefixed byte strings.
///
/// The online job checkpoints its window state with this encoding, so it must stay stable:
/// every accumulator writes a one-byte format tag first (see `Accumulator.serialize()`), and a
/// change of layout takes a new tag rather than reinterpreting old bytes.
public struct StateWriter: Sendable {
    /// The bytes written so far (empty for a counting writer).
    public private(set) var bytes: [UInt8] = []
    /// How many bytes were written so far, kept or not.
    public private(set) var count = 0
    /// Keeps no bytes, only `count`.
    private let isCountingOnly: Bool

    public init() { isCountingOnly = false }

    private init(isCountingOnly: Bool) { self.isCountingOnly = isCountingOnly }

    /// A writer that only counts: the size of a serialized state without building it (the
    /// online job measures its state's memory this way at every new peak).
    public static func counting() -> StateWriter { StateWriter(isCountingOnly: true) }

    public mutating func write(_ v: UInt8) {
        count += 1
        if !isCountingOnly { bytes.append(v) }
    }

    public mutating func write(_ v: Bool) { write(UInt8(v ? 1 : 0)) }

    /// Eight bytes, little-endian, in one append (a byte at a time made serializing a large
    /// window state a visible part of the online job's CPU).
    public mutating func write(_ v: UInt64) {
        count += 8
        if !isCountingOnly { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    }

    public mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }
    public mutating func write(_ v: Double) { write(v.bitPattern) }

    /// A non-negative count (lengths, element counts) as an unsigned LEB128 varint.
    public mutating func writeCount(_ n: Int) {
        var x = UInt64(n)
        while x >= 0x80 { write(UInt8(x & 0x7F) | 0x80); x >>= 7 }
        write(UInt8(x))
    }

    /// A byte string preceded by its length.
    public mutating func write<C: Collection>(bytes b: C) where C.Element == UInt8 {
        writeCount(b.count)
        count += b.count
        if !isCountingOnly { bytes.append(contentsOf: b) }
    }
}

extension StateWriter {
    /// A group-key column, in group-id order: the count, then per key a null flag and the value
    /// (strings as bytes, doubles as bits, every integer and boolean as an Int64).
    public mutating func write(keys: Column) {
        writeCount(keys.count)
        for g in 0..<keys.count {
            let isNull = keys.isNull(g)
            write(isNull)
            if isNull { continue }
            switch keys.values {
            case .string(let s): s.withUTF8(g) { write(bytes: $0) }
            case .int32(let v): write(Int64(v[g]))
            case .int64(let v): write(v[g])
            case .boolean(let v): write(Int64(v[g] ? 1 : 0))
            case .double(let v): write(v[g])
            }
        }
    }
}

extension StateReader {
    /// A key column written by `StateWriter.write(keys:)`, of `type`.
    public mutating func readKeys(type: DataType) throws(StateDecodingError) -> Column {
        let n = try readCount(limit: bytes.count)
        var b = ColumnBuilder(type: type, capacity: n)
        for _ in 0..<n {
            if try readBool() { b.appendNull(); continue }
            switch type {
            case .string: let k = try readBytes(); k.withUnsafeBytes { b.append(utf8: $0) }
            case .double: b.append(try readDouble())
            case .boolean: b.append(try readInt64() != 0)
            case .int32, .date: b.append(Int32(truncatingIfNeeded: try readInt64()))
            case .int64, .timestamp: b.append(try readInt64())
            }
        }
        return b.finish()
    }
}

/// Reads what `StateWriter` wrote; every read checks the remaining length, so a truncated or
/// corrupt checkpoint is an error naming the offset, never a crash.
public struct StateReader: Sendable {
    public let bytes: [UInt8]
    /// Position of the next unread byte.
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// True when every byte has been consumed.
    public var isAtEnd: Bool { offset == bytes.count }

    private func need(_ n: Int) throws(StateDecodingError) {
        if n < 0 || bytes.count - offset < n { throw .truncated(offset: offset, needed: n) }
    }

    public mutating func readUInt8() throws(StateDecodingError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readBool() throws(StateDecodingError) -> Bool {
        let b = try readUInt8()
        guard b <= 1 else { throw .invalid(offset: offset - 1, reason: "boolean byte \(b)") }
        return b == 1
    }

    public mutating func readUInt64() throws(StateDecodingError) -> UInt64 {
        try need(8)
        var x: UInt64 = 0
        for k in 0..<8 { x |= UInt64(bytes[offset + k]) << UInt64(8 * k) }
        offset += 8
        return x
    }

    public mutating func readInt64() throws(StateDecodingError) -> Int64 { Int64(bitPattern: try readUInt64()) }
    public mutating func readDouble() throws(StateDecodingError) -> Double { Double(bitPattern: try readUInt64()) }

    /// A varint count, bounded by `limit` so corrupt input cannot request huge allocations.
    public mutating func readCount(limit: Int = Int(Int32.max)) throws(StateDecodingError) -> Int {
        let start = offset
        var x: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try readUInt8()
            if shift >= 63 { throw .invalid(offset: start, reason: "varint too long") }
            x |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        guard x <= UInt64(limit) else { throw .invalid(offset: start, reason: "count \(x) exceeds \(limit)") }
        return Int(x)
    }

    /// A length-prefixed byte string.
    public mutating func readBytes() throws(StateDecodingError) -> [UInt8] {
        let n = try readCount(limit: bytes.count)
        try need(n)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }
}

/// A serialized aggregate state that cannot be read back: the checkpoint is corrupt or was
/// written by an incompatible version. Bad data (exit 65), never a crash.
public enum StateDecodingError: CategorizedError, Equatable {
    case truncated(offset: Int, needed: Int)
    case invalid(offset: Int, reason: String)

    public var exitStatus: ExitStatus { .dataError }

    public var description: String {
        switch self {
        case .truncated(let o, let n): return "aggregate state truncated at byte \(o): \(n) more bytes expected"
        case .invalid(let o, let r): return "aggregate state invalid at byte \(o): \(r)"
        }
    }
}
