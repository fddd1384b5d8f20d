import FSCore

/// What one publish writes: which columns identify a key, which orders its versions, which are features.
///
/// The publish job derives it once from the input Delta table and the flags
/// (`--key-field`, `--time-field`, `--columns`) and hands it to `PublishTarget.prepare`; every
/// batch the job passes to `publish` afterwards has exactly `schema`'s columns in that order,
/// so a target can bind columns by position without looking names up per batch.
public struct PublishLayout: Sendable, Equatable {
    /// `--output-table`: the SQL table name, the Redis key prefix, or the Kafka topic.
    public var target: String
    /// `metaData.id` of the input Delta table: a target already fed by another id is refused,
    /// so two tables never interleave their versions in one store table.
    public var sourceTableId: String
    /// Where the input table lives, recorded in the state so an operator can trace a store back.
    public var sourcePath: String
    /// The columns that identify one entity (the store's primary key), in `--key-field` order.
    public var keyColumns: [Field]
    /// The column that orders an entity's versions: a stored row is replaced only by a newer one.
    public var timeColumn: Field
    /// Published columns other than key and time, in table order.
    public var featureColumns: [Field]
    /// `keyColumns + [timeColumn] + featureColumns`: the column order of every batch.
    public var schema: Schema

    /// A layout whose `schema` is derived from the columns, so the two can never disagree.
    public init(target: String, sourceTableId: String, sourcePath: String,
                keyColumns: [Field], timeColumn: Field, featureColumns: [Field]) {
        self.target = target
        self.sourceTableId = sourceTableId
        self.sourcePath = sourcePath
        self.keyColumns = keyColumns
        self.timeColumn = timeColumn
        self.featureColumns = featureColumns
        self.schema = Schema(keyColumns + [timeColumn] + featureColumns)
    }
}

extension Optional where Wrapped == PublishLayout {
    /// The layout `prepare` stored. A target used before `prepare` is the caller's bug; the
    /// network targets report it as a failed statement of `store` rather than crash the job.
    func prepared(store: String) throws(StoreError) -> PublishLayout {
        guard let self else { throw .statementFailed(store: store, reason: "publish before prepare") }
        return self
    }
}

/// What one `publish` call changed in the store, summed by the job into `--summary`.
public struct PublishCounts: Sendable, Equatable {
    /// Keys inserted or overwritten with a newer row.
    public var upserted = 0
    /// Rows not written because the store already held a row for that key at the same or a
    /// later time (a late or replayed commit must never regress a key).
    public var skippedAsOlder = 0

    public init(upserted: Int = 0, skippedAsOlder: Int = 0) {
        self.upserted = upserted
        self.skippedAsOlder = skippedAsOlder
    }
}

/// One store fs-publish writes. Each `publish` call is one atomic unit (one SQL transaction, one
/// MULTI/EXEC or script batch, one Kafka transaction or flush).
///
/// Atomicity is what makes a kill -9 harmless: the source version is recorded in the same unit
/// as the rows it produced, so after a crash either both are there (the re-run starts after that
/// version) or neither is (the re-run writes them again, and the time guard makes that a no-op
/// for rows that did land in an earlier unit).
public protocol PublishTarget: AnyObject {
    /// Creates the store's table for `layout` if missing, or verifies an existing one is compatible
    /// (else PublishError with exit 65 naming the column). Also creates the state table.
    func prepare(_ layout: PublishLayout) throws
    /// The last source version published from layout.sourceTableId into layout.target; nil if never.
    func publishedVersion() throws -> Int64?
    /// Writes `rows` (schema == layout.schema, at most one row per key: the newest of its batch).
    /// For online stores a row whose time <= the stored row's time for that key never overwrites it.
    /// When `version` is non-nil it is recorded as published in the SAME atomic unit as the rows.
    func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts
    /// Releases the connection; the target is not used afterwards.
    func close()
    /// Whether the job should read and reduce the input on another thread while `prepare` and
    /// `publishedVersion` run (`SpeculativeReduction`): true where learning the published version
    /// costs round trips worth overlapping (a fresh Kafka producer's first request).
    var readsAheadOfState: Bool { get }
}

extension PublishTarget {
    /// The SQL stores and Redis answer on a connection opened before `prepare`, in well under a
    /// millisecond on loopback: reading ahead would only risk wasted reads.
    public var readsAheadOfState: Bool { false }
}
