import FSCore

/// A Java `DateTimeFormatter`-style pattern (the subset feature definitions use): `y` year,
/// `M` month, `d` day, `H` hour (0–23), `m` minute, `s` second, `S` fraction, `'quoted text'`,
/// and any non-letter as itself. Formats and parses UTC instants in µs.
struct DateTimePattern: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case field(Character, width: Int)
        case literal([UInt8])
    }

    struct InvalidPattern: Error { var reason: String }

    let pieces: [Piece]

    init(_ pattern: String) throws(InvalidPattern) {
        var pieces: [Piece] = []
        let chars = Array(pattern)
        var i = 0
        func appendLiteral(_ s: String) {
            if case .literal(let prev) = pieces.last { pieces[pieces.count - 1] = .literal(prev + Array(s.utf8)) }
            else { pieces.append(.literal(Array(s.utf8))) }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                var j = i + 1
                var text = ""
                while j < chars.count {
                    if chars[j] == "'" {
                        if j + 1 < chars.count, chars[j + 1] == "'" { text.append("'"); j += 2; continue }
                        break
                    }
                    text.append(chars[j]); j += 1
                }
                guard j < chars.count else { throw InvalidPattern(reason: "unterminated quote") }
                appendLiteral(text.isEmpty ? "'" : text)
                i = j + 1
                continue
            }
            if c.isLetter {
                var j = i
                while j < chars.count, chars[j] == c { j += 1 }
                let width = j - i
                guard "yMdHmsS".contains(c) else { throw InvalidPattern(reason: "unsupported pattern letter '\(c)'") }
                if c == "M" && width > 2 { throw InvalidPattern(reason: "month names (MMM) are not supported") }
                pieces.append(.field(c, width: width))
                i = j
                continue
            }
            appendLiteral(String(c))
            i += 1
        }
        self.pieces = pieces
    }

    func format(micros: Int64) -> String {
        let f = UTCFields(micros: micros)
        var out = ""
        for p in pieces {
            switch p {
            case .literal(let bytes): out += String(decoding: bytes, as: UTF8.self)
            case .field(let c, let w):
                switch c {
                case "y": out += w == 2 ? padded(((f.date.year % 100) + 100) % 100, 2) : padded(f.date.year, w)
                case "M": out += padded(f.date.month, w)
                case "d": out += padded(f.date.day, w)
                case "H": out += padded(f.hour, w)
                case "m": out += padded(f.minute, w)
                case "s": out += padded(f.second, w)
                default:
                    let six = padded(f.micro, 6)
                    out += w <= 6 ? String(six.prefix(w)) : six + String(repeating: "0", count: w - 6)
                }
            }
        }
        return out
    }

    /// Parses the whole text (NULL on any mismatch or trailing text); missing fields default to
    /// 1970-01-01 00:00:00.
    func parse(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, micro = 0
        for piece in pieces {
            switch piece {
            case .literal(let lit):
                guard i + lit.count <= p.count else { return nil }
                for k in 0..<lit.count where p[i + k] != lit[k] { return nil }
                i += lit.count
            case .field(let c, let w):
                let maxDigits = c == "S" ? w : (c == "y" && w != 2 ? 9 : (w == 1 ? 2 : w))
                let minDigits = c == "S" ? 1 : (w == 1 ? 1 : (c == "y" && w != 2 ? w : w))
                var v = 0, n = 0
                while i < p.count, n < maxDigits, p[i] >= 48, p[i] <= 57 { v = v * 10 + Int(p[i] - 48); i += 1; n += 1 }
                guard n >= minDigits else { return nil }
                switch c {
                case "y": year = w == 2 ? 2000 + v : v
                case "M": month = v
                case "d": day = v
                case "H": hour = v
                case "m": minute = v
                case "s": second = v
                default:
                    var frac = v
                    for _ in n..<6 { frac *= 10 }
                    micro = n > 6 ? v / Int(pow10(n - 6)) : frac
                }
            }
        }
        guard i == p.count else { return nil }
        let date = CivilDate(year: year, month: month, day: day)
        guard date.isValid, hour < 24, minute < 60, second < 60 else { return nil }
        return date.daysSinceEpoch * microsPerDay + Int64(hour * 3600 + minute * 60 + second) * microsPerSecond + Int64(micro)
    }

    private func pow10(_ k: Int) -> Int64 { var r: Int64 = 1; for _ in 0..<k { r *= 10 }; return r }

    private func padded(_ v: Int, _ width: Int) -> String {
        var s = String(abs(v))
        while s.count < width { s = "0" + s }
        return v < 0 ? "-" + s : s
    }
}
