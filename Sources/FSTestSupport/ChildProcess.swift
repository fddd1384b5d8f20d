#if canImport(Glibc)
import Glibc
#endif
import FSCore

/// Why the test harness could not start, run or stop something. Test-only: it names the command
/// and carries the tail of the server's log, so a failing CI run says what the server said.
public enum TestSupportError: Error, CustomStringConvertible {
    case spawnFailed(command: String, errno: Int32)
    case commandFailed(command: String, status: Int32, output: String)
    case serverDidNotStart(server: String, reason: String, log: String)

    public var description: String {
        switch self {
        case .spawnFailed(let command, let code):
            return "cannot start \(command): \(String(cString: strerror(code)))"
        case .commandFailed(let command, let status, let output):
            return "\(command) exited with \(status): \(output)"
        case .serverDidNotStart(let server, let reason, let log):
            return "\(server) did not start: \(reason)\n--- log tail ---\n\(log)"
        }
    }
}

/// A process the tests started, known by its pid, and only ever stopped through that pid.
///
/// posix_spawn instead of Foundation's `Process`: the harness is library code (no Foundation,
/// STYLE.md), and a spawned server must not inherit anything but the output file it writes to.
/// The child's stdin is /dev/null; stdout and stderr go to `outputPath` (appended) or /dev/null.
public final class ChildProcess: @unchecked Sendable {
    /// The child's pid (the server's own pid when the command execs into it, as setpriv does).
    public let pid: pid_t
    /// What was run, for messages.
    public let command: String
    private var reapedStatus: Int32?

    private init(pid: pid_t, command: String) {
        self.pid = pid
        self.command = command
    }

    /// Starts `executable` (looked up in PATH when it has no slash) with `arguments`.
    /// `environment` entries are added to (or replace) the test process's own environment.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], outputPath: String? = nil
    ) throws -> ChildProcess {
        let command = ([executable] + arguments).joined(separator: " ")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let out = outputPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var env: [String: String] = [:]
        var e = environ
        while let entry = e.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            e += 1
        }
        for (k, v) in environment { env[k] = v }
        let envStrings = env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = envStrings.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        // The test runner may block or ignore signals (SIGTERM, SIGINT); a child inherits both
        // the mask and ignored dispositions across exec, and a server that ignores SIGTERM can
        // only be stopped by SIGKILL. Reset both.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t(), allSignals = sigset_t()
        sigemptyset(&emptyMask)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw TestSupportError.spawnFailed(command: command, errno: rc) }
        return ChildProcess(pid: pid, command: command)
    }

    /// Runs a command to completion and returns its exit status and combined output.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:]
    ) throws -> (status: Int32, output: String) {
        let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-run")
        defer { try? FileSystem.removeTree(dir) }
        let outPath = dir + "/output"
        let child = try spawn(executable, arguments, environment: environment, outputPath: outPath)
        let status = child.wait()
        let bytes = (try? FileSystem.readFile(outPath)) ?? []
        return (status, String(decoding: bytes, as: UTF8.self))
    }

    /// Runs a command that must succeed; returns its output (trailing newline removed).
    @discardableResult
    public static func check(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let (status, output) = try run(executable, arguments, environment: environment)
        guard status == 0 else {
            throw TestSupportError.commandFailed(command: ([executable] + arguments).joined(separator: " "), status: status, output: output)
        }
        return output.hasSuffix("\n") ? String(output.dropLast()) : output
    }

    /// The exit status if the child has ended (reaping it), nil while it runs. A child killed by
    /// signal N reports 128 + N, as a shell does.
    public func exitStatusIfEnded() -> Int32? {
        if let s = reapedStatus { return s }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == pid {
            reapedStatus = Self.decode(raw)
            return reapedStatus
        }
        if r < 0 && errno == ECHILD {
            reapedStatus = -1
            return reapedStatus
        }
        return nil
    }

    /// Blocks until the child ends; its exit status.
    public func wait() -> Int32 {
        if let s = reapedStatus { return s }
        var raw: Int32 = 0
        while true {
            let r = waitpid(pid, &raw, 0)
            if r == pid { break }
            if r < 0 && errno != EINTR { reapedStatus = -1; return -1 }
        }
        reapedStatus = Self.decode(raw)
        return reapedStatus!
    }

    /// Sends `signal`, waits up to `grace` for the child to end, then SIGKILLs it. Returns its status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, grace: Duration = .seconds(20)) -> Int32 {
        if let s = exitStatusIfEnded() { return s }
        kill(pid, signal)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let s = exitStatusIfEnded() { return s }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        return wait()
    }

    /// Sends a signal without waiting (the kill -9 tests).
    public func send(_ signal: Int32) { kill(pid, signal) }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on right now: bind port 0, read it, close.
///
/// Redis refuses `--port 0`, and fixed ports collide with the other engineers' concurrent test
/// runs. Between close and the server's bind another process could take the port; the server
/// helpers therefore retry on a fresh port when a server exits during start-up.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw IOError(path: "127.0.0.1:0", operation: "socket", errno: errno) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    guard bound == 0 else { throw IOError(path: "127.0.0.1:0", operation: "bind", errno: errno) }
    let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    guard named == 0 else { throw IOError(path: "127.0.0.1:0", operation: "getsockname", errno: errno) }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A random password for a test server (letters and digits: safe in URLs and shell arguments).
public func randomTestPassword(prefix: String = "pw") -> String {
    let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    var g = SystemRandomNumberGenerator()
    return prefix + "-" + String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] })
}
