/// Byte-level helpers of the ingest parser: UTF-8 validation, JSON string unescaping, number
/// parsing. All work on buffers and append into caller-owned scratch arrays.

/// The offset of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF
/// included), or nil when `p` is valid. ASCII runs take the fast path 8 bytes at a time.
func firstInvalidUTF8(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
    var i = 0
    let n = p.count
    guard let base = p.baseAddress else { return nil }
    while i < n {
        if i + 8 <= n {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if w & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
        }
        let c = p[i]
        if c < 0x80 { i += 1; continue }
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

/// Appends the UTF-8 encoding of `scalar` to `out`.
@inline(__always)
func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
    switch scalar {
    case 0..<0x80: out.append(UInt8(scalar))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
    default:
        out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
        out.append(UInt8(0x80 | (scalar >> 6) & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
    }
}

/// Decodes the content of a JSON string already validated by `JSONScanner.scanString` into
/// `out` (replacing its contents). Unpaired surrogates become U+FFFD, as Spark's reader does.
func decodeJSONString(_ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
    out.removeAll(keepingCapacity: true)
    out.reserveCapacity(p.count)
    var i = 0
    let n = p.count
    while i < n {
        // Copy the run up to the next backslash in one go (escapes are sparse).
        var j = i
        while j < n && p[j] != 0x5C { j += 1 }
        if j > i { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<j])) }
        i = j
        guard i + 1 < n else { if i < n { out.append(p[i]); i += 1 }; continue }
        let e = p[i + 1]
        i += 2
        switch e {
        case 0x62: out.append(0x08)
        case 0x66: out.append(0x0C)
        case 0x6E: out.append(0x0A)
        case 0x72: out.append(0x0D)
        case 0x74: out.append(0x09)
        case 0x75:
            var u = hex4(p, i)
            i += 4
            if u >= 0xD800 && u <= 0xDBFF {
                if i + 5 < n, p[i] == 0x5C, p[i + 1] == 0x75 {
                    let lo = hex4(p, i + 2)
                    if lo >= 0xDC00 && lo <= 0xDFFF {
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    } else { u = 0xFFFD }
                } else { u = 0xFFFD }
            } else if u >= 0xDC00 && u <= 0xDFFF {
                u = 0xFFFD
            }
            appendUTF8(u, to: &out)
        default: out.append(e)  // \" \\ \/
        }
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
