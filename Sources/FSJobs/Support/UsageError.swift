import FSCore

/// A bad flag value, found before any work starts (exit 64). Names the flag.
public struct UsageError: CategorizedError, Equatable {
    public var flag: String?
    public var message: String

    public init(flag: String? = nil, message: String) {
        self.flag = flag
        self.message = message
    }

    public var exitStatus: ExitStatus { .usage }
    public var description: String { flag.map { "\($0): \(message)" } ?? message }
}

extension UsageError {
    /// `value` without surrounding spaces, or the usage error "<flag>: is required (<what>)" when
    /// it is missing or blank: the one wording of a missing required flag.
    static func required(_ value: String?, flag: String, _ what: String) throws(UsageError) -> String {
        guard let v = value?.trimmingSpaces(), !v.isEmpty else { throw UsageError(flag: flag, message: "is required (\(what))") }
        return v
    }

    /// "--input-table <path>: no Delta table there (no _delta_log/ with commits); <remedy>": the
    /// one wording, for every job that reads a table another job writes (fs-agg-online,
    /// fs-publish), of an input that is not there when the job cannot wait for it.
    package static func inputTableMissing(_ path: String, remedy: String) -> UsageError {
        UsageError(message: "--input-table \(path): no Delta table there (no _delta_log/ with commits); \(remedy)")
    }
}
