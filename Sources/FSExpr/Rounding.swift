/// Spark's `round` (HALF_UP) and `bround` (HALF_EVEN).
///
/// For doubles Spark rounds `BigDecimal(x)` built from the *decimal text* of x (Java's
/// `Double.toString`), so `round(2.675, 2)` is 2.68 although the binary value is below 2.675.
/// We do the same on Swift's shortest round-trip digits.
enum Rounding {
    static func double(_ x: Double, scale: Int, halfEven: Bool) -> Double {
        guard x.isFinite, x != 0 else { return x }
        let negative = x < 0
        var (digits, point) = decimalDigits(Swift.abs(x))
        let keep = point + scale
        if keep >= digits.count { return x }
        if keep < 0 { return 0 }
        let next = digits[keep]
        let restNonZero = digits[(keep + 1)...].contains { $0 != 0 }
        var kept = Array(digits[0..<keep])
        let roundUp = halfEven ? (next > 5 || (next == 5 && (restNonZero || (kept.last ?? 0) % 2 == 1))) : next >= 5
        if roundUp {
            var k = kept.count - 1
            while k >= 0 {
                if kept[k] == 9 { kept[k] = 0; k -= 1 } else { kept[k] += 1; break }
            }
            if k < 0 { kept.insert(1, at: 0); point += 1 }
        }
        if kept.isEmpty || kept.allSatisfy({ $0 == 0 }) { return 0 }
        var text = "0."
        for d in kept { text.append(Character(Unicode.Scalar(d + 48))) }
        text += "e\(point)"
        let v = Double(text) ?? x
        return negative ? -v : v
    }

    /// Digits d1 d2 … and exponent p with x = 0.d1d2… × 10^p, from the shortest repr.
    static func decimalDigits(_ a: Double) -> ([UInt8], Int) {
        let text = "\(a)"
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = parts[0], fracPart = parts.count > 1 ? parts[1] : ""
        var digits = (intPart + fracPart).utf8.map { $0 - 48 }
        var point = intPart.count + exponent
        while digits.first == 0 { digits.removeFirst(); point -= 1 }
        while digits.last == 0 { digits.removeLast() }
        return (digits, point)
    }

    /// Rounds an integer to `scale` (negative scales round to tens, hundreds…).
    static func integer(_ x: Int64, scale: Int, halfEven: Bool) -> Int64 {
        if scale >= 0 { return x }
        if -scale > 18 { return 0 }
        var p: Int64 = 1
        for _ in 0..<(-scale) { p *= 10 }
        var q = x / p
        let r = x % p
        let twice = Swift.abs(r) * 2
        let up = halfEven ? (twice > p || (twice == p && q % 2 != 0)) : twice >= p
        if up { q += x < 0 ? -1 : 1 }
        return q &* p
    }
}
