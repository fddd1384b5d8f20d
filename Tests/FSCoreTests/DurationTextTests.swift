import Testing
@testable import FSCore

private let ms: Int64 = 1_000
private let second: Int64 = 1_000_000
private let minute = 60 * second
private let hour = 60 * minute
private let day = 24 * hour

/// The one duration grammar: every form a flag or a definitions file uses today parses to the
/// same microseconds, and what cannot be a length is refused with the reason.
@Suite struct DurationTextTests {
    static let forms: [(String, Int64)] = [
        ("500ms", 500 * ms), ("1.5s", 1_500 * ms), ("10 minutes", 10 * minute), ("\"5 seconds\"", 5 * second),
        ("'5 seconds'", 5 * second), ("1 hour", hour), ("1 day", day), ("2 weeks", 14 * day), ("interval 10 minutes", 10 * minute),
        ("INTERVAL 1 HOUR 30 MINUTES", 90 * minute), ("1h", hour), ("3d", 3 * day), ("2m", 2 * minute), ("1 min", minute),
        ("250 microseconds", 250), ("250us", 250), ("0.25s", 250 * ms), (".5s", 500 * ms), ("1.5 days", 36 * hour),
        ("  10   seconds ", 10 * second), ("0 seconds", 0), ("1 second", second), ("0.0000004s", 0), ("10minutes", 10 * minute),
    ]

    @Test(arguments: forms)
    func everyFormOfTheGrammarParsesToMicroseconds(text: String, micros: Int64) throws {
        #expect(try DurationText.parse(text).get() == micros, "\(text)")
    }

    static let refusals: [(String, String)] = [
        ("", "is empty"), ("\"\"", "is empty"), ("interval", "is empty"), ("seconds", "\"seconds\" is not a number"),
        ("5", "\"5\" has no unit"), ("1 hour 5", "\"5\" has no unit"), ("5 parsecs", "unknown unit \"parsecs\""),
        ("1 month", "months and years"), ("2 years", "months and years"), ("-5 seconds", "is negative"), ("-1s", "is negative"),
        ("x seconds", "\"x\" is not a number"), ("1e999", "unknown unit \"e999\""), ("1..5s", "is not a number"),
        ("+5s", "is not a number"), ("99999999999999 weeks", "is too long"),
    ]

    @Test(arguments: refusals)
    func whatIsNotALengthIsRefusedWithTheReason(text: String, reason: String) {
        guard case .failure(let error) = DurationText.parse(text) else { Issue.record("\(text) parsed"); return }
        #expect(error.description.contains(reason), "\(text): \(error)")
        #expect(error.description.contains("'\(text)'"))
    }

    static let canonical: [(Int64, String)] = [
        (3 * day, "3 days"), (day, "1 day"), (90 * minute, "90 minutes"), (14 * day, "2 weeks"), (1_500 * ms, "1500 milliseconds"),
        (250, "250 microseconds"), (1, "1 microsecond"), (0, "0 weeks"),
    ]

    @Test(arguments: canonical)
    func formatPrintsTheLargestExactUnitAndParsesBack(micros: Int64, text: String) throws {
        #expect(DurationText.format(micros) == text)
        #expect(try DurationText.parse(text).get() == micros)
    }
}
