import FSCore
import FSKafka
import FSStreams
import FSTable

/// Refills the dedup windows of newly owned partitions from the rows already in the table, so a
/// restart (or a partition moving between processes) drops the same duplicates an uninterrupted
/// run would.
///
/// Bounded: only files that may hold a row inside some partition's window are opened. The window
/// is counted in offsets, not in time (the status stream's events are not time-ordered, so the
/// date partitions say nothing about it), and every data file has Delta statistics on
/// `fs_topic`, `fs_partition` and `fs_offset`; the scan predicate is
///
/// ```
///   OR over the partitions (t, p) being refilled, each committed up to offset txn:
///       fs_topic = t AND fs_partition = p AND fs_offset > txn - window
/// ```
/// so the files of old micro-batches are skipped by their `fs_offset` maximum without being
/// opened, and the cost of a start no longer grows with the table.
struct DedupRefill {
    /// The dedup key column (`key` or a payload field).
    let keyColumn: String
    /// Keys remembered per partition (`--dedup-window`).
    let window: Int

    /// The scan predicate for `committed` (each partition's last offset in the table); nil when
    /// no partition has anything committed (nothing to read).
    func predicate(_ committed: [TopicPartition: Int64]) -> ScanPredicate? {
        let terms = committed.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }.map { tp, txn in
            ScanPredicate.and([
                .compare(column: "fs_topic", op: .equal, value: .string(tp.topic)),
                .compare(column: "fs_partition", op: .equal, value: .int32(tp.partition)),
                .compare(column: "fs_offset", op: .greater, value: .int64(txn - Int64(window))),
            ])
        }
        return terms.isEmpty ? nil : .or(terms)
    }

    /// The scan that reads the window rows of `committed` from the table at `path`.
    func scan(table path: String, _ committed: [TopicPartition: Int64]) throws -> TableScan? {
        guard let p = predicate(committed) else { return nil }
        return try TableScan.open(path, columns: ["fs_topic", "fs_partition", "fs_offset", keyColumn], predicate: p)
    }

    /// The refilled windows (only for partitions with rows in their window) and what the scan read.
    func windows(table path: String, _ committed: [TopicPartition: Int64]) throws -> (windows: [TopicPartition: DedupWindow], metrics: ScanMetrics) {
        guard var scan = try scan(table: path, committed) else { return ([:], ScanMetrics()) }
        var recent: [TopicPartition: [(Int64, String)]] = [:]
        try scan.forEachBatch { batch in
            guard let topics = batch.column(named: "fs_topic")?.strings, let parts = batch.column(named: "fs_partition")?.int32s,
                  let offsets = batch.column(named: "fs_offset")?.int64s, let keys = batch.column(named: keyColumn) else { return }
            for i in 0..<batch.rowCount where !keys.isNull(i) {
                let tp = TopicPartition(topic: topics[i], partition: parts[i])
                guard let txn = committed[tp], offsets[i] > txn - Int64(window), offsets[i] <= txn else { continue }
                if case .string(let k) = keys[i] { recent[tp, default: []].append((offsets[i], k)) }
            }
        }
        var out: [TopicPartition: DedupWindow] = [:]
        for (tp, rows) in recent {
            var w = DedupWindow(capacity: window)
            for (_, k) in rows.sorted(by: { $0.0 < $1.0 }) {
                var k = k
                _ = k.withUTF8 { w.checkAndInsert($0) }
            }
            out[tp] = w
        }
        return (out, scan.metrics)
    }
}
