#if canImport(Glibc)
import Glibc
#endif
import FSCore

/// One server process the tests started: its pid, its temporary directory, and a watchdog.
///
/// The watchdog is a tiny shell loop that outlives the test process only to clean up after it:
/// if the test runner dies (crash, kill -9, a CI timeout) without stopping the server, the
/// watchdog sees the runner's pid gone within a second, stops the server by its pid and removes
/// its directory — so no orphaned redis/postgres/mariadb keeps ports and memory on a machine
/// shared with other test runs. A normal `stop()` kills the watchdog first (by its pid).
package final class ServerInstance: @unchecked Sendable {
    let name: String
    let directory: String
    let process: ChildProcess
    let logPath: String
    /// How the server is asked to stop (SIGINT is PostgreSQL's fast shutdown).
    let stopSignal: Int32
    private var watchdog: ChildProcess?
    private var isStopped = false

    init(name: String, directory: String, process: ChildProcess, logPath: String, stopSignal: Int32) {
        self.name = name
        self.directory = directory
        self.process = process
        self.logPath = logPath
        self.stopSignal = stopSignal
        let script = """
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            kill -\(stopSignal) "$2" 2>/dev/null
            i=0; while kill -0 "$2" 2>/dev/null && [ $i -lt 20 ]; do sleep 1; i=$((i+1)); done
            kill -9 "$2" 2>/dev/null; rm -rf "$3"
            """
        watchdog = try? ChildProcess.spawn("/bin/sh", ["-c", script, "fs-test-watchdog", String(getpid()), String(process.pid), directory])
    }

    /// Stops the server by its pid (its stop signal, SIGKILL after 20 s) and removes its directory.
    func stop() {
        guard !isStopped else { return }
        isStopped = true
        watchdog?.stop(signal: SIGKILL, grace: .seconds(2))
        process.stop(signal: stopSignal)
        try? FileSystem.removeTree(directory)
    }

    /// The last `bytes` of the server's log, for start-up failure messages.
    func logTail(bytes: Int = 3000) -> String {
        ServerInstance.tail(of: logPath, bytes: bytes)
    }

    static func tail(of path: String, bytes: Int = 3000) -> String {
        guard let all = try? FileSystem.readFile(path) else { return "(no log at \(path))" }
        return String(decoding: all.suffix(bytes), as: UTF8.self)
    }

    /// Polls `probe` every 50 ms until it answers true; throws when the server exits first (the
    /// caller may retry on another port) or after `timeout`. Never a fixed sleep.
    func waitUntilReady(timeout: Duration = .seconds(90), probe: () -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.exitStatusIfEnded() {
                throw TestSupportError.serverDidNotStart(server: name, reason: "exited with status \(status) during start-up", log: logTail())
            }
            if probe() { return }
            usleep(50_000)
        }
        throw TestSupportError.serverDidNotStart(server: name, reason: "not ready after \(timeout)", log: logTail())
    }
}

/// Starts a server up to three times, each on a fresh free port: another process can take the
/// port between `freeLoopbackPort()` and the server's bind, and that loses only one attempt.
func startOnFreePort<S>(_ name: String, _ attempt: (Int) throws -> S) throws -> S {
    var last: Error?
    for _ in 0..<3 {
        do { return try attempt(try freeLoopbackPort()) } catch { last = error }
    }
    throw last ?? TestSupportError.serverDidNotStart(server: name, reason: "no attempt made", log: "")
}

/// Starts a server on `port` (one attempt: the port was the caller's choice), else on a free one.
func startOnPort<S>(_ port: Int?, _ name: String, _ attempt: (Int) throws -> S) throws -> S {
    if let port { return try attempt(port) }
    return try startOnFreePort(name, attempt)
}

/// Starts a test server: a temporary directory, the tool that installs a data directory into it
/// once (`initdb`, `mariadb-install-db`; nil for redis), then `launch` on `port` (else on free
/// ports) until the server answers `isReady` and `setUp` has created its user and database.
///
/// A failed attempt stops only its process: the installed directory serves the next port. A
/// failed start removes the directory.
func startInstalled<S: TestServer>(
    _ name: String, port: Int?, install: ((_ directory: String) throws -> (tool: String, command: [String]))?,
    launch: (_ directory: String, _ port: Int) throws -> S,
    isReady: (S) -> Bool, setUp: (S) throws -> Void
) throws -> S {
    let dir = try FileSystem.makeTemporaryDirectory(prefix: "fs-" + name)
    do {
        if let (tool, command) = try install?(dir) {
            let (status, output) = try ChildProcess.run(command[0], Array(command.dropFirst()))
            guard status == 0 else {
                throw TestSupportError.serverDidNotStart(server: name, reason: "\(tool) exited with \(status)", log: output)
            }
        }
        return try startOnPort(port, name) { port in
            let server = try launch(dir, port)
            do {
                try server.instance.waitUntilReady { isReady(server) }
                try setUp(server)
            } catch {
                server.instance.process.stop(signal: server.instance.stopSignal)
                throw error
            }
            return server
        }
    } catch {
        try? FileSystem.removeTree(dir)
        throw error
    }
}

/// True when the tests run as root: PostgreSQL refuses root, so it runs as the `postgres` user.
var isRoot: Bool { geteuid() == 0 }

/// Gives `path` to `user` (PostgreSQL's data and socket directories when the tests run as root).
func changeOwner(_ path: String, to user: String) throws {
    guard let pw = getpwnam(user) else {
        throw TestSupportError.serverDidNotStart(server: "postgres", reason: "no system user '\(user)' to run the server as", log: "")
    }
    guard chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0 else {
        throw IOError(path: path, operation: "chown \(user)", errno: errno)
    }
}
