import FSCore

/// Limits that turn hostile or broken messages into quarantine rows instead of work.
public struct ParseLimits: Sendable, Hashable {
    /// Messages longer than this go to quarantine as `oversize`.
    public var maxMessageBytes: Int
    /// Arrays/objects nested deeper than this (≤ 64) go to quarantine as `nesting_too_deep`.
    public var maxDepth: Int

    public init(maxMessageBytes: Int = 1 << 20, maxDepth: Int = 32) {
        self.maxMessageBytes = maxMessageBytes
        self.maxDepth = min(max(maxDepth, 1), 64)
    }
}

/// What `EventBatchBuilder.append` did with one message.
public enum AppendOutcome: Sendable, Hashable {
    /// Parsed and appended as one row.
    case appended
    /// Valid, but its dedup key was seen in the window: counted, not written.
    case duplicate
    /// Not appended; the caller writes it to the quarantine table.
    case quarantined(QuarantineReason)
}

/// The value `--dedup-key` compares: the Kafka key or one payload field.
public enum DedupKey: Sendable, Hashable {
    case kafkaKey
    /// Index into `StreamType.fields`.
    case field(Int)
}

extension StreamType {
    /// Resolves a `--dedup-key` name (`key` or a payload field); nil when the stream has no such field.
    public func dedupKey(named name: String) -> DedupKey? {
        if name == "key" { return .kafkaKey }
        return fields.firstIndex(where: { $0.name == name }).map { .field($0) }
    }
}

/// Parses the messages of one micro-batch straight into typed column builders.
///
/// ```
///  bytes ─► size check ─► JSONScanner over the object (UTF-8 checked per string) ─► one Slot per known field
///        ─► type check of every slot (all or nothing) ─► dedup probe ─► append to columns
/// ```
/// A message either becomes exactly one row or a `QuarantineReason`; a bad message never
/// leaves a half-appended row. No `String`, `JSONValue` or array is created per message: slots
/// are reused, strings of string columns are decoded straight into the column's bytes
/// (`StringColumnBuilder`, committed only when the row is), other escaped strings into one
/// scratch buffer, numbers parse in place.
public struct EventBatchBuilder {
    public let streamType: StreamType
    public let limits: ParseLimits
    public let schema: Schema
    private let fields: [StreamField]
    /// `fields`' kinds, read per field and message without copying a field (and its name).
    private let kinds: [FieldKind]
    private let names: FieldNameTable
    private let timeIndex: Int
    private let dedupKey: DedupKey?

    /// The slots and every column but the topic's (see `BatchColumns` for why pointers).
    private var columns: BatchColumns
    /// Per field, its index in `columns.strings` (string and JSON-text fields, ≥ 1: the Kafka
    /// key is 0), or -1 for fields of other types.
    private let stringIndex: [Int]
    /// Per field, its index in `columns.fixed`, or -1 for string and JSON-text fields.
    private let fixedIndex: [Int]
    /// The topic column as runs: the rows since the last change of topic are counted, not
    /// appended one by one (a micro-batch's messages mostly come from one topic).
    private var topicRuns: [(topic: String, rows: Int)] = []
    private var currentTopic = ""
    private var currentTopicRows = 0
    private var scratch: [UInt8] = []
    private var dedupScratch: [UInt8] = []
    /// The decoded text of the current message's escaped strings (see `Slot.decodedStart`).
    private let decoded = DecodedText()

    /// Rows appended since the last `finish`.
    public private(set) var rowCount = 0

    public init(streamType: StreamType, limits: ParseLimits = ParseLimits(), dedupKey: DedupKey? = nil) {
        self.streamType = streamType
        self.limits = limits
        self.schema = streamType.schema
        self.fields = streamType.fields
        self.kinds = fields.map(\.kind)
        self.names = FieldNameTable(names: fields.map(\.name))
        self.timeIndex = fields.firstIndex(where: { $0.name == streamType.timeField }) ?? 0
        self.dedupKey = dedupKey
        var stringIndex: [Int] = [], fixedIndex: [Int] = [], fixedTypes: [DataType] = []
        var stringCount = 1
        for f in fields {
            let isString = f.kind == .string || f.kind == .jsonText
            stringIndex.append(isString ? stringCount : -1)
            fixedIndex.append(isString ? -1 : fixedTypes.count)
            if isString { stringCount += 1 } else { fixedTypes.append(f.kind.dataType) }
        }
        self.stringIndex = stringIndex
        self.fixedIndex = fixedIndex
        self.columns = BatchColumns(slotCount: fields.count, stringCount: stringCount, fixedTypes: fixedTypes, rows: 0, stringBytes: { _ in 0 })
        scratch.reserveCapacity(4096)
        dedupScratch.reserveCapacity(256)
    }

    /// Parses one message and appends it as a row, or says why not. `isDuplicate` is asked,
    /// for valid messages only and when a dedup key is configured and present, whether the
    /// key's bytes were seen before (and should remember them).
    public mutating func append(key keyBytes: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, topic: String, partition: Int32,
                                offset: Int64, isDuplicate: (UnsafeBufferPointer<UInt8>) -> Bool = { _ in false }) -> AppendOutcome {
        let v = value.bindMemory(to: UInt8.self)
        if !isKnownUniquelyReferenced(&columns) { columns = columns.copy() }
        if let reason = parse(v, key: keyBytes) { return .quarantined(reason) }
        if let d = dedupKey, withDedupBytes(d, v, keyBytes, isDuplicate) { return .duplicate }
        appendRow(v, key: keyBytes, topic: topic, partition: partition, offset: offset)
        return .appended
    }

    /// The finished batch; `ingestionMicros` is the micro-batch's single ingestion time. The
    /// builder is empty afterwards and can be reused.
    public mutating func finish(ingestionMicros: Int64) -> RecordBatch {
        if !isKnownUniquelyReferenced(&columns) { columns = columns.copy() }
        let strings = columns.strings, fixed = columns.fixed
        var cols: [Column] = [strings[0].finish()]
        for i in fields.indices { cols.append(stringIndex[i] >= 0 ? strings[stringIndex[i]].finish() : fixed[fixedIndex[i]].finish()) }
        let times = fixed[columns.eventTimeColumn].finish()
        let partitions = fixed[columns.partitionColumn].finish()
        let offsets = fixed[columns.offsetColumn].finish()
        guard case .int64(let eventTimes) = times.values else { preconditionFailure("event times are not Int64s") }
        var y = [Int32](), mo = [Int32](), d = [Int32](), h = [Int32](), mi = [Int32]()
        y.reserveCapacity(rowCount); mo.reserveCapacity(rowCount); d.reserveCapacity(rowCount); h.reserveCapacity(rowCount); mi.reserveCapacity(rowCount)
        for t in eventTimes {
            let f = UTCFields(micros: t)
            y.append(Int32(truncatingIfNeeded: f.date.year)); mo.append(Int32(f.date.month)); d.append(Int32(f.date.day))
            h.append(Int32(f.hour)); mi.append(Int32(f.minute))
        }
        cols.append(Column(type: .int32, values: .int32(y)))
        cols.append(Column(type: .int32, values: .int32(mo)))
        cols.append(Column(type: .int32, values: .int32(d)))
        cols.append(Column(type: .int32, values: .int32(h)))
        cols.append(Column(type: .int32, values: .int32(mi)))
        cols.append(Column(type: .timestamp, values: .int64([Int64](repeating: ingestionMicros, count: rowCount))))
        cols.append(Column(type: .string, values: .string(finishTopics())))
        cols.append(partitions)
        cols.append(offsets)
        let batch = RecordBatch(schema: schema, columns: cols)
        reset()
        return batch
    }

    /// Empties the builder. Its columns reserve room for the largest batch so far themselves
    /// (`StringColumnBuilder.finish`; `FixedColumn` keeps its memory).
    private mutating func reset() {
        rowCount = 0
    }

    /// The topic column from its runs; the runs are empty afterwards.
    private mutating func finishTopics() -> StringArray {
        if currentTopicRows > 0 { topicRuns.append((currentTopic, currentTopicRows)) }
        var topics = StringArray()
        topics.reserveCapacity(rows: rowCount, bytes: topicRuns.reduce(0) { $0 + $1.topic.utf8.count * $1.rows })
        for run in topicRuns {
            var t = run.topic
            t.withUTF8 { u in for _ in 0..<run.rows { topics.append(utf8: UnsafeRawBufferPointer(u)) } }
        }
        topicRuns = []
        currentTopicRows = 0
        return topics
    }

    // MARK: Parse (no side effects on the columns)

    /// The checks in their order of precedence: size, the value's UTF-8, the key's, then JSON
    /// and types. The value's UTF-8 is checked by the scanner, string by string (the only place
    /// a valid message has bytes ≥ 0x80); only a message that fails for another reason is
    /// checked whole, so that invalid UTF-8 anywhere still wins over the other reasons.
    private mutating func parse(_ v: UnsafeBufferPointer<UInt8>, key keyBytes: UnsafeRawBufferPointer?) -> QuarantineReason? {
        if v.isEmpty { return .emptyMessage }
        if v.count > limits.maxMessageBytes { return .oversize(bytes: v.count, limit: limits.maxMessageBytes) }
        let reason = parseObject(v)
        if let reason {
            if case .invalidUTF8 = reason { return reason }
            if let bad = firstInvalidUTF8(v) { return .invalidUTF8(offset: bad) }
        }
        if let k = keyBytes, firstInvalidUTF8(k.bindMemory(to: UInt8.self)) != nil { return .invalidUTF8(offset: -1) }
        return reason
    }

    /// Scans the object into the slots and type-checks them (see `parse` for the UTF-8 check).
    private mutating func parseObject(_ v: UnsafeBufferPointer<UInt8>) -> QuarantineReason? {
        let slots = columns.slots, strings = columns.strings
        for i in 0..<fields.count { slots[i].tag = .absent; slots[i].isInColumn = false }
        decoded.prepare(forMessageBytes: v.count)
        var used = 0
        /// The last known field's index (-1: none yet), whose successor is the next guess.
        var previous = -1
        var s = JSONScanner(v, maxDepth: limits.maxDepth)
        do throws(JSONScanner.Failure) {
            s.skipWhitespace()
            guard s.peek() == 0x7B else {
                _ = try s.scanValue()
                return s.isAtEnd() ? .notAnObject : .invalidJSON(offset: s.index)
            }
            s.index += 1
            s.skipWhitespace()
            if s.peek() == 0x7D {
                s.index += 1
            } else {
                while true {
                    s.skipWhitespace()
                    let f: Int?
                    let guess = names.guess(after: previous)
                    if guess < names.count, s.consumeKey(member: names.member(guess)) {
                        f = guess
                    } else {
                        if guess < names.count, s.consumeKey(names.name(guess)) {
                            f = guess  // the expected key, with whitespace before its colon
                        } else {
                            let k = try s.scanString()
                            f = fieldIndex(v, k.start, k.end, k.hasEscapes)
                            if let f { names.learn(f, after: previous) }
                        }
                        try s.expect(0x3A)
                    }
                    if let f { previous = f }
                    s.skipWhitespace()
                    if let f, s.peek() == 0x22, stringIndex[f] >= 0 {
                        // A string column's string: validated and unescaped in one pass, straight
                        // into the column's tail (committed by `appendRow`).
                        let room = v.count - s.index + 8
                        let t = try strings[stringIndex[f]].withTail(reserving: room) { p in
                            Result { () throws(JSONScanner.Failure) in try s.scanString(decodingInto: p) }
                        }.get()
                        if slots[f].tag != .absent { return .duplicateField(fields[f].name) }
                        slots[f].set(.string(start: t.start, end: t.end, hasEscapes: t.hasEscapes))
                        slots[f].isInColumn = true
                        slots[f].decodedStart = 0
                        slots[f].decodedEnd = t.decodedCount
                    } else if let f, s.peek() == 0x22 {
                        // Another known field's string (a time, a number in quotes): unescaped
                        // into the message's scratch buffer.
                        let t = try s.scanString(decodingInto: decoded.base + used)
                        if slots[f].tag != .absent { return .duplicateField(fields[f].name) }
                        slots[f].set(.string(start: t.start, end: t.end, hasEscapes: t.hasEscapes))
                        if t.hasEscapes {
                            slots[f].decodedStart = used
                            slots[f].decodedEnd = used + t.decodedCount
                            used += t.decodedCount
                        }
                    } else {
                        let token = try s.scanValue()
                        if let f {
                            if slots[f].tag != .absent { return .duplicateField(fields[f].name) }
                            slots[f].set(token)
                        }
                    }
                    s.skipWhitespace()
                    guard let c = s.peek() else { return .invalidJSON(offset: s.index) }
                    s.index += 1
                    if c == 0x7D { break }
                    guard c == 0x2C else { return .invalidJSON(offset: s.index - 1) }
                }
            }
            guard s.isAtEnd() else { return .invalidJSON(offset: s.index) }
        } catch {
            switch error {
            case .tooDeep: return .nestingTooDeep
            case .syntax(let offset): return .invalidJSON(offset: offset)
            case .invalidUTF8(let offset): return .invalidUTF8(offset: offset)
            }
        }
        return typeCheck(v)
    }

    /// The field a key names when it was not the expected one (`FieldNameTable.guess`: producers
    /// keep their field order message after message, so this runs for a message's first keys
    /// and after a change of order).
    private mutating func fieldIndex(_ v: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ escaped: Bool) -> Int? {
        if escaped {
            let n = decodeJSONString(UnsafeBufferPointer(rebasing: v[start..<end]), into: &scratch)
            return scratch.withUnsafeBufferPointer { names.field(named: UnsafeBufferPointer(rebasing: $0[..<n])) }
        }
        return names.field(named: UnsafeBufferPointer(rebasing: v[start..<end]))
    }

    /// Converts every present slot to its column's type, or names the first field that cannot be.
    private mutating func typeCheck(_ v: UnsafeBufferPointer<UInt8>) -> QuarantineReason? {
        let slots = columns.slots
        // Names are read only on the way out: a `String` copied out of `fields` (the time
        // field's name up front, a `StreamField` per field) was a retain and a release each, 21
        // pairs a message (`swift_bridgeObjectRetain`/`Release`, 2.5% of the ingest thread).
        switch slots[timeIndex].tag {
        case .absent: return .missingTimeField(fields[timeIndex].name)
        case .null: return .nullTimeField(fields[timeIndex].name)
        case .string: break
        default: return .wrongType(field: fields[timeIndex].name, expected: "an ISO-8601 string")
        }
        for i in 0..<fields.count {
            let tag = slots[i].tag
            if tag == .absent || tag == .null { continue }
            switch kinds[i] {
            case .string:
                if tag == .array || tag == .object { return .wrongType(field: fields[i].name, expected: "a string") }
            case .jsonText:
                if tag != .array && tag != .string { return .wrongType(field: fields[i].name, expected: "a JSON array or a string") }
            case .boolean:
                if tag == .bool { continue }
                guard tag == .string else { return .wrongType(field: fields[i].name, expected: "a boolean") }
                if slots[i].end == slots[i].start { slots[i].tag = .null; continue }
                let parsed: Bool? = withText(v, i) { t in bytesEqual(t, "true") ? true : (bytesEqual(t, "false") ? false : nil) }
                guard let b = parsed else { return .wrongType(field: fields[i].name, expected: "a boolean") }
                slots[i].flag = b
            case .double:
                guard tag == .number || tag == .string else { return .wrongType(field: fields[i].name, expected: "a number") }
                if tag == .string && slots[i].end == slots[i].start { slots[i].tag = .null; continue }
                guard let d = withText(v, i, parseDouble) else { return .wrongType(field: fields[i].name, expected: "a number") }
                slots[i].number = d
            case .int64:
                guard tag == .number || tag == .string else { return .wrongType(field: fields[i].name, expected: "an integer") }
                if tag == .string && slots[i].end == slots[i].start { slots[i].tag = .null; continue }
                let n: Int64? = withText(v, i) { t in
                    if let x = parseInt64(t) { return x }
                    guard let d = parseDouble(t), d == d.rounded(), abs(d) < 9.2e18 else { return nil }
                    return Int64(d)
                }
                guard let x = n else { return .wrongType(field: fields[i].name, expected: "an integer") }
                slots[i].integer = x
            case .timestamp:
                guard tag == .string else { return .wrongType(field: fields[i].name, expected: "an ISO-8601 string") }
                guard let t = withText(v, i, { parseTimestamp(utf8: $0) }) else {
                    return i == timeIndex ? .unparsableTime(fields[i].name) : .wrongType(field: fields[i].name, expected: "an ISO-8601 timestamp")
                }
                slots[i].integer = t
            }
        }
        return nil
    }

    /// Calls `body` with the decoded text of slot i (string content unescaped, other tokens as written).
    private func withText<R>(_ v: UnsafeBufferPointer<UInt8>, _ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let s = columns.slots[i]
        if s.isInColumn { return columns.strings[stringIndex[i]].withTail(count: s.decodedEnd, body) }
        guard s.tag == .string, s.hasEscapes else { return body(UnsafeBufferPointer(rebasing: v[s.start..<s.end])) }
        return body(decodedText(s))
    }

    /// The unescaped content of an escaped string slot (valid until the next message's parse).
    private func decodedText(_ s: Slot) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: decoded.base + s.decodedStart, count: s.decodedEnd - s.decodedStart)
    }

    private mutating func withDedupBytes(_ d: DedupKey, _ v: UnsafeBufferPointer<UInt8>, _ keyBytes: UnsafeRawBufferPointer?,
                                         _ isDuplicate: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        switch d {
        case .kafkaKey:
            guard let k = keyBytes else { return false }
            return isDuplicate(k.bindMemory(to: UInt8.self))
        case .field(let i):
            let tag = columns.slots[i].tag
            guard tag != .absent, tag != .null else { return false }
            return withText(v, i, isDuplicate)
        }
    }

    // MARK: Append (cannot fail once typeCheck passed)

    private mutating func appendRow(_ v: UnsafeBufferPointer<UInt8>, key keyBytes: UnsafeRawBufferPointer?, topic: String, partition: Int32, offset: Int64) {
        let slots = columns.slots, strings = columns.strings, fixed = columns.fixed
        if let k = keyBytes { strings[0].append(utf8: k) } else { strings[0].appendNull() }
        for i in 0..<fields.count {
            let s = slots[i]
            if s.tag == .absent || s.tag == .null {
                if stringIndex[i] >= 0 { strings[stringIndex[i]].appendNull() } else { fixed[fixedIndex[i]].appendNull() }
                continue
            }
            switch kinds[i] {
            case .string, .jsonText:
                let k = stringIndex[i]
                if s.isInColumn { strings[k].commitRow(count: s.decodedEnd); continue }
                switch s.tag {
                case .bool:
                    let text: StaticString = s.flag ? "true" : "false"
                    strings[k].append(utf8: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
                case .array:
                    appendCompactJSON(UnsafeBufferPointer(rebasing: v[s.start..<s.end]), into: &scratch)
                    scratch.withUnsafeBytes { strings[k].append(utf8: $0) }
                default:
                    // A number written into a string column: its text as written.
                    strings[k].append(utf8: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: v[s.start..<s.end])))
                }
            case .boolean: fixed[fixedIndex[i]].append(s.flag)
            case .double: fixed[fixedIndex[i]].append(s.number)
            case .int64, .timestamp: fixed[fixedIndex[i]].append(s.integer)
            }
        }
        fixed[columns.eventTimeColumn].append(slots[timeIndex].integer)
        fixed[columns.partitionColumn].append(Int64(partition))
        fixed[columns.offsetColumn].append(offset)
        if topic != currentTopic || currentTopicRows == 0 {
            if currentTopicRows > 0 { topicRuns.append((currentTopic, currentTopicRows)) }
            currentTopic = topic
            currentTopicRows = 0
        }
        currentTopicRows += 1
        rowCount += 1
    }
}

@inline(__always)
private func bytesEqual(_ p: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
    guard p.count == word.utf8CodeUnitCount else { return false }
    let w = word.utf8Start
    for i in 0..<p.count where p[i] != w[i] { return false }
    return true
}
