import FSCore
import FSKafka

/// fs-ingest's `--metrics-file` content (README "Metrics"): the run's counters — the same numbers
/// as the `--summary` at exit — and per-partition lag, every family labelled with the stream type.
struct IngestMetrics {
    /// One assigned partition's position: next offset to read and the last high watermark seen.
    struct Position {
        var topicPartition: TopicPartition
        var next: Int64?
        var high: Int64?
    }

    var summary: IngestSummary
    /// Writer-thread seconds spent committing (data + quarantine), over `summary.batches` commits.
    var commitSeconds: Double
    var positions: [Position]
    /// When the last batch committed (µs UTC), nil before the first.
    var lastCommitMicros: Int64?

    var families: [MetricFamily] {
        let st = [("stream_type", summary.streamType)]
        func counter(_ name: String, _ help: String, _ value: Int) -> MetricFamily {
            MetricFamily(name, .counter, help: help, labels: st, value: Double(value))
        }
        var quarantined = MetricFamily("fs_ingest_quarantined_total", .counter, help: "Messages written to the quarantine table, by reason.")
        for reason in summary.reasons.keys.sorted() { quarantined.add(Double(summary.reasons[reason]!), st + [("reason", reason)]) }
        if summary.reasons.isEmpty { quarantined.add(0, st + [("reason", "none")]) }
        let commit = MetricFamily("fs_ingest_commit_seconds", .summary, help: "Time to commit a micro-batch (write out files, fsync, log entry).", samples: [
            .init(suffix: "_sum", labels: st, value: commitSeconds), .init(suffix: "_count", labels: st, value: Double(summary.batches)),
        ])
        var lag = MetricFamily("fs_ingest_consumer_lag", .gauge, help: "Messages in the partition after the next offset to read (high watermark - next offset).")
        var next = MetricFamily("fs_ingest_next_offset", .gauge, help: "Next offset to read of the partition (everything before it is committed or in flight).")
        for p in positions.sorted(by: { ($0.topicPartition.topic, $0.topicPartition.partition) < ($1.topicPartition.topic, $1.topicPartition.partition) }) {
            let labels = st + [("topic", p.topicPartition.topic), ("partition", String(p.topicPartition.partition))]
            if let h = p.high { lag.add(Double(max(0, h - (p.next ?? 0))), labels) }
            if let n = p.next { next.add(Double(n), labels) }
        }
        var out = [
            counter("fs_ingest_messages_total", "Kafka messages consumed (rows + quarantined + duplicates).", summary.messages),
            counter("fs_ingest_rows_total", "Rows committed to the ingestion table.", summary.rows),
            counter("fs_ingest_bytes_total", "Payload bytes of the messages consumed.", summary.bytes),
            counter("fs_ingest_batches_total", "Micro-batches committed.", summary.batches),
            quarantined,
            counter("fs_ingest_duplicates_total", "Messages dropped as duplicates of --dedup-key.", summary.duplicates),
            commit, lag, next,
        ]
        if let t = lastCommitMicros {
            out.append(MetricFamily("fs_ingest_last_commit_timestamp_seconds", .gauge, help: "When the last micro-batch committed (Unix time).",
                                    labels: st, value: Double(t) / 1e6))
        }
        return out
    }
}
