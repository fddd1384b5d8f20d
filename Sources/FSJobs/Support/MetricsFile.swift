import FSCore

#if canImport(Glibc)
import Glibc
#endif

/// One Prometheus metric family: a name, its help text, its type and its samples.
public struct MetricFamily: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case counter, gauge, summary, histogram }

    /// One sample line: `name{labels} value`; `suffix` is `_sum`/`_count` for a summary, and
    /// also `_bucket` for a histogram.
    public struct Sample: Sendable, Equatable {
        public var suffix: String
        public var labels: [(String, String)]
        public var value: Double

        public init(suffix: String = "", labels: [(String, String)], value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }

        public static func == (a: Sample, b: Sample) -> Bool {
            a.suffix == b.suffix && a.value == b.value && a.labels.map { $0.0 + "\u{0}" + $0.1 } == b.labels.map { $0.0 + "\u{0}" + $0.1 }
        }
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [Sample]

    public init(_ name: String, _ kind: Kind, help: String, samples: [Sample] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples
    }

    /// A family of one sample: the shape of most job counters and gauges (one value labelled
    /// with what tells two jobs on a host apart), written once instead of a helper per job.
    public init(_ name: String, _ kind: Kind, help: String, labels: [(String, String)], value: Double) {
        self.init(name, kind, help: help, samples: [Sample(labels: labels, value: value)])
    }

    /// One sample with `labels`.
    public mutating func add(_ value: Double, _ labels: [(String, String)]) { samples.append(Sample(labels: labels, value: value)) }
}

/// Prometheus text exposition format (version 0.0.4), as node_exporter's textfile collector reads it.
public enum PrometheusText {
    /// `# HELP`, `# TYPE`, then the samples, families in the given order; label values escaped
    /// (`\\`, `\"`, `\n`), values in Go's float syntax (`+Inf`, `-Inf`, `NaN`, integers without `.0`).
    public static func render(_ families: [MetricFamily]) -> String {
        var out = ""
        for f in families {
            out += "# HELP \(f.name) \(escapeHelp(f.help))\n# TYPE \(f.name) \(f.kind.rawValue)\n"
            for s in f.samples {
                out += f.name + s.suffix
                if !s.labels.isEmpty {
                    out += "{" + s.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " " + format(s.value) + "\n"
            }
        }
        return out
    }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A label value with backslash, quote and newline escaped (the exposition format's rule).
    package static func escapeLabel(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "\\": o += "\\\\"
            case "\"": o += "\\\""
            case "\n": o += "\\n"
            default: o.append(c)
            }
        }
        return o
    }

    static func escapeHelp(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            default: o.append(c)
            }
        }
        return o
    }
}

/// `--metrics-file PATH`: the job's metrics, rewritten after every trigger for node_exporter's
/// textfile collector (no HTTP server in the jobs).
///
/// Atomic: the text goes to a sibling `PATH.tmp-<pid>` (a name the collector ignores, as it
/// reads only `*.prom`) and is renamed over PATH, so a scrape never sees half a file. Not
/// fsynced: the file is rebuilt every trigger, and losing the last one in a power cut is harmless.
public struct MetricsFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Checks a `--metrics-file` value before any work: its directory must exist.
    public static func validatedPath(_ path: String?) throws(UsageError) -> String? {
        guard let path else { return nil }
        guard !path.isEmpty, !path.hasSuffix("/") else { throw UsageError(flag: "--metrics-file", message: "'\(path)' is not a file path") }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        guard FileSystem.isDirectory(dir.isEmpty ? "/" : dir) else {
            throw UsageError(flag: "--metrics-file", message: "directory \(dir) does not exist")
        }
        return path
    }

    /// Writes `families` to the file; an I/O failure names the path (the job decides whether it is fatal).
    public func write(_ families: [MetricFamily]) throws(IOError) {
        let tmp = path + ".tmp-\(getpid())"
        unlink(tmp)  // left by a crashed process with the same pid
        try FileSystem.writeNewFile(tmp, Array(PrometheusText.render(families).utf8), sync: false)
        do { try FileSystem.rename(tmp, path) } catch {
            unlink(tmp)
            throw error
        }
    }
}
