/// The messages of one `KafkaConsumer.poll`, copied out of librdkafka into one contiguous byte
/// buffer (keys and values back to back) plus parallel arrays of coordinates.
///
/// Why: librdkafka's messages must be destroyed promptly (they pin fetch buffers), and one buffer
/// per poll means no allocation per message; parsers read values through `withValue` as
/// `UnsafeRawBufferPointer`s into that buffer.
public struct MessageBatch: Sendable {
    /// Number of messages.
    public var count: Int { offsets.count }
    /// Non-fatal errors librdkafka reported during the poll (broker down, partition errors);
    /// the caller logs them. Partition-end events are not errors: see `reachedEnd`.
    public var errors: [KafkaError] = []
    /// Partitions whose end was reached during this poll (only when `enable.partition.eof=true`),
    /// with the offset of the next message that will arrive.
    public var reachedEnd: [TopicPartitionOffset] = []

    var bytes: [UInt8] = []
    var topics: [String] = []
    var topicIndexes: [UInt16] = []
    var partitions: [Int32] = []
    var offsets: [Int64] = []
    var timestamps: [Int64] = []  // -1: none
    var keyStarts: [Int] = []
    var keyLengths: [Int] = []    // -1: null key
    var valueStarts: [Int] = []
    var valueLengths: [Int] = []

    /// An empty batch (a poll that timed out is an expected outcome, not an error).
    public init() {}

    /// The topic of message `i`.
    public func topic(_ i: Int) -> String { topics[Int(topicIndexes[i])] }
    /// The partition of message `i`.
    public func partition(_ i: Int) -> Int32 { partitions[i] }
    /// The offset of message `i` (resume from `offset + 1`).
    public func offset(_ i: Int) -> Int64 { offsets[i] }
    /// The message's timestamp (create or log-append time), ms since the epoch, nil if absent.
    public func timestampMillis(_ i: Int) -> Int64? { timestamps[i] < 0 ? nil : timestamps[i] }

    /// Calls `body` with message `i`'s key bytes, or nil for a message without a key.
    /// The pointer is valid only inside `body`.
    public func withKey<R>(_ i: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        let length = keyLengths[i]
        if length < 0 { return try body(nil) }
        return try bytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[keyStarts[i] ..< keyStarts[i] + length]))
        }
    }

    /// Calls `body` with message `i`'s value bytes (empty for a null value).
    /// The pointer is valid only inside `body`.
    public func withValue<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[valueStarts[i] ..< valueStarts[i] + valueLengths[i]]))
        }
    }

    /// Calls `body` once with the whole byte buffer, for loops over many messages without
    /// re-entering `withUnsafeBytes` per message; slice it with `valueRange(i)` / `keyRange(i)`.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    /// Byte range of message `i`'s value inside the buffer of `withBytes`.
    public func valueRange(_ i: Int) -> Range<Int> { valueStarts[i] ..< valueStarts[i] + valueLengths[i] }
    /// Byte range of message `i`'s key inside the buffer of `withBytes`, nil for no key.
    public func keyRange(_ i: Int) -> Range<Int>? { keyLengths[i] < 0 ? nil : keyStarts[i] ..< keyStarts[i] + keyLengths[i] }

    /// Appends one message (copying its bytes); used by the consumer's poll loop.
    mutating func append(topic: String, partition: Int32, offset: Int64, timestampMillis: Int64,
                         key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer) {
        let index: Int
        if let last = topicIndexes.last, topics[Int(last)] == topic {
            index = Int(last)
        } else if let found = topics.firstIndex(of: topic) {
            index = found
        } else {
            index = topics.count
            topics.append(topic)
        }
        topicIndexes.append(UInt16(truncatingIfNeeded: index))
        partitions.append(partition)
        offsets.append(offset)
        timestamps.append(timestampMillis)
        if let key {
            keyStarts.append(bytes.count)
            keyLengths.append(key.count)
            bytes.append(contentsOf: key)
        } else {
            keyStarts.append(bytes.count)
            keyLengths.append(-1)
        }
        valueStarts.append(bytes.count)
        valueLengths.append(value.count)
        bytes.append(contentsOf: value)
    }

    /// Empties the batch for the next poll, keeping its buffers: a consumer polling in a loop
    /// then copies each message into memory that is already mapped, instead of faulting in a
    /// fresh multi-megabyte buffer per poll (`KafkaConsumer.poll(into:maxMessages:timeout:)`).
    public mutating func removeAll() {
        errors.removeAll(keepingCapacity: true); reachedEnd.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true); topics.removeAll(keepingCapacity: true)
        topicIndexes.removeAll(keepingCapacity: true); partitions.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true); timestamps.removeAll(keepingCapacity: true)
        keyStarts.removeAll(keepingCapacity: true); keyLengths.removeAll(keepingCapacity: true)
        valueStarts.removeAll(keepingCapacity: true); valueLengths.removeAll(keepingCapacity: true)
    }

    /// Pre-sizes the arrays for `messages` messages of about `bytes` bytes in total.
    mutating func reserve(messages: Int, bytes byteCount: Int) {
        topicIndexes.reserveCapacity(messages); partitions.reserveCapacity(messages)
        offsets.reserveCapacity(messages); timestamps.reserveCapacity(messages)
        keyStarts.reserveCapacity(messages); keyLengths.reserveCapacity(messages)
        valueStarts.reserveCapacity(messages); valueLengths.reserveCapacity(messages)
        bytes.reserveCapacity(byteCount)
    }
}
