import FSJobs
import FSPublish

/// `--store sqlite:PATH | postgres:URL | redis:URL`: which store fs-publish wrote, checked once.
///
/// The URL forms are fs-publish's own (`--postgres-url`, `--redis-url`), and so is the rule that
/// a password never sits in them (shell history, `ps`): PGPASSWORD or ~/.pgpass for
/// PostgreSQL, FS_REDIS_PASSWORD for Redis, read when the store is opened.
public enum StoreSpec: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)
    case redis(url: String)

    /// Parses one `--store` value; usage errors name the flag and show the accepted forms.
    public static func parse(_ text: String) throws(UsageError) -> StoreSpec {
        guard let colon = text.firstIndex(of: ":") else {
            throw UsageError(flag: "--store", message: "'\(text)' is not sqlite:PATH, postgres:URL or redis:URL")
        }
        let scheme = text[..<colon], rest = String(text[text.index(after: colon)...])
        switch scheme {
        case "sqlite":
            guard !rest.isEmpty else { throw UsageError(flag: "--store", message: "sqlite: needs a path, e.g. sqlite:/tmp/ifood/data/features.db") }
            return .sqlite(path: rest)
        case "postgres", "postgresql":
            // `postgres:postgresql://…` and the short `postgres://…` (the whole value is the URL).
            let url = rest.hasPrefix("//") ? text : rest
            guard !rest.isEmpty else { throw UsageError(flag: "--store", message: "postgres: needs a URL, e.g. postgres:postgresql://fs@127.0.0.1:5432/fs") }
            do { try PostgresTarget.validate(url: url) } catch { throw UsageError(flag: "--store", message: "\(error)") }
            return .postgres(url: url)
        case "redis":
            let url = rest.hasPrefix("//") ? text : rest
            guard !rest.isEmpty else { throw UsageError(flag: "--store", message: "redis: needs a URL, e.g. redis:redis://127.0.0.1:6379/0") }
            do { _ = try RedisTarget.Configuration(url: url, password: nil) } catch { throw UsageError(flag: "--store", message: "\(error)") }
            return .redis(url: url)
        default:
            throw UsageError(flag: "--store", message: "'\(scheme)' is not a store fs-serve reads; use sqlite:PATH, postgres:URL or redis:URL")
        }
    }
}
