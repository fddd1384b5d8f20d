/// String helpers with Spark's semantics: positions and lengths count Unicode code points
/// (Spark's `UTF8String.numChars`), not bytes nor grapheme clusters.
enum Text {
    @inline(__always)
    static func scalarCount(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for b in p where b & 0xC0 != 0x80 { n += 1 }
        return n
    }

    static func lower(_ s: String) -> String { s.lowercased() }
    static func upper(_ s: String) -> String { s.uppercased() }

    /// Byte offset of code point `k` (k ≤ number of code points).
    private static func byteOffset(_ p: UnsafeBufferPointer<UInt8>, ofScalar k: Int) -> Int {
        var seen = 0, i = 0
        while i < p.count {
            if p[i] & 0xC0 != 0x80 {
                if seen == k { return i }
                seen += 1
            }
            i += 1
        }
        return p.count
    }

    /// Spark's `substringSQL`: 1-based `pos`, 0 treated as 1, negative counts from the end.
    static func substring(_ p: UnsafeBufferPointer<UInt8>, pos: Int, length: Int, into out: inout StringArray) {
        let len = scalarCount(p)
        var start = pos > 0 ? pos - 1 : (pos < 0 ? len + pos : 0)
        let end = min(len, max(Int(Int32.min), min(Int(Int32.max), start + length)))
        start = max(start, 0)
        if start >= end { out.appendEmpty(); return }
        let lo = byteOffset(p, ofScalar: start), hi = byteOffset(p, ofScalar: end)
        out.append(utf8: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[lo..<hi]))
    }

    /// `split_part`: pieces split on the literal delimiter; part 1-based, negative from the end;
    /// '' when out of range; an empty delimiter makes the whole string the only part.
    static func splitPart(_ s: String, _ delimiter: String, _ part: Int) -> String {
        let pieces: [Substring] = delimiter.isEmpty ? [Substring(s)] : s.split(separator: delimiter, omittingEmptySubsequences: false)
        let index = part > 0 ? part - 1 : pieces.count + part
        guard index >= 0, index < pieces.count else { return "" }
        return String(pieces[index])
    }

    /// Group `group` of the first match; '' when there is no match or the group did not take
    /// part; nil when the group does not exist (Spark raises an error there).
    static func regexpExtract(_ s: String, _ regex: Regex<AnyRegexOutput>, _ group: Int) -> String? {
        guard let m = s.firstMatch(of: regex) else {
            return group >= 0 && group < regexGroupCount(regex) ? "" : nil
        }
        guard group >= 0, group < m.output.count else { return nil }
        return m.output[group].substring.map(String.init) ?? ""
    }

    private static func regexGroupCount(_ regex: Regex<AnyRegexOutput>) -> Int {
        // An empty subject cannot tell us the group count without a match; accept any group
        // index then (Spark checks it at analysis time against the pattern).
        Int.max
    }

    /// Pieces of Java's `s.split(regex, -1)`: trailing empty pieces kept, a zero-width match at
    /// the start ignored.
    static func splitCount(_ s: String, _ regex: Regex<AnyRegexOutput>) -> Int {
        var count = 1
        for m in s.matches(of: regex) {
            if m.range.isEmpty && m.range.lowerBound == s.startIndex { continue }
            if m.range.isEmpty && m.range.lowerBound == s.endIndex && s.isEmpty { continue }
            count += 1
        }
        return count
    }

    static func replaceAll(_ s: String, _ needle: String, _ replacement: String) -> String {
        s.replacing(needle, with: replacement)
    }

    /// 1-based code-point position of the first occurrence, 0 when absent.
    static func instr(_ s: String, _ sub: String) -> Int {
        if sub.isEmpty { return 1 }
        guard let r = s.firstRange(of: sub) else { return 0 }
        return s.unicodeScalars[s.unicodeScalars.startIndex..<r.lowerBound].count + 1
    }

    static func pad(_ s: String, _ length: Int, _ pad: String, left: Bool) -> String {
        if length <= 0 { return "" }
        let chars = Array(s.unicodeScalars)
        if chars.count >= length { var out = ""; out.unicodeScalars.append(contentsOf: chars.prefix(length)); return out }
        let padChars = Array(pad.unicodeScalars)
        if padChars.isEmpty { return s }
        var fill = String.UnicodeScalarView()
        for k in 0..<(length - chars.count) { fill.append(padChars[k % padChars.count]) }
        let f = String(fill)
        return left ? f + s : s + f
    }
}

import FSCore
