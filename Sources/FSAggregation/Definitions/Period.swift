import FSCore

/// A feature's look-back window, written as Spark/Scala duration words: `"3 days"`,
/// `"1 day"`, `"12 hours"`, `"1 week"`, `"30 minutes"`.
///
/// Stored in microseconds (the unit of fs timestamps). The offline job works in whole days and
/// truncates like the original's `period.toDays` ("36 hours" → 1 day); the online job can use the
/// exact length.
public struct Period: Sendable, Hashable, CustomStringConvertible {
    public var micros: Int64

    public init(micros: Int64) { self.micros = micros }
    public static func days(_ n: Int64) -> Period { Period(micros: n * microsPerDay) }

    /// Whole days, truncated (`Duration.toDays`).
    public var wholeDays: Int64 { micros / microsPerDay }

    /// Unit words and their length in microseconds.
    static let units: [(names: [String], micros: Int64)] = [
        (["w", "week", "weeks"], 7 * microsPerDay),
        (["d", "day", "days"], microsPerDay),
        (["h", "hour", "hours"], 3_600 * microsPerSecond),
        (["m", "min", "mins", "minute", "minutes"], 60 * microsPerSecond),
        (["s", "sec", "secs", "second", "seconds"], microsPerSecond),
        (["ms", "milli", "millis", "millisecond", "milliseconds"], 1_000),
    ]

    /// Parses `"<positive integer> <unit>"` (the space is optional: `"3d"`); nil when malformed.
    public init?(parsing text: String) {
        let t = text.trimmingSpaces.lowercased()
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        let unit = t.dropFirst(digits.count).trimmingSpaces
        guard !digits.isEmpty, digits.count <= 12, let n = Int64(digits), n > 0,
              let u = Self.units.first(where: { $0.names.contains(String(unit)) }) else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: u.micros)
        guard !overflow else { return nil }
        micros = v
    }

    /// Canonical text: the largest unit that divides the length exactly (`"3 days"`).
    public var description: String {
        for u in Self.units where micros % u.micros == 0 {
            let n = micros / u.micros
            let name = u.names[1]
            return "\(n) \(n == 1 ? name : u.names[2])"
        }
        return "\(micros) microseconds"
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let s = self[...]
        guard let a = s.firstIndex(where: { !$0.isWhitespace }), let b = s.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return Substring(s[a...b])
    }
}
