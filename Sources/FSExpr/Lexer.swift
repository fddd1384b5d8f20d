/// One token of an expression, with its 0-based character offset and its text as written.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Digits only; `suffix` is `L`, `S` or `Y` (upper-cased) or nil.
        case integer(digits: String, suffix: String?)
        /// A number with a fraction or exponent (or a `D`/`F`/`BD` suffix).
        case decimal(text: String, suffix: String?)
        /// A string literal, escapes resolved; adjacent literals are concatenated (Spark).
        case string(String)
        /// An unquoted word: identifier or keyword (keywords are matched case-insensitively).
        case word(String)
        /// A `backticked` identifier (never a keyword).
        case quotedIdentifier(String)
        /// Punctuation and operators: `( ) , . * + - / % = == != <> < <= > >= <=> :: || & | ^ ~ [ ]`.
        case symbol(String)
        case end
    }

    var kind: Kind
    var offset: Int
    var text: String

    /// Whether this is the keyword `k` (upper-case argument).
    func isKeyword(_ k: String) -> Bool {
        if case .word(let w) = kind { return w.uppercased() == k }
        return false
    }

    func isSymbol(_ s: String) -> Bool {
        if case .symbol(let x) = kind { return x == s }
        return false
    }

    /// How an error message names the token: `')'`, `'foo'`, `end of input`.
    var display: String {
        if case .end = kind { return "end of input" }
        return "'\(text)'"
    }
}

/// Splits an expression into tokens. Works on `Character`s so offsets are the columns a user
/// sees (minus one).
struct Lexer {
    let source: String
    private let chars: [Character]
    private var i = 0

    init(_ source: String) {
        self.source = source
        self.chars = Array(source)
    }

    static func tokenize(_ source: String) throws(ExprError) -> [Token] {
        var lexer = Lexer(source)
        var out: [Token] = []
        while true {
            let t = try lexer.next()
            // Spark concatenates adjacent string literals: 'a' 'b' is 'ab'.
            if case .string(let s) = t.kind, let last = out.last, case .string(let prev) = last.kind {
                out[out.count - 1] = Token(kind: .string(prev + s), offset: last.offset, text: last.text + t.text)
                continue
            }
            out.append(t)
            if case .end = t.kind { return out }
        }
    }

    private func error(_ message: String, at offset: Int) -> ExprError {
        ExprError(.syntax, message, expression: source, offset: offset)
    }

    private func peek(_ k: Int = 0) -> Character? { i + k < chars.count ? chars[i + k] : nil }

    private func text(from start: Int) -> String { String(chars[start..<i]) }

    private mutating func next() throws(ExprError) -> Token {
        skipWhitespaceAndComments()
        let start = i
        guard let c = peek() else { return Token(kind: .end, offset: i, text: "") }
        if c.isNumber && c.isASCII || (c == "." && (peek(1).map { $0.isASCII && $0.isNumber } ?? false)) {
            return try number()
        }
        if c == "'" || c == "\"" { return try string(quote: c) }
        if c == "`" { return try quotedIdentifier() }
        if c.isLetter || c == "_" {
            while let d = peek(), d.isLetter || d.isNumber || d == "_" { i += 1 }
            let w = text(from: start)
            return Token(kind: .word(w), offset: start, text: w)
        }
        for op in ["<=>", "::", "<=", ">=", "<>", "!=", "==", "||"] {
            if matches(op) {
                i += op.count
                return Token(kind: .symbol(op), offset: start, text: op)
            }
        }
        if "()[],.*+-/%=<>&|^~!".contains(c) {
            i += 1
            let s = String(c)
            // `!` alone is Spark's NOT.
            return Token(kind: s == "!" ? .word("NOT") : .symbol(s), offset: start, text: s)
        }
        throw error("unexpected character '\(c)'", at: start)
    }

    private func matches(_ op: String) -> Bool {
        var k = 0
        for ch in op {
            guard peek(k) == ch else { return false }
            k += 1
        }
        return true
    }

    private mutating func skipWhitespaceAndComments() {
        while let c = peek() {
            if c.isWhitespace { i += 1; continue }
            if c == "-", peek(1) == "-" {
                while let d = peek(), d != "\n" { i += 1 }
                continue
            }
            if c == "/", peek(1) == "*" {
                i += 2
                while i < chars.count, !(peek() == "*" && peek(1) == "/") { i += 1 }
                i = min(i + 2, chars.count)
                continue
            }
            return
        }
    }

    private mutating func number() throws(ExprError) -> Token {
        let start = i
        var isDecimal = false
        while let d = peek(), d.isASCII, d.isNumber { i += 1 }
        if peek() == "." {
            isDecimal = true
            i += 1
            while let d = peek(), d.isASCII, d.isNumber { i += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            var k = 1
            if peek(k) == "+" || peek(k) == "-" { k += 1 }
            if let d = peek(k), d.isASCII, d.isNumber {
                isDecimal = true
                i += k
                while let d = peek(), d.isASCII, d.isNumber { i += 1 }
            }
        }
        let body = text(from: start)
        var suffix: String?
        if let s = peek(), s.isLetter {
            let up = s.uppercased()
            if up == "B", peek(1).map({ $0 == "d" || $0 == "D" }) == true { suffix = "BD"; i += 2 }
            else if ["L", "S", "Y", "D", "F"].contains(up) { suffix = up; i += 1 }
        }
        if let s = peek(), s.isLetter || s == "_" || (s.isNumber && s.isASCII) {
            while let d = peek(), d.isLetter || d.isNumber || d == "_" { i += 1 }
            throw error("invalid number literal '\(text(from: start))'", at: start)
        }
        if let sfx = suffix, isDecimal, ["L", "S", "Y"].contains(sfx) {
            throw error("invalid number literal '\(text(from: start))'", at: start)
        }
        if isDecimal || suffix == "D" || suffix == "F" || suffix == "BD" {
            return Token(kind: .decimal(text: body, suffix: suffix), offset: start, text: text(from: start))
        }
        return Token(kind: .integer(digits: body, suffix: suffix), offset: start, text: text(from: start))
    }

    private mutating func string(quote: Character) throws(ExprError) -> Token {
        let start = i
        let out = try quoted(by: quote, what: "string literal", hasEscapes: true)
        return Token(kind: .string(out), offset: start, text: text(from: start))
    }

    private mutating func quotedIdentifier() throws(ExprError) -> Token {
        let start = i
        let out = try quoted(by: "`", what: "quoted identifier", hasEscapes: false)
        if out.isEmpty { throw error("empty quoted identifier", at: start) }
        return Token(kind: .quotedIdentifier(out), offset: start, text: text(from: start))
    }

    /// The text between `quote` and its closing twin; a doubled quote inside is one quote
    /// character ('it''s' is "it's", `` inside backticks is `). String literals also take
    /// backslash escapes; identifiers do not.
    private mutating func quoted(by quote: Character, what: String, hasEscapes: Bool) throws(ExprError) -> String {
        let start = i
        i += 1
        var out = ""
        while true {
            guard let c = peek() else { throw error("unterminated \(what)", at: start) }
            i += 1
            if c == quote {
                if peek() == quote { out.append(quote); i += 1; continue }
                return out
            }
            if hasEscapes, c == "\\" {
                guard let e = peek() else { throw error("unterminated \(what)", at: start) }
                i += 1
                appendEscape(e, to: &out)
                continue
            }
            out.append(c)
        }
    }

    /// Spark's backslash escapes in a string literal; an unknown one is the character itself.
    private mutating func appendEscape(_ e: Character, to out: inout String) {
        switch e {
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        case "b": out.append("\u{8}")
        case "0": out.append("\u{0}")
        case "Z": out.append("\u{1A}")
        // Spark keeps the backslash before LIKE wildcards so `\%` still escapes in a pattern.
        case "%": out.append("\\%")
        case "_": out.append("\\_")
        case "u":
            var hex = ""
            while hex.count < 4, let h = peek(), h.isHexDigit { hex.append(h); i += 1 }
            if hex.count == 4, let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) {
                out.unicodeScalars.append(u)
            } else {
                out.append("u"); out.append(contentsOf: hex)
            }
        default: out.append(e)
        }
    }
}
