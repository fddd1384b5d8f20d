import FSCore

/// How one served feature table is laid out: which columns identify a key, which one orders its
/// versions, which are the features (in table order).
///
/// For SQL stores this comes from `fs_publish_state` (`key_columns`, `time_column`) and the
/// table's own column list, so the server serves exactly what fs-publish wrote; for a Delta table
/// from its schema.
public struct ServedLayout: Sendable, Equatable {
    public var keyColumns: [String]
    public var timeColumn: String
    /// Every column that is neither a key nor the time column, in table order.
    public var featureColumns: [String]

    public init(keyColumns: [String], timeColumn: String, featureColumns: [String]) {
        self.keyColumns = keyColumns
        self.timeColumn = timeColumn
        self.featureColumns = featureColumns
    }

    /// Index of a feature by name; nil when the table has no such feature column.
    public func featureIndex(_ name: String) -> Int? { featureColumns.firstIndex(of: name) }
}

/// The newest vector of one key, as one read of the store returned it (never assembled from two
/// reads, so never half of one publish and half of another).
public struct ServedRow: Sendable, Equatable {
    /// The row's time column, µs since the epoch UTC; nil when the stored value is NULL.
    public var time: Int64?
    /// One value per `ServedLayout.featureColumns`, in that order.
    public var features: [Value]

    public init(time: Int64?, features: [Value]) {
        self.time = time
        self.features = features
    }
}

/// A key as the request gave it: one value per key column, in layout order.
///
/// Requests carry JSON numbers or strings; stores hold typed columns. Each store converts with
/// `canonicalText`, which makes `123` and `"123"` the same key, as Feast's clients expect.
public typealias ServedKey = [Value]

/// Text form of one key value shared by every store: integers in decimal, strings as they are.
@inline(__always)
func canonicalText(_ v: Value) -> String {
    switch v {
    case .string(let s): return s
    case .int64(let i): return String(i)
    case .int32(let i): return String(i)
    case .boolean(let b): return b ? "true" : "false"
    case .double(let d): return d == d.rounded() && abs(d) < 9e15 ? String(Int64(d)) : String(d)
    case .date(let d): return formatDate(days: d)
    case .timestamp(let t): return formatISO8601(micros: t)
    case .null: return ""
    }
}

/// What a health probe of one store found.
public enum StoreHealth: Sendable, Equatable {
    case up
    case down(reason: String)
}

/// One feature table fs-serve reads from: a SQL store table or a Delta table held in memory.
///
/// Implementations are called concurrently from the server's event-loop threads; each `read`
/// answers every key of one request from one consistent view (one SQL read transaction, one
/// in-memory generation), so a publish in progress is either fully visible or not at all.
public protocol FeatureSource: AnyObject, Sendable {
    /// The name clients use: `<name>:<feature>` in Feast requests, `/features/<name>/<key>`.
    var name: String { get }
    /// The table's layout; throws `ServeError.storeUnavailable` while the store cannot say.
    func layout() throws(ServeError) -> ServedLayout
    /// The newest row of each key, nil for keys the store does not hold.
    func read(keys: [ServedKey]) throws(ServeError) -> [ServedRow?]
    /// Probes the store (a cheap query), reconnecting when it went away and came back.
    func checkHealth() -> StoreHealth
    /// Last published source version and when it was published (µs UTC), for `/metrics`.
    func publishedPosition() -> (version: Int64, updatedAtMicros: Int64?)?
}
