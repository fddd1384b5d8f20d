/// Byte-level helpers of the ingest parser: UTF-8 validation, JSON string unescaping, number
/// parsing. All work on buffers and append into caller-owned scratch arrays.

/// The offset of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF
/// included), or nil when `p` is valid. ASCII runs take the fast path 8 bytes at a time.
func firstInvalidUTF8(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
    var i = 0
    let n = p.count
    guard let base = p.baseAddress else { return nil }
    while i < n {
        // Sixteen ASCII bytes per test (two words ORed): a string is validated whole once it
        // holds any non-ASCII byte, and the order's `items` (~1.2 KB, ~40% of them with an
        // accented name) is nearly all ASCII.
        while i + 16 <= n {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) | UnsafeRawPointer(base + i + 8).loadUnaligned(as: UInt64.self)
            if w & 0x8080_8080_8080_8080 != 0 { break }
            i += 16
        }
        if i == n { break }
        if i + 8 <= n {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if w & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
        }
        let c = p[i]
        if c < 0x80 { i += 1; continue }
        // Two-byte sequences first, without the general decode: they are the accented Latin
        // letters of names and cities, nearly every non-ASCII byte of the bench's orders (and
        // this function was 3% of the ingest thread). C2–DF lead bytes cannot be overlong.
        if c >= 0xC2, c <= 0xDF {
            guard i + 1 < n, p[i + 1] & 0xC0 == 0x80 else { return i }
            i += 2
            continue
        }
        var need = 0
        var minScalar: UInt32 = 0
        var scalar: UInt32 = 0
        switch c {
        case 0xC2...0xDF: need = 1; scalar = UInt32(c & 0x1F); minScalar = 0x80
        case 0xE0...0xEF: need = 2; scalar = UInt32(c & 0x0F); minScalar = 0x800
        case 0xF0...0xF4: need = 3; scalar = UInt32(c & 0x07); minScalar = 0x10000
        default: return i
        }
        guard i + need < n else { return i }
        for k in 1...need {
            let b = p[i + k]
            guard b & 0xC0 == 0x80 else { return i }
            scalar = scalar << 6 | UInt32(b & 0x3F)
        }
        if scalar < minScalar || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) { return i }
        i += need + 1
    }
    return nil
}

/// Decodes the content of a JSON string already validated by `JSONScanner.scanString` into
/// the front of `out` and returns the decoded length: `out[..<length]` is the text, the rest is
/// scratch. `out` only grows (to the input's length: unescaping never lengthens a string), so a
/// reused scratch array allocates nothing. Unpaired surrogates become U+FFFD, as Spark's reader
/// does.
///
/// Runs between escapes are copied eight bytes at a time (the order's `items` is a JSON text in a
/// string, so it has an escaped quote every few bytes and byte-wise copying dominated parsing).
@discardableResult
func decodeJSONString(_ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Int {
    let n = p.count
    if out.count < n + 8 { out.append(contentsOf: repeatElement(0, count: n + 8 - out.count)) }
    guard let src = p.baseAddress else { return 0 }
    return out.withUnsafeMutableBufferPointer { ob -> Int in
        let dst = ob.baseAddress!
        var i = 0, o = 0
        while i < n {
            // Eight bytes at a time while none is a backslash (dst has 8 bytes of slack).
            while i + 8 <= n {
                let w = UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self)
                UnsafeMutableRawPointer(dst + o).storeBytes(of: w, as: UInt64.self)
                let x = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let hit = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
                if hit != 0 {
                    let k = hit.trailingZeroBitCount >> 3
                    i += k; o += k
                    break
                }
                i += 8; o += 8
            }
            guard i < n else { break }
            let c = src[i]
            if c != 0x5C { dst[o] = c; i += 1; o += 1; continue }
            guard i + 1 < n else { dst[o] = c; i += 1; o += 1; continue }
            let e = src[i + 1]
            i += 2
            switch e {
            case 0x62: dst[o] = 0x08; o += 1
            case 0x66: dst[o] = 0x0C; o += 1
            case 0x6E: dst[o] = 0x0A; o += 1
            case 0x72: dst[o] = 0x0D; o += 1
            case 0x74: dst[o] = 0x09; o += 1
            case 0x75:
                var u = hex4(p, i)
                i += 4
                if u >= 0xD800 && u <= 0xDBFF {
                    if i + 5 < n, src[i] == 0x5C, src[i + 1] == 0x75 {
                        let lo = hex4(p, i + 2)
                        if lo >= 0xDC00 && lo <= 0xDFFF {
                            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                            i += 6
                        } else { u = 0xFFFD }
                    } else { u = 0xFFFD }
                } else if u >= 0xDC00 && u <= 0xDFFF {
                    u = 0xFFFD
                }
                o += writeUTF8(u, to: dst + o)
            default: dst[o] = e; o += 1  // \" \\ \/
            }
        }
        return o
    }
}

/// Writes the UTF-8 encoding of `scalar` at `p`; returns its length (1...4).
@inline(__always)
func writeUTF8(_ scalar: UInt32, to p: UnsafeMutablePointer<UInt8>) -> Int {
    switch scalar {
    case 0..<0x80: p[0] = UInt8(scalar); return 1
    case 0x80..<0x800:
        p[0] = UInt8(0xC0 | scalar >> 6); p[1] = UInt8(0x80 | scalar & 0x3F); return 2
    case 0x800..<0x10000:
        p[0] = UInt8(0xE0 | scalar >> 12); p[1] = UInt8(0x80 | (scalar >> 6) & 0x3F); p[2] = UInt8(0x80 | scalar & 0x3F); return 3
    default:
        p[0] = UInt8(0xF0 | scalar >> 18); p[1] = UInt8(0x80 | (scalar >> 12) & 0x3F)
        p[2] = UInt8(0x80 | (scalar >> 6) & 0x3F); p[3] = UInt8(0x80 | scalar & 0x3F); return 4
    }
}

@inline(__always)
private func hex4(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
    guard i + 4 <= p.count else { return 0xFFFD }
    var v: UInt32 = 0
    for k in 0..<4 { v = v << 4 | (hexValue(p[i + k]) ?? 0) }
    return v
}

/// Copies a validated JSON text without the insignificant whitespace outside strings: the
/// compact form of an `items` array, byte for byte otherwise (escapes kept as written).
func appendCompactJSON(_ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
    out.removeAll(keepingCapacity: true)
    var inString = false
    var i = 0
    while i < p.count {
        let c = p[i]
        if inString {
            out.append(c)
            if c == 0x5C, i + 1 < p.count { out.append(p[i + 1]); i += 2; continue }
            if c == 0x22 { inString = false }
        } else if c == 0x22 {
            inString = true
            out.append(c)
        } else if !(c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09) {
            out.append(c)
        }
        i += 1
    }
}

/// Parses an integer text (optional sign, digits); nil when empty, malformed or out of range.
func parseInt64(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
    var i = 0
    var negative = false
    if i < p.count, p[i] == 0x2D || p[i] == 0x2B { negative = p[i] == 0x2D; i += 1 }
    guard i < p.count else { return nil }
    var v: Int64 = 0
    while i < p.count {
        let c = p[i]
        guard isDigit(c) else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(c - 0x30)) : m.addingReportingOverflow(Int64(c - 0x30))
        guard !o1, !o2 else { return nil }
        v = a
        i += 1
    }
    return v
}

/// Powers of ten exactly representable as Double (Clinger's fast path).
private let exactPowersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

/// Parses a decimal number text (JSON grammar, plus a leading `+` from quoted CSV values).
/// Short numbers — the money amounts and coordinates of these streams — take Clinger's exact
/// fast path without allocating; the rest fall back to the standard library's correctly
/// rounded parser. nil when malformed or not finite.
func parseDouble(_ p: UnsafeBufferPointer<UInt8>) -> Double? {
    var i = 0
    var negative = false
    if i < p.count, p[i] == 0x2D || p[i] == 0x2B { negative = p[i] == 0x2D; i += 1 }
    var mantissa: UInt64 = 0
    var digits = 0, fractionDigits = 0, seenDigit = false, seenDot = false
    while i < p.count {
        let c = p[i]
        if isDigit(c) {
            seenDigit = true
            if mantissa != 0 || c != 0x30 { digits += 1 }
            mantissa = mantissa &* 10 &+ UInt64(c - 0x30)
            if seenDot { fractionDigits += 1 }
        } else if c == 0x2E, !seenDot {
            seenDot = true
        } else { break }
        i += 1
    }
    guard seenDigit else { return nil }
    if i == p.count, digits <= 15, fractionDigits <= 22 {
        let v = Double(mantissa) / exactPowersOfTen[fractionDigits]
        return negative ? -v : v
    }
    for c in p where !(isDigit(c) || c == 0x2E || c == 0x2D || c == 0x2B || c == 0x65 || c == 0x45) { return nil }
    let text = String(decoding: p, as: UTF8.self)
    guard let v = Double(text), v.isFinite else { return nil }
    return v
}
