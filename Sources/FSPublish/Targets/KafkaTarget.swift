import FSCore
import FSJobs
import FSKafka

/// `--publisher-type kafka`: one message per published row on the `--output-table` topic, and the
/// published source version in a state topic.
///
/// ```
///  publish(chunk₁, nil) … publish(chunkₙ, v)   chunks of one source version are held, then:
///    produce every row: key = entity key, value = JSON object of the row, partition by partition,
///                       headers fs_source_table / fs_source_table_id / fs_source_version = v
///    flush  (idempotent producer: librdkafka's retries never duplicate or reorder a message)
///    produce state record {target_table, source_table_id, …, version: v} to <topic>.fs_publish_state
///    flush                                     ← the commit point
/// ```
/// Guarantee: rows reach the topic before the version is recorded, so nothing is lost; a kill -9
/// (or broker failure) between the two flushes makes the re-run publish that source version
/// again, and the time guard below skips every row that already reached the topic — no (key,
/// time) is sent twice. Once the state record is written a re-run publishes nothing. (librdkafka's
/// transactions would make rows and version one unit; the 2.0.2 mock cluster the tests run on
/// does not filter aborted records for read_committed readers, so they could not be tested here.)
///
/// Time guard: as in the SQL stores, a row whose time is not after the newest time already
/// published for its key is not sent (counted as skipped as older) — an offline re-run of an old
/// day cannot make "the last message of a key" go back in time. The newest time per key is read
/// from the topic once per target (at its first publish: one pass over the topic, cheap on a
/// compacted topic) and kept up to date in memory (`KafkaTimeGuard`).
///
/// First load: when that read finds the topic empty, there is nothing to guard against — the
/// batch holds one row per key, all of them newer than nothing — so the rows are sent without
/// building the guard (a fifth of a 50k-row first publish's CPU), and the next publish of this
/// target reads the guard from the topic again.
///
/// Keys: a single key column is its text (strings as they are, numbers in decimal, timestamps
/// ISO-8601 UTC); several key columns are a JSON array of their values, e.g. `["c1",3]`.
/// Values: `{"col":value,…}` in the layout's column order, timestamps
/// `2019-01-17T13:05:00.000000Z`, dates `2019-01-17`, NaN and ±Inf as null.
final class KafkaTarget: PublishTarget {
    let topic: String
    let brokers: String
    let client: KafkaClientConfig
    let clock: any WallClock
    /// How long one flush may wait for the broker before the publish fails (and is retried by the job).
    let flushTimeout: Duration
    private var producer: KafkaProducer?
    /// Set by `close`: the target is not used afterwards (the job makes a new one).
    private var isClosed = false
    private var layout: PublishLayout?
    /// Chunks of the source version in progress, produced when its last chunk arrives.
    private var held: [RecordBatch] = []
    /// The state record as last read or written by this target: reading it means a consumer,
    /// a metadata round trip and a fetch, and this target is the topic's only publisher, so
    /// `publishedVersion` after `prepare` or `publish` needs no second read. Cleared by `close`
    /// (the job re-creates the target after a failure, which reads it again).
    private var knownState: KafkaPublishState??
    /// Time guard: the newest time column value published per message key, read from the topic
    /// once (at the first publish of this target; `prepare` already sets it empty when the topic
    /// holds nothing), then kept up to date. nil until loaded, and again after a first load (see
    /// the type's comment).
    private var timeGuard: KafkaTimeGuard?
    /// Whether this target's producer has asked for both topics' metadata (`KafkaProducer.warmUp`).
    private var topicsWarm = false
    /// The topic's partition count as that metadata listed it (nil: not listed), for enqueueing
    /// each publish partition by partition (`KafkaMessageEncoder.partitionOrder`).
    private var partitionCount: Int32?

    /// A fresh producer's first request waits for its connection (see `SpeculativeReduction`).
    var readsAheadOfState: Bool { true }

    /// The state topic of `topic`: one record per publish, the last one is the published version.
    static func stateTopic(_ topic: String) -> String { topic + ".fs_publish_state" }

    init(brokers: String, topic: String, client: KafkaClientConfig, clock: any WallClock = SystemWallClock(),
         flushTimeout: Duration = .seconds(60)) throws {
        self.brokers = brokers
        self.topic = topic
        self.client = client
        self.clock = clock
        self.flushTimeout = flushTimeout
    }

    /// The producer, created at the first use (`prepare`, or a read of the state before it):
    /// `rd_kafka_new` costs ~2 ms of the main thread, which the job overlaps with its read
    /// ahead only if it happens after the target is made (`readsAheadOfState`).
    private func liveProducer() throws -> KafkaProducer {
        if let producer { return producer }
        precondition(!isClosed, "KafkaTarget used after close")
        let made = try KafkaProducer(config: KafkaProducerConfig(
            bootstrapServers: brokers, extra: ["enable.idempotence": "true"], settings: client.settings))
        producer = made
        return made
    }

    func prepare(_ layout: PublishLayout) throws {
        _ = try liveProducer()
        self.layout = layout
        held = []
        let state = try readState()
        knownState = .some(state)
        if let state, state.sourceTableId != layout.sourceTableId {
            throw PublishError.otherSource(table: topic, sourceTableId: state.sourceTableId, sourcePath: state.sourcePath)
        }
        // The round trips the first publish would make before its first message, made here
        // instead, where the job overlaps them with the table read (`readsAheadOfState`).
        warmUpTopics()
        if timeGuard == nil, !mayHoldMessages(topic) { timeGuard = KafkaTimeGuard() }
    }

    /// Learns (or creates) both topics before the first message, once per target: a message to
    /// a topic the producer has not seen waits up to a second for librdkafka's scan of unknown
    /// topics.
    private func warmUpTopics() {
        guard !topicsWarm, let producer else { return }
        partitionCount = producer.partitionCount(topic: topic, timeout: .seconds(5))
        producer.warmUp(topic: KafkaTarget.stateTopic(topic), timeout: .seconds(5))
        topicsWarm = true
    }

    func publishedVersion() throws -> Int64? {
        if let known = knownState { return known?.version }
        let state = try readState()
        knownState = .some(state)
        return state?.version
    }

    func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
        guard let layout, !isClosed else { preconditionFailure("KafkaTarget.publish before prepare or after close") }
        let producer = try liveProducer()
        held.append(rows)
        guard let version else { return PublishCounts() }
        let chunks = held
        held = []
        warmUpTopics()
        let headers = KafkaHeaders([
            ("fs_source_table", Array(layout.sourcePath.utf8)), ("fs_source_table_id", Array(layout.sourceTableId.utf8)),
            ("fs_source_version", Array(String(version).utf8)),
        ])
        let keyCount = layout.keyColumns.count
        let encoder = KafkaMessageEncoder(schema: layout.schema, keyCount: keyCount)
        var times = try timeGuard ?? readTimeGuard(timeColumn: layout.timeColumn)
        timeGuard = nil  // moved out (no copy of its tables), unknown until the flush confirms every message
        // An empty topic: a first load, every row is new (at most one per key in a publish).
        let isFirstLoad = times.count == 0
        var produced = 0, skipped = 0
        let handle = try producer.topic(topic)
        for chunk in chunks {
            let timeColumn = chunk.columns[keyCount]
            // Partition by partition, to the partition the producer's partitioner would pick
            // (so librdkafka does not hash each key again).
            var order: PartitionOrder? = nil
            if let partitioner = producer.partitioner, let partitionCount {
                order = encoder.partitionOrder(of: chunk, partitioner: partitioner, partitionCount: partitionCount)
            }
            let partitions = order?.partitions ?? []
            var row = 0
            try encoder.forEachMessage(in: chunk, order: order?.rows, admit: { i, key in
                row = i
                if isFirstLoad { return true }
                guard let time = KafkaTimeGuard.Time(timeColumn, row: i) else { return true }
                if times.admit(key: key.assumingMemoryBound(to: UInt8.self), time: time) { return true }
                skipped += 1
                return false
            }) { key, value in
                let partition = partitions.isEmpty || partitions[row] < 0 ? nil : partitions[row]
                try producer.produce(to: handle, partition: partition, key: key, value: value, headers: headers)
                produced += 1
            }
        }
        try producer.flush(timeout: flushTimeout)
        timeGuard = isFirstLoad ? nil : times
        let state = KafkaPublishState(targetTable: topic, sourceTableId: layout.sourceTableId, sourcePath: layout.sourcePath,
                                      version: version, keyColumns: layout.keyColumns.map(\.name), timeColumn: layout.timeColumn.name,
                                      updatedAt: formatISO8601(micros: clock.nowMicros()))
        knownState = nil  // unknown until the state record is confirmed
        try producer.produce(topic: KafkaTarget.stateTopic(topic), partition: 0, key: Array(topic.utf8), value: Array(state.json.description.utf8))
        try producer.flush(timeout: flushTimeout)
        knownState = .some(state)
        return PublishCounts(upserted: produced, skippedAsOlder: skipped)
    }

    func close() {
        isClosed = true
        producer = nil
        held = []
        knownState = nil
        timeGuard = nil
    }

    /// The last record of the state topic, nil when the topic does not exist or is empty.
    func readState() throws -> KafkaPublishState? {
        if !mayHoldMessages(KafkaTarget.stateTopic(topic), partitions: [0]) { return nil }
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(
            bootstrapServers: brokers, groupId: "fs-publish-state", settings: client.settings))
        defer { consumer.close() }
        let tp = TopicPartition(topic: KafkaTarget.stateTopic(topic), partition: 0)
        guard let marks = try KafkaTarget.watermarksIfTopicExists(consumer, tp), marks.high > marks.low else { return nil }
        try consumer.assign([TopicPartitionOffset(topic: tp.topic, partition: 0, offset: marks.high - 1)])
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline {
            let batch = try consumer.poll(maxMessages: 10, timeout: .milliseconds(200))
            if let e = batch.errors.first, !e.isRetriable { throw e }
            if batch.count > 0 {
                let text = batch.withValue(batch.count - 1) { String(decoding: $0, as: UTF8.self) }
                guard let state = KafkaPublishState(json: text) else {
                    throw PublishError.schemaMismatch(output: topic, reason: "the last record of \(tp.topic) is not an fs publish state: \(text.prefix(200))")
                }
                return state
            }
        }
        throw KafkaError.timedOut(context: "reading the publish state from \(tp.topic) (offset \(marks.high - 1))")
    }

    /// Whether `topic` may hold messages, asked through the producer: false when the broker
    /// does not know the topic or every partition's watermarks are equal (a first publish then
    /// starts no consumer — a client of its own with threads and connections, about 10 ms each
    /// for the state and the guard, measured with strace); true when a partition holds messages
    /// or a query failed, and the consumer path decides as before.
    private func mayHoldMessages(_ topic: String, partitions known: [Int32]? = nil) -> Bool {
        guard let producer = try? liveProducer() else { return true }
        func isUnknown(_ e: KafkaError) -> Bool {
            e.name == "UNKNOWN_TOPIC_OR_PART" || e.name == "_UNKNOWN_TOPIC" || e.name == "_UNKNOWN_PARTITION"
        }
        let ids: [Int32]
        if let known { ids = known } else {
            switch Result(catching: { () throws(KafkaError) in try producer.partitions(topic: topic, timeout: .seconds(10)) }) {
            case .success(let p): ids = p
            case .failure(let e): return !isUnknown(e)
            }
        }
        for p in ids {
            switch Result(catching: { () throws(KafkaError) in try producer.watermarks(TopicPartition(topic: topic, partition: p), timeout: .seconds(10)) }) {
            case .success(let marks): if marks.high > marks.low { return true }
            case .failure(let e): if !isUnknown(e) { return true }
            }
        }
        return false
    }

    /// The partition's watermarks; nil when the topic does not exist (nothing published yet).
    private static func watermarksIfTopicExists(_ consumer: KafkaConsumer, _ tp: TopicPartition) throws -> (low: Int64, high: Int64)? {
        let result: Result<(low: Int64, high: Int64), KafkaError> = Result { () throws(KafkaError) in try consumer.watermarks(tp, timeout: .seconds(10)) }
        switch result {
        case .success(let marks): return marks
        case .failure(let error) where error.name == "UNKNOWN_TOPIC_OR_PART" || error.name == "_UNKNOWN_PARTITION": return nil
        case .failure(let error): throw error
        }
    }

    /// The newest `timeColumn` value per message key in the topic, read from the beginning of
    /// every partition to its current end (once per target: a compacted topic holds about one
    /// message per key). A message that is not an fs JSON object is ignored.
    func readTimeGuard(timeColumn: Field) throws -> KafkaTimeGuard {
        if !mayHoldMessages(topic) { return KafkaTimeGuard() }
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(
            bootstrapServers: brokers, groupId: "fs-publish-guard", settings: client.settings))
        defer { consumer.close() }
        var times = KafkaTimeGuard()
        let ids: [Int32]
        switch Result(catching: { () throws(KafkaError) in try consumer.partitions(topic: topic, timeout: .seconds(10)) }) {
        case .success(let p): ids = p
        case .failure(let e) where e.name == "UNKNOWN_TOPIC_OR_PART" || e.name == "_UNKNOWN_TOPIC": return times
        case .failure(let e): throw e
        }
        var ends: [Int32: Int64] = [:]
        var assignment: [TopicPartitionOffset] = []
        for p in ids {
            let marks = try consumer.watermarks(TopicPartition(topic: topic, partition: p), timeout: .seconds(10))
            if marks.high > marks.low {
                ends[p] = marks.high
                assignment.append(TopicPartitionOffset(topic: topic, partition: p, offset: marks.low))
            }
        }
        guard !assignment.isEmpty else { return times }
        try consumer.assign(assignment)
        var next: [Int32: Int64] = [:]
        let clock = ContinuousClock()
        var deadline = clock.now + .seconds(30)
        while ends.contains(where: { (next[$0.key] ?? 0) < $0.value }) {
            guard clock.now < deadline else { throw KafkaError.timedOut(context: "reading \(topic) for the time guard") }
            let batch = try consumer.poll(maxMessages: 10_000, timeout: .milliseconds(200))
            if batch.count > 0 { deadline = clock.now + .seconds(30) }
            for i in 0..<batch.count {
                next[batch.partition(i)] = batch.offset(i) + 1
                guard let key = batch.withKey(i, { $0.map { Array($0) } }),
                      let object = try? batch.withValue(i, { try JSONValue.parse(String(decoding: $0, as: UTF8.self)) }),
                      let json = object[timeColumn.name], let time = KafkaTimeGuard.Time(json: json, type: timeColumn.type) else { continue }
                _ = times.admit(key: key, time: time)
            }
        }
        return times
    }

    /// The message key of one row's key values (see the type's comment).
    static func encodeKey(_ values: [Value]) -> String {
        if values.count == 1 {
            if case .string(let s) = values[0] { return s }
            return json(values[0]).description
        }
        return JSONValue.array(values.map(json)).description
    }

    /// The message value: a JSON object of the row, columns in schema order.
    static func encodeValue(_ row: [Value], schema: Schema) -> String {
        JSONValue.object(zip(schema.fields, row).map { ($0.name, json($1)) }).description
    }

    static func json(_ v: Value) -> JSONValue {
        switch v {
        case .null: return .null
        case .boolean(let b): return .bool(b)
        case .int32(let i): return .int(Int64(i))
        case .int64(let i): return .int(i)
        case .double(let d): return d.isFinite ? .double(d) : .null
        case .string(let s): return .string(s)
        case .date(let days): return .string(formatDate(days: days))
        case .timestamp(let micros): return .string(formatISO8601(micros: micros))
        }
    }
}

/// The record of the state topic: the same fields as SQL stores' `fs_publish_state` row.
struct KafkaPublishState: Equatable {
    var targetTable: String
    var sourceTableId: String
    var sourcePath: String
    var version: Int64
    var keyColumns: [String]
    var timeColumn: String
    var updatedAt: String

    var json: JSONValue {
        .object([
            ("target_table", .string(targetTable)), ("source_table_id", .string(sourceTableId)), ("source_path", .string(sourcePath)),
            ("version", .int(version)), ("key_columns", .array(keyColumns.map(JSONValue.string))), ("time_column", .string(timeColumn)),
            ("updated_at", .string(updatedAt)),
        ])
    }

    init(targetTable: String, sourceTableId: String, sourcePath: String, version: Int64, keyColumns: [String], timeColumn: String, updatedAt: String) {
        self.targetTable = targetTable
        self.sourceTableId = sourceTableId
        self.sourcePath = sourcePath
        self.version = version
        self.keyColumns = keyColumns
        self.timeColumn = timeColumn
        self.updatedAt = updatedAt
    }

    init?(json text: String) {
        guard let j = try? JSONValue.parse(text), let t = j["target_table"]?.stringValue, let id = j["source_table_id"]?.stringValue,
              let p = j["source_path"]?.stringValue, let v = j["version"]?.int64Value, let keys = j["key_columns"]?.arrayValue,
              let time = j["time_column"]?.stringValue else { return nil }
        self.init(targetTable: t, sourceTableId: id, sourcePath: p, version: v, keyColumns: keys.compactMap(\.stringValue),
                  timeColumn: time, updatedAt: j["updated_at"]?.stringValue ?? "")
    }
}
