#if canImport(Glibc)
import Glibc
#endif
import FSCore
import Synchronization

/// A server the tests start (redis-server, postgres, mariadbd): the `ServerInstance` it owns is
/// its process, directory and log, so stopping it and its pid are the same for every kind.
package protocol TestServer: AnyObject, Sendable {
    var instance: ServerInstance { get }
}

extension TestServer {
    /// Stops the server by pid, with its kind's fast-shutdown signal (PostgreSQL: SIGINT), and
    /// removes its directory. Idempotent.
    package func stop() { instance.stop() }
    /// The server's pid (PostgreSQL: the postmaster's).
    package var pid: pid_t { instance.process.pid }
}

/// A SQL test server (PostgreSQL, MariaDB): its set-up creates the password-authenticated user
/// `fs` and the database `fs` that every test connects as and to.
package protocol SQLTestServer: TestServer {}

extension SQLTestServer {
    /// The user TCP connections log in as (with `password`).
    package var user: String { "fs" }
    /// The database the tests' tables go in.
    package var database: String { "fs" }
}

/// A `redis-server` on 127.0.0.1 with no persistence, for tests.
///
/// `--save '' --appendonly no`: nothing is written but the log; the data dir is a temporary
/// directory removed on `stop()`. With a password, clients authenticate as the default user.
public final class RedisServer: TestServer {
    public let port: Int
    /// The `requirepass` password, or nil for an open server.
    public let password: String?
    package let instance: ServerInstance

    /// `redis://127.0.0.1:<port>/0` — never with the password (fs refuses passwords in URLs).
    public var url: String { "redis://127.0.0.1:\(port)/0" }
    /// The variables a client needs: `FS_REDIS_PASSWORD` (fs) and `REDISCLI_AUTH` (redis-cli).
    public var environment: [String: String] {
        guard let password else { return [:] }
        return ["FS_REDIS_PASSWORD": password, "REDISCLI_AUTH": password]
    }

    private init(port: Int, password: String?, instance: ServerInstance) {
        self.port = port
        self.password = password
        self.instance = instance
    }

    /// Starts a server on a free loopback port (or on `port`: a restart of a stopped server,
    /// empty) and returns once it answers PING.
    public static func start(password: String? = randomTestPassword(), port fixedPort: Int? = nil) throws -> RedisServer {
        try startInstalled("redis-server", port: fixedPort, install: nil, launch: { dir, port in
            let log = dir + "/redis-\(port).log"
            var args = [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", dir, "--daemonize", "no", "--protected-mode", "no",
            ]
            if let password { args += ["--requirepass", password] }
            let process = try ChildProcess.spawn("redis-server", args, outputPath: log)
            let instance = ServerInstance(name: "redis-server", directory: dir, process: process, logPath: log, stopSignal: SIGTERM)
            return RedisServer(port: port, password: password, instance: instance)
        }, isReady: { server in (try? server.cli(["PING"])) == "PONG" }, setUp: { _ in })
    }

    /// Runs `redis-cli` against this server (authenticated through REDISCLI_AUTH) and returns its
    /// output; an error reply is output too, as redis-cli prints it.
    public func cli(_ arguments: [String]) throws -> String {
        try ChildProcess.check("redis-cli", ["-h", "127.0.0.1", "-p", String(port)] + arguments, environment: environment)
    }
}

/// A PostgreSQL 15 cluster on 127.0.0.1, for tests: `initdb` into a temporary directory, then
/// `postgres` itself (not `pg_ctl`), so the pid we hold is the postmaster's.
///
/// As root (these machines) both run as the `postgres` user through `setpriv`, which execs (so
/// the pid stays the server's); the directory is chowned to it. Local socket connections
/// (`-k <dir>`) trust the superuser `postgres`, for the harness's own `psql`; TCP connections
/// require a SCRAM password, so the role `fs` (owner of database `fs`) exercises real
/// authentication. fsync is off: the tests kill the publisher, never the server.
public final class PostgresServer: SQLTestServer {
    public let port: Int
    public let password: String
    public let socketDirectory: String
    package let instance: ServerInstance

    /// A libpq URI without the password (fs takes it from PGPASSWORD, as libpq does).
    public var url: String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)" }
    /// `PGPASSWORD` for the `fs` role.
    public var environment: [String: String] { ["PGPASSWORD": password] }

    /// Where the PostgreSQL 15 binaries are (`FS_PG_BIN` overrides).
    public static var binDirectory: String {
        getenv("FS_PG_BIN").map { String(cString: $0) } ?? "/usr/lib/postgresql/15/bin"
    }

    private init(port: Int, password: String, socketDirectory: String, instance: ServerInstance) {
        self.port = port
        self.password = password
        self.socketDirectory = socketDirectory
        self.instance = instance
    }

    /// Creates and starts a cluster on a free loopback port (or on `port`: a restart of a stopped
    /// server, with a new empty cluster); returns once role `fs` can log in.
    public static func start(password: String = randomTestPassword(), port fixedPort: Int? = nil) throws -> PostgresServer {
        let bin = binDirectory
        let asPostgres: [String] = isRoot ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : []
        // initdb once per start: a cluster is cheap (~2 s) and the port only matters later.
        return try startInstalled("postgres", port: fixedPort, install: { dir in
            if isRoot { try changeOwner(dir, to: "postgres") }
            return ("initdb", asPostgres + [bin + "/initdb",
                "-D", dir + "/data", "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C", "--no-sync", "--no-instructions",
            ])
        }, launch: { dir, port in
            let log = dir + "/postgres-\(port).log"
            let command = asPostgres + [bin + "/postgres",
                "-D", dir + "/data", "-k", dir, "-h", "127.0.0.1", "-p", String(port),
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=200", "-c", "logging_collector=off",
            ]
            let process = try ChildProcess.spawn(command[0], Array(command.dropFirst()), outputPath: log)
            // SIGINT is PostgreSQL's "fast" shutdown (SIGTERM waits for clients to leave).
            let instance = ServerInstance(name: "postgres", directory: dir, process: process, logPath: log, stopSignal: SIGINT)
            return PostgresServer(port: port, password: password, socketDirectory: dir, instance: instance)
        }, isReady: { server in
            (try? ChildProcess.run(bin + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(server.port)]).status) == 0
        }, setUp: { server in
            try server.psql("CREATE ROLE \(server.user) LOGIN PASSWORD '\(password)'", database: "postgres")
            try server.psql("CREATE DATABASE \(server.database) OWNER \(server.user)", database: "postgres")
        })
    }

    /// Runs SQL as the superuser over the Unix socket (the harness's independent view of the
    /// store); rows come back one per line, columns separated by tabs, NULL as empty.
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) throws -> String {
        try ChildProcess.check(Self.binDirectory + "/psql", [
            "-X", "-q", "-h", socketDirectory, "-p", String(port), "-U", "postgres", "-d", database ?? self.database,
            "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ])
    }
}

/// A MariaDB server on 127.0.0.1, for tests: `mariadb-install-db` into a temporary directory,
/// then `mariadbd` with its own socket and port and no option files (`--no-defaults`), so the
/// machine's /etc/mysql configuration never leaks in.
///
/// root (no password) is reached only through the Unix socket, by the harness; user `fs` has a
/// password and every privilege on database `fs`, so TCP connections exercise authentication.
public final class MariaDBServer: SQLTestServer {
    public let port: Int
    public let password: String
    public let socketPath: String
    package let instance: ServerInstance

    /// `FS_MYSQL_PASSWORD` for the `fs` user.
    public var environment: [String: String] { ["FS_MYSQL_PASSWORD": password] }

    private init(port: Int, password: String, socketPath: String, instance: ServerInstance) {
        self.port = port
        self.password = password
        self.socketPath = socketPath
        self.instance = instance
    }

    /// Installs and starts a server on a free loopback port; returns once `fs` can log in.
    public static func start(password: String = randomTestPassword()) throws -> MariaDBServer {
        let userArgs = isRoot ? ["--user=root"] : []
        return try startInstalled("mariadbd", port: nil, install: { dir in
            ("mariadb-install-db", [
                "mariadb-install-db", "--no-defaults", "--datadir=" + dir + "/data",
                "--auth-root-authentication-method=normal", "--skip-test-db",
            ] + userArgs)
        }, launch: { dir, port in
            let log = dir + "/mariadbd-\(port).log"
            let socket = dir + "/mariadbd.sock"
            let process = try ChildProcess.spawn("mariadbd", [
                "--no-defaults", "--datadir=" + dir + "/data", "--socket=" + socket, "--port=" + String(port),
                "--bind-address=127.0.0.1", "--pid-file=" + dir + "/mariadbd.pid", "--log-error=" + log,
                "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2",
                "--max-connections=200", "--local-infile=1",
            ] + userArgs, outputPath: log)
            let instance = ServerInstance(name: "mariadbd", directory: dir, process: process, logPath: log, stopSignal: SIGTERM)
            return MariaDBServer(port: port, password: password, socketPath: socket, instance: instance)
        }, isReady: { server in
            (try? ChildProcess.run("mariadb-admin", ["--no-defaults", "-S", server.socketPath, "-u", "root", "ping"]).status) == 0
        }, setUp: { server in
            try server.sql("CREATE USER '\(server.user)'@'%' IDENTIFIED BY '\(password)'", database: nil)
            try server.sql("CREATE DATABASE `\(server.database)`", database: nil)
            try server.sql("GRANT ALL ON *.* TO '\(server.user)'@'%'", database: nil)
        })
    }

    /// Runs SQL as root over the Unix socket; rows one per line, tab-separated, NULL as "NULL".
    @discardableResult
    public func sql(_ statement: String, database: String? = "fs") throws -> String {
        var args = ["--no-defaults", "-S", socketPath, "-u", "root", "-N", "-B", "-e", statement]
        if let database { args.append(database) }
        return try ChildProcess.check("mariadb", args)
    }
}

/// One server of each kind per test process, started on first use and stopped at exit.
///
/// Starting PostgreSQL (~2 s) or MariaDB (~7 s) for every test would dominate the suite on two
/// shared cores, so tests share one server per kind and isolate themselves by table name / key
/// prefix instead. A failed start is remembered, so every later test fails fast with the same
/// message. The servers are stopped by pid from an `atexit` handler; if the process dies
/// without running it, each server's watchdog cleans up.
public enum StoreServers {
    private static let redisServer = Mutex<Result<RedisServer, TestSupportErrorBox>?>(nil)
    private static let postgresServer = Mutex<Result<PostgresServer, TestSupportErrorBox>?>(nil)
    private static let mariadbServer = Mutex<Result<MariaDBServer, TestSupportErrorBox>?>(nil)
    private static let exitHook = Mutex<Bool>(false)

    /// The shared redis-server (with a password).
    public static func redis() throws -> RedisServer {
        try shared(redisServer) { try RedisServer.start() }
    }

    /// The shared PostgreSQL cluster.
    public static func postgres() throws -> PostgresServer {
        try shared(postgresServer) { try PostgresServer.start() }
    }

    /// The shared MariaDB server.
    public static func mariadb() throws -> MariaDBServer {
        try shared(mariadbServer) { try MariaDBServer.start() }
    }

    /// Stops every shared server that was started (the atexit handler; callable by hand).
    public static func stopAll() {
        if case .success(let s)? = redisServer.withLock({ $0 }) { s.stop() }
        if case .success(let s)? = postgresServer.withLock({ $0 }) { s.stop() }
        if case .success(let s)? = mariadbServer.withLock({ $0 }) { s.stop() }
    }

    private static func shared<S: Sendable>(_ slot: borrowing Mutex<Result<S, TestSupportErrorBox>?>, start: () throws -> S) throws -> S {
        try slot.withLock { state in
            if state == nil {
                registerExitHook()
                do { state = .success(try start()) } catch { state = .failure(TestSupportErrorBox(description: "\(error)")) }
            }
            return try state!.get()
        }
    }

    private static func registerExitHook() {
        exitHook.withLock { done in
            if !done {
                atexit { StoreServers.stopAll() }
                done = true
            }
        }
    }
}

/// A start-up failure kept for later callers (errors are not Sendable; their text is).
public struct TestSupportErrorBox: Error, Sendable, CustomStringConvertible {
    public var description: String
}
