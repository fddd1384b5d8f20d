import FSTable

/// The table properties (`metaData.configuration`) the aggregation jobs record so that
/// `fs-publish` knows, without flags, which columns identify a key and which orders its rows.
///
/// Online tables: key = `--agg-field`, time = `window_end` (the newest window of a key is its
/// current feature vector). Offline tables have no time column in their rows — the day is the
/// `year/month/day` partition — so they name a *derived* column, `feature_date`, which the
/// publisher builds as a DATE from those three partition values and publishes like any column.
public enum FeatureTableProperties {
    /// Comma-separated key column names.
    public static let keyColumns = "fs.keyColumns"
    /// The column that orders the versions of a key.
    public static let timeColumn = "fs.timeColumn"
    /// Set when `timeColumn` is derived from partition columns: their names, comma-separated,
    /// as `year,month,day` (a DATE built from them).
    public static let timeFromPartitions = "fs.timeFromPartitions"

    /// The name of the derived date column of offline feature tables.
    public static let offlineDateColumn = "feature_date"

    /// Properties of an online window table grouped by `key`.
    public static func online(key: String) -> StringMap {
        [keyColumns: key, timeColumn: "window_end"]
    }

    /// Properties of an offline feature table grouped by `key` and partitioned by year/month/day.
    public static func offline(key: String) -> StringMap {
        [keyColumns: key, timeColumn: offlineDateColumn, timeFromPartitions: "year,month,day"]
    }
}
