import FSCore

/// A validating, allocation-free JSON tokenizer over one message's bytes.
///
/// The ingest hot loop cannot afford a document tree per message. The scanner walks the bytes
/// once, reports where each token starts and ends, and leaves decoding to the caller, which
/// copies straight into column buffers. Nesting is skipped iteratively (no recursion, so a
/// hostile `[[[[…` cannot overflow the stack) up to `maxDepth`.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    let maxDepth: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Why scanning failed; the parser maps these to quarantine reasons.
    enum Failure: Error, Equatable {
        case syntax(offset: Int)
        case tooDeep
        /// A string's content is not UTF-8; `offset` is its first bad byte in the message.
        /// Strings are the only place a valid message can hold bytes ≥ 0x80 (anywhere else
        /// they are a syntax error), so checking each string that has such bytes, while it is
        /// scanned, validates the whole message of a successful scan without a separate pass.
        case invalidUTF8(offset: Int)
    }

    /// A scalar or nested value's position and shape.
    enum Token: Equatable {
        /// Content between the quotes; `hasEscapes` when it needs `decodeString`.
        case string(start: Int, end: Int, hasEscapes: Bool)
        /// Number text; `isInteger` when it has no fraction or exponent.
        case number(start: Int, end: Int, isInteger: Bool)
        case bool(Bool)
        case null
        /// Whole text of an array, brackets included.
        case array(start: Int, end: Int)
        /// Whole text of an object, braces included.
        case object(start: Int, end: Int)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            let c = bytes[index]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            index += 1
        }
    }

    @inline(__always)
    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Consumes `c` (after whitespace) or fails.
    mutating func expect(_ c: UInt8) throws(Failure) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == c else { throw .syntax(offset: index) }
        index += 1
    }

    /// Consumes the string `"name"` when it comes next, byte for byte (so without escapes);
    /// otherwise leaves the index where it was and returns false. `name` must be ASCII without
    /// `"`, `\\` or control bytes (a field name), so a match is a valid string.
    ///
    /// Why: the parser knows which field name most likely comes next (producers keep the
    /// field order), and comparing it in place replaces a scan of the key, a UTF-8 check and a
    /// name lookup — 30 keys a message.
    @inline(__always)
    mutating func consumeKey(_ name: UnsafeRawBufferPointer) -> Bool {
        let n = name.count
        guard let base = bytes.baseAddress, let nb = name.baseAddress, index + n + 2 <= bytes.count,
              base[index] == 0x22, base[index + n + 1] == 0x22, bytesEqual(base + index + 1, nb, n) else { return false }
        index += n + 2
        return true
    }

    /// Consumes `member` (a key with its quotes and colon, `"name":`) when it comes next byte
    /// for byte, else leaves the index where it was. Producers write compact JSON, so the key
    /// and the colon are compared as one run of bytes: two quote checks and the colon's
    /// `expect` folded into one word compare, for ~20 keys a message.
    @inline(__always)
    mutating func consumeKey(member: UnsafeRawBufferPointer) -> Bool {
        let n = member.count
        guard let base = bytes.baseAddress, let m = member.baseAddress, index + n <= bytes.count,
              bytesEqual(base + index, m, n) else { return false }
        index += n
        return true
    }

    /// Scans a string starting at the opening quote.
    mutating func scanString() throws(Failure) -> (start: Int, end: Int, hasEscapes: Bool) {
        guard index < bytes.count, bytes[index] == 0x22 else { throw .syntax(offset: index) }
        index += 1
        let start = index
        var escaped = false
        var high: UInt64 = 0
        while index < bytes.count {
            high |= skipPlainStringBytes()
            guard index < bytes.count else { break }
            let c = bytes[index]
            if c == 0x22 {
                let end = index
                index += 1
                if high & 0x8080_8080_8080_8080 != 0 { try validateUTF8(start, end) }
                return (start, end, escaped)
            }
            if c == 0x5C {
                escaped = true
                index += 1
                guard index < bytes.count else { throw .syntax(offset: index) }
                switch bytes[index] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: index += 1
                case 0x75:
                    guard index + 4 < bytes.count else { throw .syntax(offset: index) }
                    for k in 1...4 where hexValue(bytes[index + k]) == nil { throw .syntax(offset: index + k) }
                    index += 5
                default: throw .syntax(offset: index)
                }
                continue
            }
            if c < 0x20 { throw .syntax(offset: index) }
            high |= UInt64(c)
            index += 1
        }
        throw .syntax(offset: index)
    }

    /// Throws `.invalidUTF8` when the string content `start..<end` is not UTF-8. Called only
    /// for strings holding a byte ≥ 0x80 (about half of the bench's orders, in a name or a
    /// city): ASCII strings, most of the bytes, cost one OR per word of the scan instead.
    func validateUTF8(_ start: Int, _ end: Int) throws(Failure) {
        if let bad = firstInvalidUTF8(UnsafeBufferPointer(rebasing: bytes[start..<end])) { throw .invalidUTF8(offset: start + bad) }
    }

    /// Advances over string content that needs no attention, eight bytes at a time: stops at
    /// (or up to 7 bytes before) the first `"`, `\\` or control byte. SWAR tests ("has a zero
    /// byte", "has a byte < 0x20"), exact for whether a word holds such a byte; long text fields
    /// (the order's `items`) are mostly skipped this way instead of byte by byte. Returns the OR
    /// of the words it loaded (including the one it stopped at), whose high bits say whether
    /// the string may hold non-ASCII bytes to validate.
    @inline(__always)
    mutating func skipPlainStringBytes() -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var seen: UInt64 = 0
        while index + 8 <= bytes.count {
            let w = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            seen |= w
            let quote = w ^ 0x2222_2222_2222_2222, backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- 0x2020_2020_2020_2020) & ~w)
            if special & highs != 0 { return seen }
            index += 8
        }
        return seen
    }

    /// Scans a number per RFC 8259's grammar.
    mutating func scanNumber() throws(Failure) -> (start: Int, end: Int, isInteger: Bool) {
        let start = index
        var isInteger = true
        if peek() == 0x2D { index += 1 }
        guard let first = peek(), isDigit(first) else { throw .syntax(offset: index) }
        index += 1
        if first != 0x30 { while let c = peek(), isDigit(c) { index += 1 } }
        if peek() == 0x2E {
            isInteger = false
            index += 1
            guard let c = peek(), isDigit(c) else { throw .syntax(offset: index) }
            while let c = peek(), isDigit(c) { index += 1 }
        }
        if let e = peek(), e == 0x65 || e == 0x45 {
            isInteger = false
            index += 1
            if let s = peek(), s == 0x2B || s == 0x2D { index += 1 }
            guard let c = peek(), isDigit(c) else { throw .syntax(offset: index) }
            while let c = peek(), isDigit(c) { index += 1 }
        }
        return (start, index, isInteger)
    }

    private mutating func scanLiteral(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw .syntax(offset: index) }
        let p = word.utf8Start
        for k in 0..<n where bytes[index + k] != p[k] { throw .syntax(offset: index + k) }
        index += n
    }

    /// Scans any value; arrays and objects are validated and skipped as a whole.
    mutating func scanValue() throws(Failure) -> Token {
        skipWhitespace()
        guard let c = peek() else { throw .syntax(offset: index) }
        switch c {
        case 0x22:
            let s = try scanString()
            return .string(start: s.start, end: s.end, hasEscapes: s.hasEscapes)
        case 0x74: try scanLiteral("true"); return .bool(true)
        case 0x66: try scanLiteral("false"); return .bool(false)
        case 0x6E: try scanLiteral("null"); return .null
        case 0x5B, 0x7B:
            let start = index
            try skipNested()
            return c == 0x5B ? .array(start: start, end: index) : .object(start: start, end: index)
        default:
            let n = try scanNumber()
            return .number(start: n.start, end: n.end, isInteger: n.isInteger)
        }
    }

    /// Validates and skips one array or object, iteratively: a bit per level (1 = object) in
    /// one word is the whole stack, so depth is capped at 64 (and at `maxDepth`).
    private mutating func skipNested() throws(Failure) {
        let limit = min(maxDepth, 64)
        var kinds: UInt64 = 0
        var depth = 0
        var justOpened = true
        kinds |= bytes[index] == 0x7B ? 1 : 0
        depth = 1
        index += 1
        while depth > 0 {
            skipWhitespace()
            guard let c = peek() else { throw .syntax(offset: index) }
            let inObject = kinds & (1 << UInt64(depth - 1)) != 0
            let close: UInt8 = inObject ? 0x7D : 0x5D
            if c == close {
                index += 1
                depth -= 1
                justOpened = false
                continue
            }
            if !justOpened {
                guard c == 0x2C else { throw .syntax(offset: index) }
                index += 1
                skipWhitespace()
            }
            if inObject {
                _ = try scanString()
                try expect(0x3A)
                skipWhitespace()
            }
            guard let v = peek() else { throw .syntax(offset: index) }
            if v == 0x5B || v == 0x7B {
                guard depth < limit else { throw .tooDeep }
                if v == 0x7B { kinds |= (1 << UInt64(depth)) } else { kinds &= ~(1 << UInt64(depth)) }
                depth += 1
                index += 1
                justOpened = true
                continue
            }
            switch v {
            case 0x22: _ = try scanString()
            case 0x74: try scanLiteral("true")
            case 0x66: try scanLiteral("false")
            case 0x6E: try scanLiteral("null")
            default: _ = try scanNumber()
            }
            justOpened = false
        }
    }

    /// True when only whitespace remains.
    mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }
}

@inline(__always)
func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

@inline(__always)
func hexValue(_ c: UInt8) -> UInt32? {
    switch c {
    case 0x30...0x39: return UInt32(c - 0x30)
    case 0x41...0x46: return UInt32(c - 0x41 + 10)
    case 0x61...0x66: return UInt32(c - 0x61 + 10)
    default: return nil
    }
}
