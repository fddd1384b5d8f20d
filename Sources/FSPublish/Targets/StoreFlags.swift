#if canImport(Glibc)
import Glibc
#endif
import FSCore
import FSJobs

/// The connection flags of the server stores, checked once (usage errors name the flag) and
/// turned into values; passwords come only from the environment or a file, never a flag value.
enum StoreFlags {
    /// `--jdbc-hostname`, `--jdbc-port` (default 3306), `--jdbc-database`, `--jdbc-user`.
    static func mysql(_ c: PublishConnection) throws(UsageError) -> (host: String, port: Int, database: String, user: String) {
        guard let host = c.jdbcHostname, !host.isEmpty else {
            throw UsageError(flag: "--jdbc-hostname", message: "is required with --publisher-type mysql (the server host)")
        }
        var port = 3306
        if let p = c.jdbcPort {
            guard let n = Int(p), n > 0, n < 65536 else { throw UsageError(flag: "--jdbc-port", message: "'\(p)' is not a port number") }
            port = n
        }
        guard let db = c.jdbcDatabase, !db.isEmpty else {
            throw UsageError(flag: "--jdbc-database", message: "is required with --publisher-type mysql (the database holding the table)")
        }
        guard let user = c.jdbcUser, !user.isEmpty else {
            throw UsageError(flag: "--jdbc-user", message: "is required with --publisher-type mysql (the password comes from FS_MYSQL_PASSWORD or --jdbc-password-file)")
        }
        if let file = c.jdbcPasswordFile, access(file, R_OK) != 0 {
            throw UsageError(flag: "--jdbc-password-file", message: "\(file) cannot be read: \(String(cString: strerror(errno)))")
        }
        return (host, port, db, user)
    }

    /// The MySQL password: the first line of `--jdbc-password-file`, else FS_MYSQL_PASSWORD, else none.
    static func mysqlPassword(_ c: PublishConnection) throws -> String? {
        if let file = c.jdbcPasswordFile {
            let bytes = try FileSystem.readFile(file)
            let line = bytes.prefix(while: { $0 != 10 && $0 != 13 })
            return String(decoding: line, as: UTF8.self)
        }
        return environment("FS_MYSQL_PASSWORD")
    }

    /// `--ttl` as a whole number of seconds ≥ 1 (e.g. 12h, 30m, 86400); nil when not given.
    static func ttl(_ text: String?) throws(UsageError) -> Duration? {
        guard let text else { return nil }
        let t = text.lowercased()
        var d: Duration?
        if t.hasSuffix("d"), let days = Int64(t.dropLast()) { d = .seconds(days * 86_400) } else { d = parseDuration(text) }
        guard let d, d >= .seconds(1) else {
            throw UsageError(flag: "--ttl", message: "'\(text)' is not a duration of at least 1 s (e.g. 7d, 12h, 30m)")
        }
        return d
    }

    /// A non-empty environment variable.
    static func environment(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        let s = String(cString: p)
        return s.isEmpty ? nil : s
    }
}
