import FSCore

/// `LIKE` and `RLIKE` over string columns. A constant pattern is compiled once per batch.
enum Patterns {
    static func match(_ x: Datum, _ p: Datum, _ kind: MatchKind, _ n: Int) -> Datum {
        if x.isNullScalar || p.isNullScalar { return .scalar(.null, .boolean) }
        let bothScalar = x.isScalar && p.isScalar
        let rows = bothScalar ? 1 : n
        let xs = StringOperand(x), ps = StringOperand(p)
        var out = [Bool](repeating: false, count: rows)
        var validity = intersect(x.validity, p.validity)
        switch kind {
        case .like(let escape):
            var cached: LikePattern?
            for i in 0..<rows where validity?.isValid(i) ?? true {
                let pattern: LikePattern
                if p.isScalar, let c = cached { pattern = c } else {
                    pattern = ps.withRow(i) { LikePattern(Array($0), escape: escape) }
                    cached = pattern
                }
                out[i] = xs.withRow(i) { pattern.matches($0) }
            }
        case .regex:
            var cachedText: String?
            var cachedRegex: Regex<AnyRegexOutput>?
            for i in 0..<rows where validity?.isValid(i) ?? true {
                let text = ps.withRow(i) { String(decoding: $0, as: UTF8.self) }
                if text != cachedText { cachedText = text; cachedRegex = RegexCache.compile(text) }
                guard let regex = cachedRegex else {
                    // An invalid pattern in a column: NULL for that row (constants are rejected at bind time).
                    if validity == nil { validity = Validity(repeating: true, count: rows) }
                    validity?.set(i, false)
                    continue
                }
                let subject = xs.withRow(i) { String(decoding: $0, as: UTF8.self) }
                out[i] = subject.contains(regex)
            }
        }
        let column = Column(type: .boolean, values: .boolean(out), validity: bothScalar ? (validity?.isValid(0) == false ? Validity(repeating: false, count: 1) : nil) : validity)
        return bothScalar ? Datum.fromOneRow(column) : .column(column)
    }
}

/// A SQL LIKE pattern over UTF-8 bytes: `%` any run of characters, `_` exactly one character
/// (one Unicode scalar, 1–4 bytes), the escape character makes the next one literal.
struct LikePattern {
    enum Piece: Equatable { case literal([UInt8]); case anyOne; case anyRun }
    let pieces: [Piece]

    init(_ pattern: [UInt8], escape: Character) {
        let esc = Array(String(escape).utf8)
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        func flush() { if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] } }
        var i = 0
        while i < pattern.count {
            let b = pattern[i]
            if esc.count == 1, b == esc[0], i + 1 < pattern.count {
                // Escaped character: copy the whole UTF-8 sequence that follows.
                i += 1
                let len = utf8Length(pattern[i])
                literal.append(contentsOf: pattern[i..<min(pattern.count, i + len)])
                i += len
                continue
            }
            if b == UInt8(ascii: "%") { flush(); if pieces.last != .anyRun { pieces.append(.anyRun) }; i += 1; continue }
            if b == UInt8(ascii: "_") { flush(); pieces.append(.anyOne); i += 1; continue }
            literal.append(b)
            i += 1
        }
        flush()
        self.pieces = pieces
    }

    func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool { match(s, 0, 0) }

    private func match(_ s: UnsafeBufferPointer<UInt8>, _ si: Int, _ pi: Int) -> Bool {
        var si = si, pi = pi
        while pi < pieces.count {
            switch pieces[pi] {
            case .literal(let lit):
                guard si + lit.count <= s.count else { return false }
                for k in 0..<lit.count where s[si + k] != lit[k] { return false }
                si += lit.count
                pi += 1
            case .anyOne:
                guard si < s.count else { return false }
                si += utf8Length(s[si])
                pi += 1
            case .anyRun:
                if pi == pieces.count - 1 { return true }
                var k = si
                while k <= s.count {
                    if match(s, k, pi + 1) { return true }
                    if k == s.count { break }
                    k += utf8Length(s[k])
                }
                return false
            }
        }
        return si == s.count
    }
}

/// Bytes in the UTF-8 sequence starting with `lead`.
@inline(__always)
func utf8Length(_ lead: UInt8) -> Int {
    if lead < 0x80 { return 1 }
    if lead >> 5 == 0b110 { return 2 }
    if lead >> 4 == 0b1110 { return 3 }
    if lead >> 3 == 0b11110 { return 4 }
    return 1
}

/// Compiles Java-style regular expressions with Swift's `Regex` (same syntax for the common
/// subset: classes, quantifiers, groups, anchors, `\d \w \s`).
enum RegexCache {
    static func compile(_ pattern: String) -> Regex<AnyRegexOutput>? {
        // Java's \d \w \s and POSIX classes are ASCII-only.
        (try? Regex(pattern))?.asciiOnlyCharacterClasses()
    }

    static func isValid(_ pattern: String) -> Bool { compile(pattern) != nil }
}
