import FSCore
import FSJobs
import FSTable
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A Delta feature table served from memory: the newest row per key, refreshed as commits land.
///
/// No store at all: `fs-serve --delta-table PATH` reads the table fs-agg-online (or
/// fs-agg-offline) writes and keeps, per key, the row with the greatest time column. A refresh
/// (`refresh()`, every `--refresh-interval` on a background thread) looks at the newest
/// snapshot:
/// ```
///  live files added since last time, none removed ──► read only those files, merge newer rows
///  any file removed (re-run of a day, compaction)  ──► rebuild every key from the live files,
///  first load, or the schema changed                   off the lock, then swap it in
/// ```
/// Rows are immutable values swapped whole under a lock, so a reader sees each key's row from
/// one generation: never half of a commit. An older or equal row never replaces a newer one.
public final class DeltaMemoryStore: FeatureSource, @unchecked Sendable {
    public let name: String
    public let root: String
    private let requestedKeys: [String]?
    private let requestedTime: String?
    private let lock = NIOLock()
    private var state: Generation?
    private var lastError: String?

    /// What one refresh built: the layout, the rows and the files they came from.
    struct Generation {
        var layout: ServedLayout
        /// The partition columns (year, month, day) the time is built from, when the table has no
        /// time column of its own (offline tables).
        var timePartitions: [String]?
        var version: Int64
        var schema: Schema
        var files: Set<String>
        var rows: [String: ServedRow]
        var loadedAtMicros: Int64
    }

    /// `keyColumns`/`timeColumn` default to what the table records (`fs.keyColumns`,
    /// `fs.timeColumn`, `fs.timeFromPartitions`, written by the aggregation jobs), else to the
    /// first column and `window_end`, else the `year`/`month`/`day` partition date.
    public init(name: String, root: String, keyColumns: [String]? = nil, timeColumn: String? = nil) {
        self.name = name
        self.root = root
        self.requestedKeys = keyColumns
        self.requestedTime = timeColumn
    }

    private var storeLabel: String { "delta:\(root)" }

    public func layout() throws(ServeError) -> ServedLayout {
        guard let l = lock.withLock({ state?.layout }) else {
            throw .storeUnavailable(store: storeLabel, reason: lock.withLock { lastError } ?? "not loaded yet")
        }
        return l
    }

    public func read(keys: [ServedKey]) throws(ServeError) -> [ServedRow?] {
        let texts = keys.map(Self.keyText)
        let rows: [ServedRow?]? = lock.withLock {
            guard let s = state else { return nil }
            return texts.map { s.rows[$0] }
        }
        guard let rows else { throw .storeUnavailable(store: storeLabel, reason: lock.withLock { lastError } ?? "not loaded yet") }
        return rows
    }

    public func checkHealth() -> StoreHealth {
        lock.withLock {
            if let e = lastError { return .down(reason: e) }
            return state == nil ? .down(reason: "not loaded yet") : .up
        }
    }

    public func publishedPosition() -> (version: Int64, updatedAtMicros: Int64?)? {
        lock.withLock { state.map { ($0.version, $0.loadedAtMicros) } }
    }

    /// Number of keys held (for tests and `/metrics`).
    public var keyCount: Int { lock.withLock { state?.rows.count ?? 0 } }

    /// Brings the rows up to the table's newest version. Returns the version now served.
    /// A failure (table gone, unreadable file) is recorded for `/health` and rethrown; the last
    /// good generation keeps being served.
    @discardableResult
    public func refresh() throws(ServeError) -> Int64 {
        do {
            let v = try refreshOnce()
            lock.withLock { lastError = nil }
            return v
        } catch {
            lock.withLock { lastError = error.description }
            throw error
        }
    }

    private func refreshOnce() throws(ServeError) -> Int64 {
        let exists: Bool
        do { exists = try DeltaTable.exists(at: root) } catch { throw .storeUnavailable(store: storeLabel, reason: error.description) }
        guard exists else { throw .storeUnavailable(store: storeLabel, reason: "no Delta table at \(root)") }
        let snapshot: Snapshot
        do { snapshot = try DeltaTable(root: root).snapshot(holdingTombstones: false) } catch {
            throw .storeUnavailable(store: storeLabel, reason: "\(error)")
        }
        let current = lock.withLock { state }
        if let current, current.version == snapshot.version { return current.version }
        let live = Set(snapshot.files.keys)
        let now = SystemWallClock().nowMicros()

        if let current, current.schema == snapshot.schema, current.files.isSubset(of: live) {
            // Appends only: merge the new files' rows into the served generation.
            let added = live.subtracting(current.files)
            var fresh: [String: ServedRow] = [:]
            try scan(snapshot, layout: current.layout, timePartitions: current.timePartitions, onlyPaths: added) { key, row in
                Self.keepNewer(&fresh, key, row)
            }
            lock.withLock {
                guard var s = state else { return }
                for (key, row) in fresh { Self.keepNewer(&s.rows, key, row) }
                s.version = snapshot.version
                s.files = live
                s.loadedAtMicros = now
                state = nil  // drop the lock's reference while mutating, so `s.rows` is not copied
                state = s
            }
            return snapshot.version
        }

        let (layout, timePartitions) = try makeLayout(snapshot)
        var rows: [String: ServedRow] = [:]
        try scan(snapshot, layout: layout, timePartitions: timePartitions, onlyPaths: nil) { key, row in Self.keepNewer(&rows, key, row) }
        let g = Generation(layout: layout, timePartitions: timePartitions, version: snapshot.version, schema: snapshot.schema,
                           files: live, rows: rows, loadedAtMicros: now)
        lock.withLock { state = g }
        return snapshot.version
    }

    /// Inserts `row` unless the key already holds a row at the same or a later time.
    @inline(__always)
    static func keepNewer(_ rows: inout [String: ServedRow], _ key: String, _ row: ServedRow) {
        if let old = rows[key], let oldTime = old.time, (row.time ?? Int64.min) <= oldTime { return }
        rows[key] = row
    }

    static func keyText(_ key: ServedKey) -> String {
        key.count == 1 ? canonicalText(key[0]) : key.map(canonicalText).joined(separator: "\u{1F}")
    }

    private static let partitionDate = ["year", "month", "day"]

    /// The layout from flags, else the table's `fs.*` properties, else the defaults; and the
    /// partition columns the time is derived from, if it is.
    private func makeLayout(_ snapshot: Snapshot) throws(ServeError) -> (ServedLayout, [String]?) {
        let names = snapshot.schema.names
        let props = snapshot.metadata.configuration
        guard let first = names.first else { throw .badStore(store: storeLabel, reason: "table has no columns") }
        let recordedKeys = props[FeatureTableProperties.keyColumns]?.split(separator: ",").map(String.init).filter { !$0.isEmpty }
        let keys = requestedKeys ?? (recordedKeys?.isEmpty == false ? recordedKeys! : [first])
        var time = requestedTime ?? props[FeatureTableProperties.timeColumn] ?? (names.contains("window_end") ? "window_end" : "feature_date")
        var partitions: [String]?
        if !names.contains(time) {
            let recorded = props[FeatureTableProperties.timeFromPartitions]?.split(separator: ",").map(String.init)
            let candidate = recorded ?? Self.partitionDate
            guard candidate.count == 3, candidate.allSatisfy(names.contains) else {
                throw .badStore(store: storeLabel, reason: "no time column \(time) and no year/month/day partitions: say which column orders versions with --time-column")
            }
            partitions = candidate
            if requestedTime == nil && props[FeatureTableProperties.timeColumn] == nil { time = FeatureTableProperties.offlineDateColumn }
        } else if let f = snapshot.schema.field(named: time), !(f.type == .timestamp || f.type == .date || f.type == .int64) {
            throw .badStore(store: storeLabel, reason: "time column \(time) is \(f.type), not a timestamp or date")
        }
        for k in keys where !names.contains(k) {
            throw .badStore(store: storeLabel, reason: "no key column \(k); columns are \(names.joined(separator: ", "))")
        }
        let skipped = Set(keys + [time] + (partitions ?? []))
        return (ServedLayout(keyColumns: keys, timeColumn: time, featureColumns: names.filter { !skipped.contains($0) }), partitions)
    }

    /// Reads every row of the live files (or of `onlyPaths`) as (key text, row).
    private func scan(_ snapshot: Snapshot, layout: ServedLayout, timePartitions: [String]?, onlyPaths: Set<String>?,
                      _ body: (String, ServedRow) -> Void) throws(ServeError) {
        do {
            var scan = try TableScan(snapshot: snapshot, onlyPaths: onlyPaths)
            let schema = scan.outputSchema
            func index(_ n: String) throws(ServeError) -> Int {
                guard let i = schema.index(of: n) else { throw .badStore(store: storeLabel, reason: "no column \(n)") }
                return i
            }
            let keyIdx = try layout.keyColumns.map(index)
            let featureIdx = try layout.featureColumns.map(index)
            let timeIdx: [Int] = try timePartitions.map { try $0.map(index) } ?? [try index(layout.timeColumn)]
            try scan.forEachBatch { batch in
                for r in 0..<batch.rowCount {
                    let key = keyIdx.count == 1 ? canonicalText(batch.columns[keyIdx[0]][r])
                        : keyIdx.map { canonicalText(batch.columns[$0][r]) }.joined(separator: "\u{1F}")
                    body(key, ServedRow(time: Self.time(batch, timeIdx, r), features: featureIdx.map { batch.columns[$0][r] }))
                }
            }
        } catch let e as ServeError {
            throw e
        } catch {
            throw .storeUnavailable(store: storeLabel, reason: "\(error)")
        }
    }

    private static func time(_ batch: RecordBatch, _ idx: [Int], _ r: Int) -> Int64? {
        if idx.count == 3 {
            let parts = idx.map { batch.columns[$0][r].asInt64 }
            guard let y = parts[0], let m = parts[1], let d = parts[2] else { return nil }
            return CivilDate(year: Int(y), month: Int(m), day: Int(d)).daysSinceEpoch * microsPerDay
        }
        switch batch.columns[idx[0]][r] {
        case .timestamp(let t), .int64(let t): return t
        case .date(let d): return Int64(d) * microsPerDay
        default: return nil
        }
    }

    /// Refreshes every `interval` on a background thread until `stop()`; errors are recorded
    /// for `/health` and the next round tries again.
    public func startRefreshing(every interval: Duration) {
        let micros = max(1_000, interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
        let thread = RefreshThread(store: self, intervalMicros: micros)
        lock.withLock { refresher = thread }
        thread.start()
    }

    /// Stops the background refresh (waits for a round in progress).
    public func stop() {
        let t = lock.withLock { let t = refresher; refresher = nil; return t }
        t?.stop()
    }

    private var refresher: RefreshThread?
}

/// The background loop of one `DeltaMemoryStore` (a pthread: no Foundation in the library).
private final class RefreshThread: @unchecked Sendable {
    let store: DeltaMemoryStore
    let intervalMicros: Int64
    private let lock = NIOLock()
    private var isStopping = false
    private var thread: pthread_t?

    init(store: DeltaMemoryStore, intervalMicros: Int64) {
        self.store = store
        self.intervalMicros = intervalMicros
    }

    func start() {
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        pthread_create(&t, nil, { arg in
            let me = Unmanaged<RefreshThread>.fromOpaque(arg!).takeRetainedValue()
            me.loop()
            return nil
        }, box.toOpaque())
        thread = t
    }

    private func loop() {
        while !lock.withLock({ isStopping }) {
            var slept: Int64 = 0
            while slept < intervalMicros && !lock.withLock({ isStopping }) {
                usleep(UInt32(min(50_000, intervalMicros - slept)))
                slept += 50_000
            }
            if lock.withLock({ isStopping }) { break }
            _ = try? store.refresh()
        }
    }

    func stop() {
        lock.withLock { isStopping = true }
        if let t = thread { pthread_join(t, nil) }
    }
}
