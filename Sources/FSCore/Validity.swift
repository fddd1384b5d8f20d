/// A packed validity bitmap: bit i set means row i holds a value, clear means NULL.
///
/// Columns without nulls carry no bitmap at all (`Column.validity == nil`), so the common case
/// costs nothing; when present, AND-ing two bitmaps word by word gives the null propagation of a
/// binary operator in 1/64th of the rows.
public struct Validity: Sendable, Hashable {
    public private(set) var words: [UInt64]
    public private(set) var count: Int

    /// A bitmap of `count` bits, all set to `isValid`.
    public init(repeating isValid: Bool, count: Int) {
        self.count = count
        let n = (count + 63) >> 6
        words = [UInt64](repeating: isValid ? ~0 : 0, count: n)
        if isValid { clearTail() }
    }

    public init() { words = []; count = 0 }

    public init<S: Sequence>(_ bits: S) where S.Element == Bool {
        self.init()
        for b in bits { append(b) }
    }

    /// A bitmap of `bits.count` bits from an array of Bools, packed a word at a time: the
    /// generic initializer appends through a call per bit, ~25 ns a row, which was 1.3% of the
    /// offline job at 10M orders (a NULL mask per sum result).
    public init(_ bits: [Bool]) {
        self.init(count: bits.count) { bits[$0] }
    }

    /// A bitmap of `count` bits, bit i set when `isSet(i)`: built in words, without a call per
    /// bit (row masks of the hot paths).
    @inlinable
    public init(count: Int, where isSet: (Int) -> Bool) {
        var words = [UInt64](repeating: 0, count: (count + 63) >> 6)
        words.withUnsafeMutableBufferPointer { w in
            var start = 0
            while start < count {
                var word: UInt64 = 0
                for bit in 0..<Swift.min(64, count - start) where isSet(start + bit) { word |= 1 << UInt64(bit) }
                w[start >> 6] = word
                start += 64
            }
        }
        self.init(words: words, count: count)
    }

    /// A bitmap of `count` bits copied from packed words in this layout (bit i of word i/64),
    /// a word at a time: builders that keep their bits in raw memory (FSStreams' columns) hand
    /// them over without re-packing each bit. Bits past `count` are cleared.
    public init(copying source: UnsafePointer<UInt64>, count: Int) {
        let n = (count + 63) >> 6
        self.init(words: [UInt64](unsafeUninitializedCapacity: n) { b, c in
            if n > 0 { b.baseAddress!.update(from: source, count: n) }
            c = n
        }, count: count)
        clearTail()
    }

    @usableFromInline
    init(words: [UInt64], count: Int) {
        self.words = words
        self.count = count
    }

    @inlinable
    public func isValid(_ i: Int) -> Bool {
        (words[i >> 6] >> UInt64(i & 63)) & 1 == 1
    }

    public mutating func set(_ i: Int, _ isValid: Bool) {
        let mask: UInt64 = 1 << UInt64(i & 63)
        if isValid { words[i >> 6] |= mask } else { words[i >> 6] &= ~mask }
    }

    public mutating func append(_ isValid: Bool) {
        if count & 63 == 0 { words.append(0) }
        if isValid { words[count >> 6] |= 1 << UInt64(count & 63) }
        count += 1
    }

    public mutating func reserveCapacity(_ n: Int) { words.reserveCapacity((n + 63) >> 6) }

    /// Number of clear bits (NULL rows).
    public var nullCount: Int {
        var set = 0
        for w in words { set += w.nonzeroBitCount }
        return count - set
    }

    /// Rows valid in both `self` and `other` (null propagation of a binary operator).
    public func intersection(_ other: Validity) -> Validity {
        precondition(count == other.count, "validity length mismatch: \(count) vs \(other.count)")
        var out = self
        for i in 0..<words.count { out.words[i] &= other.words[i] }
        return out
    }

    /// Appends the first `n` bits of `other`.
    public mutating func append(contentsOf other: Validity) {
        for i in 0..<other.count { append(other.isValid(i)) }
    }

    private mutating func clearTail() {
        let rem = count & 63
        if rem != 0, !words.isEmpty { words[words.count - 1] &= (1 << UInt64(rem)) - 1 }
    }
}
