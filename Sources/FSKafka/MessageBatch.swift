import CRdKafka

/// The messages of one `KafkaConsumer.poll`, copied out of librdkafka into one contiguous byte
/// buffer (keys and values back to back) plus parallel arrays of coordinates — or, from a
/// holding poll, kept as librdkafka's own messages until the batch is emptied.
///
/// Why: librdkafka's messages must be destroyed promptly (they pin fetch buffers), and one buffer
/// per poll means no allocation per message; parsers read values through `withValue` as
/// `UnsafeRawBufferPointer`s into that buffer. A loop that parses each poll's messages before
/// the next poll (fs-ingest) holds them instead: the copy was ~2% of its CPU (1.7 GB per 1M
/// orders), and the messages are released at the next poll, a few milliseconds later.
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
    /// Where each key and value starts: an offset into `bytes`, or, for held messages, the
    /// address of librdkafka's key / payload (`Int(bitPattern:)`) — read without touching
    /// `held`, whose retain and release per message took the slow path (it is weakly
    /// referenced by the consumer, so its counts live in a side table).
    var keyStarts: [Int] = []
    var keyLengths: [Int] = []    // -1: null key
    var valueStarts: [Int] = []
    var valueLengths: [Int] = []
    /// The messages of a holding poll, in message order (nil: their bytes are in `bytes`).
    var held: HeldMessages?

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
        if held != nil { return try body(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: keyStarts[i]), count: length)) }
        return try bytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[keyStarts[i] ..< keyStarts[i] + length]))
        }
    }

    /// Calls `body` with message `i`'s value bytes (empty for a null value).
    /// The pointer is valid only inside `body`.
    public func withValue<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if held != nil { return try body(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: valueStarts[i]), count: valueLengths[i])) }
        return try bytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[valueStarts[i] ..< valueStarts[i] + valueLengths[i]]))
        }
    }

    /// Calls `body` once with the whole byte buffer, for loops over many messages without
    /// re-entering `withUnsafeBytes` per message; slice it with `valueRange(i)` / `keyRange(i)`.
    /// Copied batches only (a holding poll's messages are not in one buffer).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(held == nil, "withBytes of a batch that holds librdkafka's messages")
        return try bytes.withUnsafeBytes(body)
    }

    /// Byte range of message `i`'s value inside the buffer of `withBytes` (copied batches only).
    public func valueRange(_ i: Int) -> Range<Int> {
        precondition(held == nil, "valueRange of a batch that holds librdkafka's messages")
        return valueStarts[i] ..< valueStarts[i] + valueLengths[i]
    }
    /// Byte range of message `i`'s key inside the buffer of `withBytes`, nil for no key (copied
    /// batches only).
    public func keyRange(_ i: Int) -> Range<Int>? {
        precondition(held == nil, "keyRange of a batch that holds librdkafka's messages")
        return keyLengths[i] < 0 ? nil : keyStarts[i] ..< keyStarts[i] + keyLengths[i]
    }
    /// Length of message `i`'s value in bytes (0 for a null value).
    public func valueCount(_ i: Int) -> Int { valueLengths[i] }

    /// Appends one message without copying its bytes: the batch now owns `message` and
    /// destroys it when emptied (holding polls).
    mutating func append(holding message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String, timestampMillis: Int64) {
        let m = message.pointee
        appendCoordinates(topic: topic, partition: m.partition, offset: m.offset, timestampMillis: timestampMillis)
        if held == nil { held = HeldMessages() }
        held!.messages.append(message)
        keyStarts.append(Int(bitPattern: m.key))
        keyLengths.append(m.key == nil ? -1 : m.key_len)
        valueStarts.append(Int(bitPattern: m.payload))
        valueLengths.append(m.payload == nil ? 0 : m.len)
    }

    /// Appends one message (copying its bytes); used by the consumer's poll loop.
    mutating func append(topic: String, partition: Int32, offset: Int64, timestampMillis: Int64,
                         key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer) {
        precondition(held == nil, "copying a message into a batch that holds librdkafka's messages")
        appendCoordinates(topic: topic, partition: partition, offset: offset, timestampMillis: timestampMillis)
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

    private mutating func appendCoordinates(topic: String, partition: Int32, offset: Int64, timestampMillis: Int64) {
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
    }

    /// Empties the batch for the next poll, keeping its buffers: a consumer polling in a loop
    /// then copies each message into memory that is already mapped, instead of faulting in a
    /// fresh multi-megabyte buffer per poll (`KafkaConsumer.poll(into:maxMessages:timeout:)`).
    /// A holding batch's messages are destroyed here (or, when a copy of the batch still
    /// refers to them, when the last copy goes).
    public mutating func removeAll() {
        if held != nil {
            if isKnownUniquelyReferenced(&held) { held!.release() } else { held = nil }
        }
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

/// librdkafka messages kept by a holding poll (`KafkaConsumer.poll(into:maxMessages:timeout:holding:)`),
/// destroyed by `release` or when the last batch referring to them goes.
///
/// Invariant that makes `@unchecked Sendable` sound: `messages` is changed only through a batch
/// that references this object uniquely (`MessageBatch.removeAll`, the poll that fills it) or
/// by the consumer's `close` on its polling thread; copies of a batch only read it.
final class HeldMessages: @unchecked Sendable {
    var messages: [UnsafeMutablePointer<rd_kafka_message_t>] = []

    /// Destroys the messages (`rd_kafka_message_destroy`); the object can be filled again.
    func release() {
        for m in messages { rd_kafka_message_destroy(m) }
        messages.removeAll(keepingCapacity: true)
    }

    deinit { release() }
}
