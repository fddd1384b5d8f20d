import FSCore
import FSStreams

/// Turns the lines of one iFood source into Kafka messages: one JSON object per message, keyed
/// by the entity id (`StreamType.keyField`).
///
/// JSON Lines are sent verbatim with `--retime keep` on the first pass of an untagged replay,
/// and reprinted (field order kept) whenever something changes: the time with `--retime now`,
/// the event ids and the shifted time on later passes of a loop. CSV rows become objects with
/// string values, in header order. A line that cannot be converted (invalid JSON, not an
/// object, wrong number of CSV fields) is sent as is, unkeyed, and counted: the sandbox feeds
/// bad input to the ingest's quarantine rather than hiding it.
///
/// Passes (`--loop`, `--passes`): pass p > 0 suffixes the event ids with `-p` (`-tag-p` for
/// every pass when an id tag is set) so the ingest's deduplication never drops a repeat as a
/// duplicate, and with `--retime keep` moves the event time forward by p × `timeShiftMicros`,
/// so each pass is new data to a watermark and to date partitions — as a real topic would be.
struct SourceRecords {
    /// How event times are set on the way out.
    enum Retime: String, Sendable { case now, keep }

    let stream: StreamType
    let retime: Retime
    let clock: any WallClock
    /// How far pass p moves event times with `--retime keep`: p × this, in µs.
    let timeShiftMicros: Int64
    /// Makes every pass's ids unique to one replay run (e.g. the run's start time), so a
    /// restarted replay does not repeat the ids of the one it replaces.
    let idTag: String?
    private(set) var pass = 0
    private var header: [String]?

    init(stream: StreamType, retime: Retime, clock: any WallClock, timeShiftMicros: Int64 = 0, idTag: String? = nil) {
        self.stream = stream
        self.retime = retime
        self.clock = clock
        self.timeShiftMicros = timeShiftMicros
        self.idTag = idTag
    }

    /// Starts pass `p` of the source: its lines get pass p's ids and times; a CSV header is
    /// expected again as its first line.
    mutating func beginPass(_ p: Int) {
        pass = p
        header = nil
    }

    /// True when every line is reprinted rather than sent verbatim.
    private var rewritesLines: Bool { retime == .now || pass > 0 || idTag != nil }

    /// One output message, or nil for a line that yields none (blank lines, the CSV header).
    /// `converted` is false for lines passed through unparsed.
    mutating func message(for line: UnsafeBufferPointer<UInt8>) -> (key: [UInt8]?, value: [UInt8], converted: Bool)? {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return nil }
        if stream.isCSV {
            let fields = CSVLine.split(line)
            guard let header else { self.header = fields; return nil }
            guard fields.count == header.count else { return (nil, Array(line), false) }
            return encode(Array(zip(header, fields.map { JSONValue.string($0) })))
        }
        guard case .object(let fields)? = try? JSONValue.parse(utf8: line) else { return (nil, Array(line), false) }
        if !rewritesLines {  // the source line verbatim: byte-exact replays
            let key = fields.first { $0.0 == stream.keyField }?.1.stringValue.map { Array($0.utf8) }
            return (key, Array(line), true)
        }
        return encode(fields)
    }

    /// The id an event carries on the current pass: the source's on an untagged first pass.
    func freshId(_ id: String) -> String {
        if let idTag { return "\(id)-\(idTag)-\(pass)" }
        return pass == 0 ? id : "\(id)-\(pass)"
    }

    private func encode(_ fields: [(String, JSONValue)]) -> (key: [UInt8]?, value: [UInt8], converted: Bool) {
        var fields = fields
        if let i = fields.firstIndex(where: { $0.0 == stream.timeField }) {
            switch retime {
            case .now:
                fields[i].1 = .string(formatISO8601(micros: clock.nowMicros(), fractionDigits: 3))
            case .keep:
                // An unparsable time is sent unchanged: the ingest quarantines it, as it would the source's.
                if pass > 0, timeShiftMicros != 0, let text = fields[i].1.stringValue, let t = parseTimestamp(text) {
                    let shifted = t &+ Int64(pass) &* timeShiftMicros
                    fields[i].1 = .string(formatISO8601(micros: shifted, fractionDigits: shifted % 1000 == 0 ? 3 : 6))
                }
            }
        }
        if pass > 0 || idTag != nil {
            for name in stream.eventIdFields {
                if let i = fields.firstIndex(where: { $0.0 == name }), let id = fields[i].1.stringValue {
                    fields[i].1 = .string(freshId(id))
                }
            }
        }
        let key = fields.first { $0.0 == stream.keyField }?.1.stringValue.map { Array($0.utf8) }
        var text = ""
        JSONValue.object(fields).write(to: &text)
        return (key, Array(text.utf8), true)
    }
}

/// RFC 4180 fields of one CSV line: quoted fields may hold commas and doubled quotes.
enum CSVLine {
    static func split(_ line: UnsafeBufferPointer<UInt8>) -> [String] {
        var fields: [String] = []
        var current: [UInt8] = []
        var inQuotes = false
        var i = 0
        while i < line.count {
            let c = line[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < line.count && line[i + 1] == UInt8(ascii: "\"") { current.append(c); i += 1 } else { inQuotes = false }
                } else {
                    current.append(c)
                }
            } else if c == UInt8(ascii: "\"") {
                inQuotes = true
            } else if c == UInt8(ascii: ",") {
                fields.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(c)
            }
            i += 1
        }
        fields.append(String(decoding: current, as: UTF8.self))
        return fields
    }
}
