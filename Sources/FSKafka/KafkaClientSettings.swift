import CRdKafka

/// Which kind of client a set of user settings is for: the properties fs owns differ.
public enum KafkaClientRole: String, Sendable, Equatable {
    case consumer, producer
}

/// One user-supplied librdkafka property and where it came from (for error messages).
public struct KafkaProperty: Sendable, Equatable {
    public var name: String
    public var value: String
    /// `"<file>:<line>"` for a properties file, `"-X"` for the command line.
    public var origin: String

    /// `name=value`, or `name=[redacted]` for a secret: the only way a property is ever printed.
    public var displayed: String { "\(name)=\(KafkaClientSettings.isSensitive(name) ? "[redacted]" : value)" }
}

/// The librdkafka settings a user passes to every Kafka-facing job (`--kafka-config FILE`, then
/// `-X key=value`), as Kafka's own tools and kcat take them.
///
/// They go to librdkafka unchanged, after fs's own properties (so tuning such as `fetch.max.bytes`
/// may be overridden), except the few fs owns (`ownedProperties`): those decide exactly-once and
/// where a job resumes, so overriding them would silently break the job; they are refused.
/// Secret values (`isSensitive`) are kept out of every message: `redact` replaces them in any text
/// fs prints, including librdkafka's own log lines (see `KafkaClientHooks`).
public struct KafkaClientSettings: Sendable, Equatable {
    /// In application order: the file's lines first, then each `-X`; a later one wins.
    public private(set) var properties: [KafkaProperty]

    public init(_ properties: [KafkaProperty] = []) { self.properties = properties }

    /// The effective value of each property (last one wins), sorted by name.
    public var effective: [(String, String)] {
        var last: [String: String] = [:]
        for p in properties { last[p.name] = p.value }
        return last.keys.sorted().map { ($0, last[$0]!) }
    }

    /// The values of secret properties, longest first (so a secret containing another is
    /// replaced whole). Empty values are left out: they cannot leak and would match everywhere.
    public var secretValues: [String] {
        Set(properties.filter { KafkaClientSettings.isSensitive($0.name) && !$0.value.isEmpty }.map(\.value))
            .sorted { ($0.count, $0) > ($1.count, $1) }
    }

    /// `text` with every secret value replaced by `[redacted]`.
    public func redact(_ text: String) -> String { KafkaClientSettings.redact(text, secrets: secretValues) }

    static func redact(_ text: String, secrets: [String]) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacing(s, with: "[redacted]") }
        return out
    }

    /// Adds `key=value` pairs (the `-X` form); `origin` names where they came from.
    public mutating func apply(assignments: [String], origin: String = "-X") throws(KafkaSettingsError) {
        for a in assignments {
            guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
                throw KafkaSettingsError(origin: origin, message: "'\(KafkaClientSettings.redactAssignment(a))' is not key=value")
            }
            let name = trimmedSpaces(String(a[..<eq]))
            properties.append(KafkaProperty(name: name, value: String(a[a.index(after: eq)...]), origin: origin))
        }
    }

    /// Adds the properties of a Java properties file's text (see `parseProperties`).
    public mutating func apply(propertiesText text: String, file: String) throws(KafkaSettingsError) {
        properties += try KafkaClientSettings.parseProperties(text, file: file)
    }

    /// Refuses the properties fs owns for `role`, then checks every property with librdkafka
    /// (`rd_kafka_conf_set` on a scratch conf, destroyed here): an unknown name or a bad value is
    /// reported with the property, its origin and librdkafka's reason (secrets redacted).
    public func validate(for role: KafkaClientRole) throws(KafkaSettingsError) {
        let owned = KafkaClientSettings.ownedProperties(role)
        for p in properties {
            if let reason = owned[p.name] {
                throw KafkaSettingsError(origin: p.origin, message: "'\(p.name)' is set by fs for the \(role.rawValue) and cannot be overridden: \(reason)")
            }
        }
        guard let conf = rd_kafka_conf_new() else { throw KafkaSettingsError(origin: "-X", message: "rd_kafka_conf_new failed") }
        defer { rd_kafka_conf_destroy(conf) }
        var errstr = [CChar](repeating: 0, count: 512)
        for p in properties {
            if rd_kafka_conf_set(conf, p.name, p.value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                throw KafkaSettingsError(origin: p.origin, message: "property '\(p.name)': \(redact(text(ofErrorBuffer: errstr)))")
            }
        }
    }

    /// The properties fs sets itself, with the reason shown when a user tries to set one.
    ///
    /// Consumer: the group and the offsets are fs's (the table is the source of truth for where
    /// to resume, DESIGN §3), and end-of-partition events drive `--available-now`.
    /// Producer: the idempotent/transactional settings are the Kafka target's delivery guarantee.
    /// Both: the brokers come from `--kafka-brokers`, one place for them.
    public static func ownedProperties(_ role: KafkaClientRole) -> [String: String] {
        var owned = [
            "bootstrap.servers": "use --kafka-brokers",
            "metadata.broker.list": "use --kafka-brokers",
        ]
        switch role {
        case .consumer:
            owned["group.id"] = "use --group-id"
            owned["enable.auto.commit"] = "offsets live in the table (exactly once); group offsets are committed for lag monitoring only"
            owned["enable.auto.offset.store"] = "offsets live in the table (exactly once)"
            owned["auto.offset.reset"] = "use --starting-offsets"
            owned["enable.partition.eof"] = "--available-now needs end-of-partition events"
            owned["offset.store.method"] = "offsets live in the table (exactly once)"
        case .producer:
            owned["enable.idempotence"] = "fs chooses the producer's delivery guarantee"
            owned["transactional.id"] = "fs chooses the producer's delivery guarantee"
        }
        return owned
    }

    /// Whether `name`'s value is a secret: the properties librdkafka marks sensitive
    /// (`sasl.password`, `ssl.key.password`, `ssl.key.pem`, `ssl_key`, `ssl.keystore.password`,
    /// `sasl.oauthbearer.client.secret`, `sasl.oauthbearer.config`) and, for anything newer,
    /// any name ending in `password` or containing `secret`.
    public static func isSensitive(_ name: String) -> Bool {
        let n = name.lowercased()
        return ["ssl.key.pem", "ssl_key", "sasl.oauthbearer.config", "ssl.keystore.password"].contains(n)
            || n.hasSuffix("password") || n.contains("secret")
    }

    /// A `key=value` text with the value hidden when the key is sensitive (for error messages).
    static func redactAssignment(_ a: String) -> String {
        guard let eq = a.firstIndex(of: "=") else { return isSensitive(a) ? "[redacted]" : a }
        let name = String(a[..<eq])
        return isSensitive(name) ? "\(name)=[redacted]" : a
    }
}

/// A bad `--kafka-config` file or `-X` setting (a usage error: exit 64). Only this module
/// raises it (the memberwise init).
public struct KafkaSettingsError: Error, Equatable, CustomStringConvertible {
    /// `"<file>:<line>"` or `"-X"`.
    public var origin: String
    public var message: String

    public var description: String { "\(origin): \(message)" }
}

extension KafkaClientSettings {
    /// Parses a Java properties file (`java.util.Properties.load`), the format of Kafka's
    /// `--consumer.config`/`--producer.config` files:
    /// - `key=value`, `key: value` or `key value` (first unescaped `=`, `:` or whitespace ends the
    ///   key; whitespace around the separator is skipped);
    /// - lines starting with `#` or `!` (after leading whitespace) are comments, blank lines skipped;
    /// - a line ending in an odd number of backslashes continues on the next line, whose leading
    ///   whitespace is dropped;
    /// - escapes `\t \n \r \f \\ \= \: \# \! \ ` and `\uXXXX`; any other `\c` is `c`.
    /// A malformed `\u` escape is an error naming the file and line.
    public static func parseProperties(_ text: String, file: String) throws(KafkaSettingsError) -> [KafkaProperty] {
        var result: [KafkaProperty] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        var i = 0
        while i < lines.count {
            let startLine = i + 1
            var logical = String(lines[i].drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }))
            i += 1
            if logical.isEmpty || logical.hasPrefix("#") || logical.hasPrefix("!") { continue }
            while endsWithOddBackslashes(logical) {
                logical.removeLast()
                guard i < lines.count else { break }
                logical += lines[i].drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
                i += 1
            }
            let (rawKey, rawValue) = splitKeyValue(logical)
            let origin = "\(file):\(startLine)"
            let key = try unescape(rawKey, origin: origin)
            let value = try unescape(rawValue, origin: origin)
            result.append(KafkaProperty(name: key, value: value, origin: origin))
        }
        return result
    }

    private static func endsWithOddBackslashes(_ s: String) -> Bool {
        var n = 0
        for c in s.reversed() { if c == "\\" { n += 1 } else { break } }
        return n % 2 == 1
    }

    /// Splits at the first unescaped `=`, `:` or whitespace; the value starts after the
    /// separator and any whitespace around it (escapes still raw).
    private static func splitKeyValue(_ line: String) -> (Substring, Substring) {
        let chars = Array(line)
        var k = 0
        var keyEnd = chars.count
        while k < chars.count {
            let c = chars[k]
            if c == "\\" { k += 2; continue }
            if c == "=" || c == ":" || c == " " || c == "\t" || c == "\u{0C}" { keyEnd = k; break }
            k += 1
        }
        var v = keyEnd
        while v < chars.count, chars[v] == " " || chars[v] == "\t" || chars[v] == "\u{0C}" { v += 1 }
        if v < chars.count, chars[v] == "=" || chars[v] == ":" {
            v += 1
            while v < chars.count, chars[v] == " " || chars[v] == "\t" || chars[v] == "\u{0C}" { v += 1 }
        }
        let keyIndex = line.index(line.startIndex, offsetBy: min(keyEnd, chars.count))
        let valueIndex = line.index(line.startIndex, offsetBy: min(v, chars.count))
        return (line[..<keyIndex], line[valueIndex...])
    }

    private static func unescape(_ s: Substring, origin: String) throws(KafkaSettingsError) -> String {
        guard s.contains("\\") else { return String(s) }
        var out = ""
        var it = s.makeIterator()
        while let c = it.next() {
            guard c == "\\" else { out.append(c); continue }
            guard let e = it.next() else { break }
            switch e {
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "f": out.append("\u{0C}")
            case "u":
                var hex = ""
                for _ in 0..<4 { if let h = it.next() { hex.append(h) } }
                guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                    throw KafkaSettingsError(origin: origin, message: "malformed \\uXXXX escape '\\u\(hex)'")
                }
                out.unicodeScalars.append(scalar)
            default: out.append(e)
            }
        }
        return out
    }
}

/// Drops leading and trailing spaces and tabs (Foundation-free).
private func trimmedSpaces(_ text: String) -> String {
    var s = Substring(text)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
}
