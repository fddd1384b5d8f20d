import FSCore

/// The column types and state-table statements the SQL targets (PostgreSQL, MySQL) share.
///
/// One place decides how a Delta type becomes a store column, so the DDL a target creates and
/// the check it runs on an existing table cannot disagree. The names the catalog reports
/// (`information_schema.columns.data_type`) are listed beside the DDL names for that check.
enum SQLColumnType {
    /// The DDL type of `type` in `dialect`.
    static func ddl(_ type: DataType, _ dialect: SQLDialect) -> String {
        switch (type, dialect) {
        case (.int64, .sqlite), (.int32, .sqlite), (.boolean, .sqlite): return "INTEGER"
        case (.int64, _): return "BIGINT"
        case (.int32, _): return "INTEGER"
        case (.double, .postgres): return "DOUBLE PRECISION"
        case (.double, .mysql): return "DOUBLE"
        case (.double, .sqlite): return "REAL"
        // MySQL cannot index TEXT without a prefix length; a key column is VARCHAR there.
        case (.string, _): return "TEXT"
        case (.boolean, _): return "BOOLEAN"
        case (.timestamp, .postgres): return "TIMESTAMPTZ"
        case (.timestamp, .mysql): return "DATETIME(6)"
        case (.timestamp, .sqlite), (.date, .sqlite): return "TEXT"
        case (.date, _): return "DATE"
        }
    }

    /// The `information_schema.columns.data_type` values an existing column of `type` may have.
    static func catalogNames(_ type: DataType, _ dialect: SQLDialect) -> Set<String> {
        switch (type, dialect) {
        case (.int64, .postgres): return ["bigint"]
        case (.int32, .postgres): return ["integer"]
        case (.double, .postgres): return ["double precision"]
        case (.string, .postgres): return ["text", "character varying"]
        case (.boolean, .postgres): return ["boolean"]
        case (.timestamp, .postgres): return ["timestamp with time zone"]
        case (.date, .postgres): return ["date"]
        case (.int64, .mysql): return ["bigint"]
        case (.int32, .mysql): return ["int"]
        case (.double, .mysql): return ["double"]
        case (.string, .mysql): return ["text", "varchar", "mediumtext", "longtext"]
        case (.boolean, .mysql): return ["tinyint"]
        case (.timestamp, .mysql): return ["datetime"]
        case (.date, .mysql): return ["date"]
        case (_, .sqlite): return []
        }
    }
}

extension PublishLayout {
    /// `key_columns` of `fs_publish_state`: a JSON array of the key column names, in key order.
    var keyColumnsJSON: String {
        JSONValue.array(keyColumns.map { .string($0.name) }).description
    }

    /// `columns` of Redis's state hash: `[{"name": …, "type": …}]` in batch order, the type as
    /// Delta names it (`DataType(deltaName:)` reads it back).
    package var columnsJSON: String {
        JSONValue.array(allColumns.map { .object([("name", .string($0.name)), ("type", .string($0.type.deltaName))]) }).description
    }

    /// Every published column in batch order (keys, time, features).
    var allColumns: [Field] { schema.fields }
}
