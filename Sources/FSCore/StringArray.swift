/// UTF-8 strings of one column, stored as one byte buffer plus offsets.
///
/// String i is `bytes[offsets[i] ..< offsets[i + 1]]`. No per-row allocation: appending copies
/// bytes, and readers look at a row through `withUTF8(_:_:)` without creating a `String`.
public struct StringArray: Sendable, Hashable {
    /// `count + 1` offsets into `bytes`; `offsets[0] == 0`.
    public private(set) var offsets: [Int]
    /// The concatenated UTF-8 bytes of every row.
    public private(set) var bytes: [UInt8]

    public init() { offsets = [0]; bytes = [] }

    public init<S: Sequence>(_ strings: S) where S.Element == String {
        self.init()
        for s in strings { append(s) }
    }

    /// Takes ownership of already-built buffers. `offsets` must start at 0, be non-decreasing,
    /// and end at `bytes.count`.
    public init(offsets: [Int], bytes: [UInt8]) {
        precondition(offsets.first == 0 && offsets.last == bytes.count, "malformed string offsets")
        self.offsets = offsets
        self.bytes = bytes
    }

    public var count: Int { offsets.count - 1 }

    public mutating func reserveCapacity(rows: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(rows + 1)
        bytes.reserveCapacity(byteCount)
    }

    public mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
        offsets.append(bytes.count)
    }

    public mutating func append(utf8 buffer: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: buffer)
        offsets.append(bytes.count)
    }

    public mutating func append<C: Collection>(utf8 collection: C) where C.Element == UInt8 {
        bytes.append(contentsOf: collection)
        offsets.append(bytes.count)
    }

    /// Appends an empty string (the placeholder stored under a NULL).
    public mutating func appendEmpty() { offsets.append(bytes.count) }

    public mutating func append(contentsOf other: StringArray) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        offsets.reserveCapacity(offsets.count + other.count)
        for i in 1..<other.offsets.count { offsets.append(base + other.offsets[i]) }
    }

    public subscript(i: Int) -> String {
        let lo = offsets[i], hi = offsets[i + 1]
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[lo..<hi]), as: UTF8.self) }
    }

    /// Byte length of row i.
    @inlinable
    public func length(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }

    /// Calls `body` with the UTF-8 bytes of row i, without copying.
    @inlinable
    public func withUTF8<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let lo = offsets[i], hi = offsets[i + 1]
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[lo..<hi])) }
    }

    /// Rows `indices`, in that order (repeats allowed).
    ///
    /// One pass sums the lengths, then the bytes are copied with one reservation and raw
    /// memory copies: this runs on every row the offline scan keeps and every key-partition
    /// split, where appending row by row (a growth check and a slice per row) cost more than
    /// the copying itself.
    public func gather(_ indices: [Int]) -> StringArray {
        var total = 0
        offsets.withUnsafeBufferPointer { off in
            for i in indices { total += off[i + 1] - off[i] }
        }
        var newOffsets = [Int](repeating: 0, count: indices.count + 1)
        let newBytes = [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            offsets.withUnsafeBufferPointer { off in
                bytes.withUnsafeBufferPointer { src in
                    var at = 0
                    for (k, i) in indices.enumerated() {
                        let lo = off[i], length = off[i + 1] - lo
                        if length > 0, let from = src.baseAddress, let to = out.baseAddress {
                            (to + at).update(from: from + lo, count: length)
                        }
                        at += length
                        newOffsets[k + 1] = at
                    }
                }
            }
            initialized = total
        }
        return StringArray(offsets: newOffsets, bytes: newBytes)
    }
}

/// Lexicographic order of unsigned bytes: the order Parquet statistics and Spark use for strings
/// (Swift's `String <` compares by Unicode scalars after normalization, which differs).
@inlinable
public func utf8Less(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = Swift.min(a.count, b.count)
    var i = 0
    while i < n {
        if a[i] != b[i] { return a[i] < b[i] }
        i += 1
    }
    return a.count < b.count
}

/// `utf8Less` for two Swift strings.
public func utf8Less(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { pa in b.withUTF8 { pb in utf8Less(pa, pb) } }
}
