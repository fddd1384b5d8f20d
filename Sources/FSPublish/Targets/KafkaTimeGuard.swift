import FSCore

/// The Kafka target's time guard: the newest time column value published per message key, so a
/// row not newer than what its key already holds in the topic is not sent again.
///
/// Keys are the message key bytes (a `KeyTable` slot, no `String` per row); times are `Time`
/// values, plain integers for every time column type but strings. The previous guard, a
/// `[String: JSONValue]` filled per message, was about 15 % of a 50k-row publish's main thread
/// (one `String`, one enum box and the dictionary's hashing and resizes per row, measured with
/// `perf record`).
struct KafkaTimeGuard {
    /// A time column value in an order that compares like the column: timestamps (µs), dates
    /// (days) and integers as themselves, doubles by an order-preserving bit pattern, strings as
    /// text. One guard holds one column's times, so the cases never mix.
    enum Time: Comparable {
        case ordinal(Int64)
        case text(String)

        /// The time of row `i` of a time column; nil when NULL or NaN (such rows are never published).
        init?(_ column: Column, row i: Int) {
            if column.isNull(i) { return nil }
            switch column.values {
            case .int32(let v): self = .ordinal(Int64(v[i]))
            case .int64(let v): self = .ordinal(v[i])
            case .double(let v):
                guard let t = Time(double: v[i]) else { return nil }
                self = t
            case .string(let v): self = .text(v.withUTF8(i) { String(decoding: $0, as: UTF8.self) })
            case .boolean: return nil
            }
        }

        /// The time a published message carries in its JSON value for a column of `type` (as
        /// `KafkaMessageEncoder` wrote it); nil when absent, null or not of that type.
        init?(json: JSONValue, type: DataType) {
            switch type {
            case .timestamp:
                guard let s = json.stringValue, let micros = parseTimestamp(s) else { return nil }
                self = .ordinal(micros)
            case .date:
                guard let s = json.stringValue, let days = parseDate(s) else { return nil }
                self = .ordinal(Int64(days))
            case .int32, .int64:
                guard let n = json.int64Value else { return nil }
                self = .ordinal(n)
            case .double:
                guard let d = json.doubleValue, let t = Time(double: d) else { return nil }
                self = t
            case .string:
                guard let s = json.stringValue else { return nil }
                self = .text(s)
            case .boolean:
                return nil
            }
        }

        /// A double as an integer of the same order: the sign bit flipped for positives, every
        /// bit flipped for negatives (IEEE 754 magnitudes order like their bit patterns); -0.0
        /// is 0.0. nil for NaN.
        private init?(double d: Double) {
            if d.isNaN { return nil }
            let bits = Int64(bitPattern: (d == 0 ? 0.0 : d).bitPattern)
            self = .ordinal(bits < 0 ? bits ^ Int64.max : bits)
        }
    }

    private var keys = KeyTable()
    private var times: [Time] = []

    /// Keys with a known time.
    var count: Int { times.count }

    /// Whether `time` is after the newest time known for `key`; if so (or the key is new) it
    /// becomes the key's time. An equal time is not newer: that row was published already.
    mutating func admit(key: UnsafeBufferPointer<UInt8>, time: Time) -> Bool {
        let (slot, isNew) = keys.slot(utf8: key)
        if isNew {
            times.append(time)
            return true
        }
        guard time > times[slot] else { return false }
        times[slot] = time
        return true
    }

    /// `admit` for a key given as bytes in an array.
    mutating func admit(key: [UInt8], time: Time) -> Bool {
        key.withUnsafeBufferPointer { admit(key: $0, time: time) }
    }
}
