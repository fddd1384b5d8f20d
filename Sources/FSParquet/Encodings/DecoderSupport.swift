/// Why an encoded buffer (a page body, a level run, a compressed block) could not be decoded.
///
/// Decoders are pure functions over one buffer and know nothing about files or columns; the
/// reader wraps this into a `ParquetError` that names the file, the column and the page offset.
/// `offset` is the byte position inside the buffer handed to the decoder.
struct DecodeFailure: Error, Equatable, CustomStringConvertible {
    var reason: String
    var offset: Int

    init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    var description: String { "\(reason) at byte \(offset)" }
}

/// A bounds-checked read position over a byte buffer: every read either stays inside the
/// buffer or throws, so malformed input can never read past the end.
///
/// Reads are little-endian, as everything inside Parquet pages is.
struct DecoderCursor {
    let buffer: UnsafeRawBufferPointer
    var position: Int

    init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    /// Bytes left after `position`.
    @inline(__always)
    var remaining: Int { buffer.count - position }

    @inline(__always)
    func require(_ count: Int, _ what: StaticString) throws(DecodeFailure) {
        guard count >= 0, count <= remaining else {
            throw DecodeFailure("\(what): needs \(count) bytes, \(remaining) left", at: position)
        }
    }

    @inline(__always)
    mutating func readByte() throws(DecodeFailure) -> UInt8 {
        try require(1, "byte")
        defer { position += 1 }
        return buffer[position]
    }

    /// Unsigned LEB128 varint of at most 10 bytes (64 bits).
    @inline(__always)
    mutating func readVarint() throws(DecodeFailure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else { throw DecodeFailure("truncated varint", at: start) }
            let b = buffer[position]
            position += 1
            if shift == 63 && b > 1 { throw DecodeFailure("varint overflows 64 bits", at: start) }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw DecodeFailure("varint longer than 10 bytes", at: start) }
        }
    }

    /// A zigzag-encoded signed varint.
    @inline(__always)
    mutating func readZigZagVarint() throws(DecodeFailure) -> Int64 {
        let u = try readVarint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A varint that must fit a non-negative Int no larger than `limit`.
    @inline(__always)
    mutating func readCount(limit: Int, _ what: StaticString) throws(DecodeFailure) -> Int {
        let start = position
        let v = try readVarint()
        guard v <= UInt64(limit) else { throw DecodeFailure("\(what) \(v) exceeds \(limit)", at: start) }
        return Int(v)
    }

    @inline(__always)
    mutating func readUInt32() throws(DecodeFailure) -> UInt32 {
        try require(4, "uint32")
        defer { position += 4 }
        return buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
    }

    /// The next `count` bytes as a sub-buffer (no copy).
    @inline(__always)
    mutating func readBytes(_ count: Int, _ what: StaticString = "bytes") throws(DecodeFailure) -> UnsafeRawBufferPointer {
        try require(count, what)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: buffer[position ..< position + count])
    }
}

/// Where one BYTE_ARRAY value lives inside a source buffer (a page body, a dictionary or a
/// decoder's own scratch): the reader copies spans straight into `StringArray` bytes, so no
/// `String` is ever created per value. Pages are smaller than 2 GiB, so 32 bits suffice.
struct ByteSpan: Equatable {
    var start: UInt32
    var count: UInt32

    init(start: Int, count: Int) {
        self.start = UInt32(truncatingIfNeeded: start)
        self.count = UInt32(truncatingIfNeeded: count)
    }
}

#if _endian(big)
#error("FSParquet decoders load little-endian values with plain memory copies")
#endif

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps the body's typed error (the standard one is untyped `rethrows`).
    @inline(__always)
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { p in Result { () throws(E) -> R in try body(p) } }
        return try result.get()
    }

    /// `withUnsafeMutableBytes` that keeps the body's typed error.
    @inline(__always)
    mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeMutableBytes { p in Result { () throws(E) -> R in try body(p) } }
        return try result.get()
    }
}
