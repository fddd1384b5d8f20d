/// The one duration grammar of fs: every flag (`--trigger-interval`, `--watermark`,
/// `--window-duration`, `--max-retry-duration`, …) and every definitions file (`"period"`)
/// reads durations with it, so a form that works in one place works in all of them.
///
///     duration := ["interval"] term { term }        terms add up: "1 hour 30 minutes"
///     term     := number [" "] unit                 "500ms", "1.5s", "10 minutes", "2 weeks"
///     number   := digits ["." digits]               decimals are rounded to the microsecond
///     unit     := us | ms | s | m | h | d | w, or their words, singular or plural, any case
///
/// One pair of surrounding quotes is dropped (`"5 seconds"` pasted from a Spark job). Months and
/// years are refused (their length varies; Spark refuses them for windows too), as are a bare
/// number (seconds? milliseconds?), signs and unknown units. Zero parses: whether it is allowed
/// is the caller's decision (`--watermark 0 seconds` is, a window of zero is not).
public enum DurationText {
    /// Unit words and their length in microseconds, longest first. `names[1]` and `names[2]`
    /// are the singular and plural words `format` prints.
    public static let units: [(names: [String], micros: Int64)] = [
        (["w", "week", "weeks", "wk", "wks"], 7 * microsPerDay),
        (["d", "day", "days"], microsPerDay),
        (["h", "hour", "hours", "hr", "hrs"], 3_600 * microsPerSecond),
        (["m", "minute", "minutes", "min", "mins"], 60 * microsPerSecond),
        (["s", "second", "seconds", "sec", "secs"], microsPerSecond),
        (["ms", "millisecond", "milliseconds", "milli", "millis"], 1_000),
        (["us", "microsecond", "microseconds", "micro", "micros", "µs"], 1),
    ]

    /// The length in microseconds (≥ 0), or why the text is not a duration.
    public static func parse(_ text: String) -> Result<Int64, DurationError> {
        var body = Substring(text).trimmingWhitespace
        if body.count >= 2, let q = body.first, q == "\"" || q == "'", body.last == q {
            body = body.dropFirst().dropLast().trimmingWhitespace
        }
        var words = body.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.first == "interval" { words.removeFirst() }
        guard !words.isEmpty else { return .failure(DurationError(text: text, reason: "is empty")) }
        // Glued forms ("10minutes", "1.5s") become a number and a unit.
        var tokens: [String] = []
        for w in words {
            let number = w.prefix { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+") }
            if !number.isEmpty && number.count < w.count {
                tokens.append(String(number)); tokens.append(String(w.dropFirst(number.count)))
            } else {
                tokens.append(w)
            }
        }
        var total: Int64 = 0
        var i = 0
        while i < tokens.count {
            let count = tokens[i]
            guard let value = parseCount(count) else {
                if count.hasPrefix("-") { return .failure(DurationError(text: text, reason: "is negative")) }
                return .failure(DurationError(text: text, reason: "\"\(count)\" is not a number"))
            }
            guard i + 1 < tokens.count else {
                return .failure(DurationError(text: text, reason: "\"\(count)\" has no unit (e.g. \"\(count) seconds\")"))
            }
            let unit = tokens[i + 1]
            guard let micros = units.first(where: { $0.names.contains(unit) })?.micros else {
                if ["month", "months", "mon", "mons", "mo", "year", "years", "y", "yr", "yrs"].contains(unit) {
                    return .failure(DurationError(text: text, reason: "months and years have no fixed length; use days or weeks"))
                }
                return .failure(DurationError(text: text, reason: "unknown unit \"\(unit)\" (use ms, s, minutes, hours, days or weeks)"))
            }
            let whole = Double(value.whole) * Double(micros) + (value.fraction * Double(micros)).rounded()
            guard whole < 9.2e18 else { return .failure(DurationError(text: text, reason: "is too long")) }
            let (sum, overflow) = total.addingReportingOverflow(Int64(whole))
            guard !overflow else { return .failure(DurationError(text: text, reason: "is too long")) }
            total = sum
            i += 2
        }
        return .success(total)
    }

    /// A count: digits, optionally with a decimal fraction. Signs are refused (a duration is a
    /// length, and "+5" in a flag is more likely a typo than a wish).
    private static func parseCount(_ s: String) -> (whole: Int64, fraction: Double)? {
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let intPart = parts.first, !intPart.isEmpty || parts.count == 2,
              intPart.allSatisfy({ $0.isASCII && $0.isNumber }), intPart.count <= 15 else { return nil }
        var fraction = 0.0
        if parts.count == 2 {
            let f = parts[1]
            guard !f.isEmpty, f.count <= 9, f.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Double("0." + f) else { return nil }
            fraction = v
        }
        return (Int64(intPart) ?? 0, fraction)
    }

    /// Canonical text: the largest unit that divides the length exactly (`"3 days"`,
    /// `"90 seconds"`, `"1 microsecond"`).
    public static func format(_ micros: Int64) -> String {
        for u in units where micros % u.micros == 0 {
            let n = micros / u.micros
            return "\(n) \(n == 1 ? u.names[1] : u.names[2])"
        }
        return "\(micros) microseconds"
    }
}

/// A text that is not a duration; says which text and why.
public struct DurationError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String { "'\(text)' \(reason.hasPrefix("is ") ? reason : "is not a duration: " + reason)" }
}

extension Substring {
    /// The text without leading and trailing whitespace (no Foundation).
    var trimmingWhitespace: Substring {
        guard let a = firstIndex(where: { !$0.isWhitespace }), let b = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return self[a...b]
    }
}
