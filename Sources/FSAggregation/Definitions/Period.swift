import FSCore

/// A feature's look-back window, written in the one duration grammar (`DurationText`):
/// `"3 days"`, `"1 day"`, `"12 hours"`, `"1 week"`, `"30 minutes"`.
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

    /// Parses a positive duration in FSCore's one grammar (`"3 days"`, `"3d"`, `"1.5 days"`,
    /// `"interval 12 hours"`); nil when malformed or zero.
    public init?(parsing text: String) {
        guard case .success(let v) = DurationText.parse(text), v > 0 else { return nil }
        micros = v
    }

    /// Canonical text: the largest unit that divides the length exactly (`"3 days"`).
    public var description: String { DurationText.format(micros) }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let s = self[...]
        guard let a = s.firstIndex(where: { !$0.isWhitespace }), let b = s.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return Substring(s[a...b])
    }
}
