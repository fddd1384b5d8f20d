import FSCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Log line format of `--log-format`.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Writes one line per event to stderr (stdout carries only a job's real output).
///
/// text: `2026-11-21T10:00:00.123Z info fs-publish: published 3 files source_version=7`
/// json: `{"ts":"…","level":"info","job":"fs-publish","msg":"…","source_version":"7"}`
/// Metadata keys are sorted so lines are stable. The clock is injected for tests.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: LogFormat
    let clock: any WallClock

    public init(label: String, level: Logger.Level, format: LogFormat, clock: any WallClock = SystemWallClock()) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let m = event.metadata { merged.merge(m) { _, new in new } }
        let line = StderrLogHandler.render(
            time: clock.nowMicros(), level: event.level, job: label, message: "\(event.message)",
            metadata: merged, format: format)
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// The line without its newline (tests call this directly).
    public static func render(time: Int64, level: Logger.Level, job: String, message: String, metadata: Logger.Metadata, format: LogFormat) -> String {
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var s = formatISO8601(micros: time, fractionDigits: 3) + " " + level.rawValue + " " + job + ": " + message
            for k in keys { s += " \(k)=\(metadata[k]!)" }
            return s
        case .json:
            var pairs: [(String, JSONValue)] = [
                ("ts", .string(formatISO8601(micros: time, fractionDigits: 3))),
                ("level", .string(level.rawValue)), ("job", .string(job)), ("msg", .string(message)),
            ]
            for k in keys { pairs.append((k, .string("\(metadata[k]!)"))) }
            return JSONValue.object(pairs).description
        }
    }
}
