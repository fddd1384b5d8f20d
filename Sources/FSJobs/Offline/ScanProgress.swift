import FSCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// How the offline job shows its progress while it reads.
///
/// The issue asks for both: a bar redrawn in place when a person watches (stderr is a
/// terminal), and plain log lines when stderr goes to a file or a pipe (CI, a scheduler's log),
/// where carriage returns would only garble the text.
enum ProgressStyle: Sendable, Equatable {
    /// One line redrawn with `\r`, finished with a newline.
    case bar
    /// `progress N%` log lines at every 10 % of the work and at least every 5 seconds.
    case lines
    /// Nothing: the log level hides info messages.
    case off

    /// The style for this process: off above `info`, a bar when stderr is a terminal, lines otherwise.
    static func detect(logLevel: Logger.Level, stderrIsTerminal: Bool = isatty(2) != 0) -> ProgressStyle {
        if logLevel > .info { return .off }
        return stderrIsTerminal ? .bar : .lines
    }
}

/// Progress of the scan, shared by the worker threads: units of work (files or row groups)
/// done out of the total, weighted by their compressed bytes, and rows read.
final class ScanProgress: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private let style: ProgressStyle
    private let logger: Logger
    private let totalUnits: Int
    private let totalBytes: Int64
    private let unitName: String
    private let clock: @Sendable () -> Double
    private let writeText: @Sendable (String) -> Void
    private let started: Double
    private var units = 0
    private var bytes: Int64 = 0
    private var rows: Int64 = 0
    private var lastDecile = 0
    private var lastReport: Double
    private var isFinished = false
    /// `rows_per_s` of the progress lines, over the interval since the previous line.
    private var rate: ProgressRate

    /// Seconds between two progress lines when the percentage moves slowly.
    static let lineInterval = 5.0
    /// Seconds between two redraws of the bar.
    static let barInterval = 0.1
    /// Characters inside the bar's brackets.
    static let barWidth = 30

    /// - Parameters:
    ///   - unitName: what a unit is, plural ("files", "row groups").
    ///   - writeText: where the bar goes (stderr; tests capture it).
    init(totalUnits: Int, totalBytes: Int64, unitName: String, style: ProgressStyle, logger: Logger,
         clock: @escaping @Sendable () -> Double = monotonicSeconds,
         writeText: @escaping @Sendable (String) -> Void = ScanProgress.writeStderr) {
        self.totalUnits = totalUnits
        self.totalBytes = totalBytes
        self.unitName = unitName
        self.style = style
        self.logger = logger
        self.clock = clock
        self.writeText = writeText
        started = clock()
        lastReport = started
        rate = ProgressRate(startMicros: Int64(started * 1e6))
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    /// Records one finished unit of `unitBytes` compressed bytes and `unitRows` rows.
    func unitDone(bytes unitBytes: Int64, rows unitRows: Int64) {
        pthread_mutex_lock(&lock)
        units += 1
        bytes += unitBytes
        rows += unitRows
        let now = clock()
        let percent = Self.percent(done: bytes, total: totalBytes, unitsDone: units, totalUnits: totalUnits)
        var line: String? = nil
        var rowsPerSecond = 0
        switch style {
        case .off:
            break
        case .lines:
            let decile = percent / 10
            if decile > lastDecile || now - lastReport >= Self.lineInterval {
                lastDecile = decile
                lastReport = now
                line = "progress \(percent)%"
                rowsPerSecond = rate.perSecond(count: rows, nowMicros: Int64(now * 1e6))
            }
        case .bar:
            if units == totalUnits || now - lastReport >= Self.barInterval {
                lastReport = now
                line = "\r" + Self.renderBar(percent: percent, units: units, totalUnits: totalUnits, unitName: unitName,
                                             rows: rows, seconds: now - started)
            }
        }
        let (u, r) = (units, rows)
        pthread_mutex_unlock(&lock)
        guard let line else { return }
        if style == .lines {
            logger.info("\(line)", metadata: [unitName.replacingOccurrences(" ", "_"): "\(u)/\(totalUnits)", "rows_read": "\(r)",
                                       "rows_per_s": "\(rowsPerSecond)"])
        } else {
            writeText(line)
        }
    }

    /// Ends the bar's line (so the next log line starts on its own); nothing for lines.
    func finish() {
        pthread_mutex_lock(&lock)
        let end = style == .bar && !isFinished
        isFinished = true
        let text = "\r" + Self.renderBar(percent: 100, units: units, totalUnits: totalUnits, unitName: unitName, rows: rows, seconds: clock() - started)
        pthread_mutex_unlock(&lock)
        if end { writeText(text + "\n") }
    }

    /// Percent done by bytes (by units when sizes are unknown), 100 only when every unit is done.
    static func percent(done: Int64, total: Int64, unitsDone: Int, totalUnits: Int) -> Int {
        if unitsDone >= totalUnits { return 100 }
        let p = total > 0 ? Int(done * 100 / total) : unitsDone * 100 / max(1, totalUnits)
        return min(99, max(0, p))
    }

    /// `[##########--------------------]  33%  61/183 files  1.7M rows  2.1 s`
    static func renderBar(percent: Int, units: Int, totalUnits: Int, unitName: String, rows: Int64, seconds: Double) -> String {
        let filled = min(barWidth, max(0, percent * barWidth / 100))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled)
        let pct = String(percent)
        let padded = String(repeating: " ", count: max(0, 3 - pct.count)) + pct
        let tenths = Int((max(0, seconds) * 10).rounded())
        return "[\(bar)] \(padded)%  \(units)/\(totalUnits) \(unitName)  \(compactCount(rows)) rows  \(tenths / 10).\(tenths % 10) s"
    }

    /// 950, 12.3K, 4.5M, 1.2G.
    static func compactCount(_ n: Int64) -> String {
        func scaled(_ unit: Int64, _ suffix: String) -> String {
            let tenths = (n * 10 + unit / 2) / unit
            return "\(tenths / 10).\(tenths % 10)\(suffix)"
        }
        if n < 1000 { return String(n) }
        if n < 1_000_000 { return scaled(1000, "K") }
        if n < 1_000_000_000 { return scaled(1_000_000, "M") }
        return scaled(1_000_000_000, "G")
    }

    /// Writes `text` to stderr as is (no newline added).
    @Sendable static func writeStderr(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
