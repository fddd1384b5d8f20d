/// A table or column name written into SQL text, quoted for one dialect.
///
/// Feature names are user-chosen (`total-amount-sum-1h`, `it's`), and the only part of a
/// statement fs ever builds from user text is an identifier: values always travel as
/// parameters or COPY data. Quoting therefore has to be total — every name, every time — and
/// the quote character itself is doubled, which is the escape all three dialects define
/// (SQL standard `"` for SQLite and PostgreSQL, MySQL's backtick). A NUL byte cannot be
/// quoted in any of them and is refused by `validate`.
public enum SQLDialect: Sendable, Equatable {
    case sqlite, postgres, mysql

    var quote: Character { self == .mysql ? "`" : "\"" }

    /// `name` as a quoted identifier of this dialect.
    public func quoted(_ name: String) -> String {
        var out = String(quote)
        for c in name {
            if c == quote { out.append(quote) }
            out.append(c)
        }
        out.append(quote)
        return out
    }

    /// Longest identifier the server keeps without truncating it (PostgreSQL cuts at 63 bytes,
    /// MySQL refuses more than 64 characters); SQLite has no limit.
    public var maxIdentifierBytes: Int? {
        switch self {
        case .sqlite: nil
        case .postgres: 63
        case .mysql: 64
        }
    }

    /// Why `name` cannot be an identifier of this dialect, or nil when it can.
    public func validate(_ name: String) -> String? {
        if name.isEmpty { return "an empty name cannot be a column or table" }
        if name.utf8.contains(0) { return "'\(name)' contains a NUL byte" }
        if let max = maxIdentifierBytes, name.utf8.count > max {
            return "'\(name)' is \(name.utf8.count) bytes long; \(self) keeps at most \(max)"
        }
        return nil
    }
}
