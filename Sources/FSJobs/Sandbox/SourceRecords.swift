import FSCore

/// Turns the lines of one iFood source into Kafka messages: one JSON object per message, keyed
/// by the entity id (`SandboxStream.keyField`).
///
/// JSON Lines are sent verbatim with `--retime keep`, reprinted (field order kept) with the new
/// time with `--retime now`; CSV rows become
/// objects with string values, in header order. A line that cannot be converted (invalid JSON,
/// not an object, wrong number of CSV fields) is sent as is, unkeyed, and counted: the sandbox
/// feeds bad input to the ingest's quarantine rather than hiding it.
struct SourceRecords {
    /// How event times are set on the way out.
    enum Retime: String, Sendable { case now, keep }

    let stream: SandboxStream
    let retime: Retime
    let clock: any WallClock
    private var header: [String]?

    init(stream: SandboxStream, retime: Retime, clock: any WallClock) {
        self.stream = stream
        self.retime = retime
        self.clock = clock
    }

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
        if retime == .keep {  // the source line verbatim: byte-exact replays
            let key = fields.first { $0.0 == stream.keyField }?.1.stringValue.map { Array($0.utf8) }
            return (key, Array(line), true)
        }
        return encode(fields)
    }

    private func encode(_ fields: [(String, JSONValue)]) -> (key: [UInt8]?, value: [UInt8], converted: Bool) {
        var fields = fields
        if retime == .now, let i = fields.firstIndex(where: { $0.0 == stream.timeField }) {
            fields[i].1 = .string(formatISO8601(micros: clock.nowMicros(), fractionDigits: 3))
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
