import CStreamsSIMD

extension JSONScanner {
    /// Scans a string starting at its opening quote and writes its decoded content to `out` in
    /// the same pass: `scanString` and `decodeJSONString` fused.
    ///
    /// Why: the order's `items` is a JSON text inside a string, with an escaped quote every few
    /// bytes. Scanning it (to find its end and validate the escapes) and then decoding it (to
    /// unescape) stopped at every escape twice; the two passes were 14% of fs-ingest's samples
    /// (issue 15's profile). Here each eight-byte word is loaded once, stored to `out`
    /// unconditionally, and tested for a quote, backslash or control byte; only those bytes
    /// take the slow path.
    ///
    /// Same results as the two separate passes, by construction and by `FusedStringScanTests`:
    /// the same failures at the same offsets (content that is not UTF-8 included), the same decoded bytes (unpaired surrogates become
    /// U+FFFD; a high surrogate pairs with a `\uDC00…\uDFFF` escape right after it).
    ///
    /// - Parameter out: room for the remaining message bytes plus 8 (`bytes.count - index + 8`):
    ///   decoding never lengthens text, and words are stored eight bytes at a time.
    /// - Returns: the raw content bounds (between the quotes), the decoded length and whether
    ///   the string had escapes (when not, `out` holds a copy of the raw content).
    ///
    /// With `vectorized` (the default where the CPU has SSSE3), a string with escapes goes
    /// from its first backslash through `fs_json_decode_string_run` (CStreamsSIMD: 16-byte
    /// blocks of plain bytes and `\"` escapes); the loop below takes whatever such a run stops
    /// at. Same results either way (`VectorStringDecodingTests`).
    mutating func scanString(decodingInto out: UnsafeMutablePointer<UInt8>,
                             vectorized: Bool = JSONScanner.hasVectorStringRun) throws(Failure)
        -> (start: Int, end: Int, decodedCount: Int, hasEscapes: Bool)
    {
        let n = bytes.count
        guard let base = bytes.baseAddress, index < n, base[index] == 0x22 else { throw .syntax(offset: index) }
        index += 1
        let start = index
        var o = 0
        var escaped = false
        /// OR of the content's words and bytes: a high bit set means non-ASCII to validate.
        var high: UInt64 = 0
        let highs: UInt64 = 0x8080_8080_8080_8080
        /// The vector run starts at a string's first backslash (plain strings, most of them
        /// short, stay in the word loop: a call per string cost more than it saved), and again
        /// at a later one only past the block a run stopped at, so the two loops never hand
        /// the same block back and forth.
        var vectorFrom = vectorized ? start : Int.max
        var isVectorRunDue = false
        scan: while true {
            if isVectorRunDue {
                isVectorRunDue = false
                let run = fs_json_decode_string_run(base + index, n - index, out + o)
                index += run.consumed
                o += run.produced
                if run.flags & FS_JSON_RUN_ESCAPED != 0 { escaped = true }
                if run.flags & FS_JSON_RUN_NON_ASCII != 0 { high |= 0x80 }
                if run.flags & FS_JSON_RUN_ENDED != 0 {
                    if high & highs != 0 { try validateUTF8(start, index - 1) }
                    return (start, index - 1, o, escaped)
                }
                vectorFrom = index + 16
            }
            // Eight bytes at a time. A word's special bytes (quote, backslash, control byte) are
            // found exactly; the escapes `\"`, `\\` and `\/` among them are decoded in
            // registers, without reloading: the byte after the backslash is the text, and the
            // rest of the word, shifted over the backslash, is stored after it. Why: the
            // order's `items` (a JSON text inside a string) has an escaped quote every ~6
            // bytes; leaving the loop at each one (a reload, then the `switch` below, whose
            // jump table mispredicted) was most of this function's samples (perf annotate).
            words: while index + 8 <= n {
                let w = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                UnsafeMutableRawPointer(out + o).storeBytes(of: w, as: UInt64.self)
                high |= w
                var special = zeroBytes(w ^ 0x2222_2222_2222_2222) | zeroBytes(w ^ 0x5C5C_5C5C_5C5C_5C5C) | controlBytes(w)
                if special == 0 {
                    index += 8
                    o += 8
                    continue
                }
                if index >= vectorFrom && index + 16 <= n && UInt8(truncatingIfNeeded: w &>> UInt64(special.trailingZeroBitCount & ~7)) == 0x5C {
                    isVectorRunDue = true
                    continue scan
                }
                // Bytes of `w` before `consumed` are decoded (at out + o - …); byte j ≥ consumed
                // is at out + o + (j - consumed).
                var consumed = 0
                repeat {
                    let at = UInt64(special.trailingZeroBitCount & ~7)
                    let k = Int(at >> 3)
                    let c = UInt8(truncatingIfNeeded: w &>> at), e = UInt8(truncatingIfNeeded: w &>> (at &+ 8))
                    guard c == 0x5C, k < 7, e == 0x22 || e == 0x5C || e == 0x2F else {
                        if c == 0x5C, k == 7, index + 8 < n {
                            // An escape split across words: its byte is the next word's first.
                            // Decoded here, the scan stays in this loop. Why: one escape in
                            // eight lands in a word's last byte, and leaving the loop for each
                            // (reload, `switch`, re-entry) made the scan of the orders' `items`
                            // ~6% slower (a microbenchmark over 50k messages, best of 10).
                            let e = base[index + 8]
                            if e == 0x22 || e == 0x5C || e == 0x2F {
                                o += 7 - consumed
                                out[o] = e
                                o += 1
                                index += 9
                                escaped = true
                                continue words
                            }
                        }
                        // The end, a control byte, another escape.
                        index += k
                        o += k - consumed
                        break words
                    }
                    o += k - consumed
                    UnsafeMutableRawPointer(out + o).storeBytes(of: w &>> (at &+ 8), as: UInt64.self)
                    consumed = k + 1
                    escaped = true
                    special &= ~(0xFFFF &<< at)  // the backslash and the byte it escapes
                } while special != 0
                o += 8 - consumed
                index += 8
            }
            guard index < n else { throw .syntax(offset: index) }
            let c = base[index]
            if c == 0x22 {
                index += 1
                if high & highs != 0 { try validateUTF8(start, index - 1) }
                return (start, index - 1, o, escaped)
            }
            if c == 0x5C {
                escaped = true
                index += 1
                guard index < n else { throw .syntax(offset: index) }
                let e = base[index]
                switch e {
                case 0x22, 0x5C, 0x2F: out[o] = e
                case 0x62: out[o] = 0x08
                case 0x66: out[o] = 0x0C
                case 0x6E: out[o] = 0x0A
                case 0x72: out[o] = 0x0D
                case 0x74: out[o] = 0x09
                case 0x75:
                    guard index + 4 < n else { throw .syntax(offset: index) }
                    var u: UInt32 = 0
                    for k in 1...4 {
                        guard let h = hexValue(base[index + k]) else { throw .syntax(offset: index + k) }
                        u = u << 4 | h
                    }
                    index += 5
                    if u >= 0xD800 && u <= 0xDBFF {
                        // Pairs with a low-surrogate escape right after it; anything else leaves
                        // the next bytes to the loop (which also validates them).
                        if index + 5 < n, base[index] == 0x5C, base[index + 1] == 0x75, let lo = hex4(base + index + 2),
                           lo >= 0xDC00 && lo <= 0xDFFF
                        {
                            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                            index += 6
                        } else {
                            u = 0xFFFD
                        }
                    } else if u >= 0xDC00 && u <= 0xDFFF {
                        u = 0xFFFD
                    }
                    o += writeUTF8(u, to: out + o)
                    continue
                default: throw .syntax(offset: index)
                }
                index += 1
                o += 1
                continue
            }
            if c < 0x20 { throw .syntax(offset: index) }
            high |= UInt64(c)
            out[o] = c
            index += 1
            o += 1
        }
    }
}

extension JSONScanner {
    /// Whether this CPU runs CStreamsSIMD's string decoder (x86-64 with SSSE3 and POPCNT),
    /// asked once per process.
    static let hasVectorStringRun = fs_json_string_run_available() != 0
}

/// The value of four hex digits at `p`, or nil when one is not a hex digit.
@inline(__always)
private func hex4(_ p: UnsafePointer<UInt8>) -> UInt32? {
    var v: UInt32 = 0
    for k in 0..<4 {
        guard let h = hexValue(p[k]) else { return nil }
        v = v << 4 | h
    }
    return v
}

/// High bit set in each byte of `x` that is zero — exact for every byte (no borrow crosses
/// bytes), which the in-word escape decoding needs: it looks past the first special byte.
@inline(__always)
private func zeroBytes(_ x: UInt64) -> UInt64 {
    ~(((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080
}

/// High bit set in each byte of `w` below 0x20 (exact).
@inline(__always)
private func controlBytes(_ w: UInt64) -> UInt64 {
    ~(((w & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x6060_6060_6060_6060) | w) & 0x8080_8080_8080_8080
}
