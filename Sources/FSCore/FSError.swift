/// The exit codes of every fs executable (sysexits.h), documented in the README.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    /// Bad flags or definitions: the message says which, the usage follows.
    case usage = 64
    /// Bad input data that cannot be quarantined (corrupt table, unreadable file).
    case dataError = 65
    /// A broker or database stayed unreachable after the retries.
    case unavailable = 69
    /// A bug: an invariant broke.
    case software = 70
    /// The file system failed (permissions, disk full).
    case ioError = 74
    /// Stopped by SIGINT before the in-flight batch could be committed cleanly.
    case interrupted = 130
    /// Stopped by SIGTERM before the in-flight batch could be committed cleanly.
    case terminated = 143
}

/// An error that knows which exit code it maps to. Every module's error enum conforms, so `main`
/// catches once, prints `description` as one line and exits with `exitStatus`.
public protocol CategorizedError: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}

/// I/O failures from the POSIX layer, naming the path and the call.
public struct IOError: CategorizedError, Equatable {
    public var path: String
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var exitStatus: ExitStatus { .ioError }
    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
