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
