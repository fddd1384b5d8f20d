import FSCore
@testable import FSStreams

/// Parses messages (value, optional key) of one stream into a batch; returns the batch and
/// each message's outcome, in order.
func ingest(_ type: StreamType, _ messages: [(key: String?, value: [UInt8])], limits: ParseLimits = ParseLimits(),
            dedup: DedupKey? = nil, ingestionMicros: Int64 = 1_700_000_000_000_000) -> (RecordBatch, [AppendOutcome]) {
    var b = EventBatchBuilder(streamType: type, limits: limits, dedupKey: dedup)
    var window = DedupWindow(capacity: 1000)
    var outcomes: [AppendOutcome] = []
    for (i, m) in messages.enumerated() {
        let outcome: AppendOutcome = m.value.withUnsafeBytes { v in
            if let k = m.key {
                return Array(k.utf8).withUnsafeBytes { kb in
                    b.append(key: kb, value: v, topic: "de-" + type.rawValue, partition: 3, offset: Int64(100 + i)) { window.checkAndInsert($0) }
                }
            }
            return b.append(key: nil, value: v, topic: "de-" + type.rawValue, partition: 3, offset: Int64(100 + i)) { window.checkAndInsert($0) }
        }
        outcomes.append(outcome)
    }
    return (b.finish(ingestionMicros: ingestionMicros), outcomes)
}

/// One message's outcome (value given as text).
func outcome(_ type: StreamType, _ json: String, limits: ParseLimits = ParseLimits()) -> AppendOutcome {
    ingest(type, [(key: "k", value: Array(json.utf8))], limits: limits).1[0]
}

/// One valid message's row as name → value.
func row(_ type: StreamType, _ json: String, key: String? = "k") -> [String: Value] {
    let (batch, outcomes) = ingest(type, [(key: key, value: Array(json.utf8))])
    guard outcomes == [.appended], batch.rowCount == 1 else { return ["__outcome": .string("\(outcomes)")] }
    var out: [String: Value] = [:]
    for (f, c) in zip(batch.schema.fields, batch.columns) { out[f.name] = c[0] }
    return out
}

func ts(_ text: String) -> Value { parseTimestamp(text).map { .timestamp($0) } ?? .null }
