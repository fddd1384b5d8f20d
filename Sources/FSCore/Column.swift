/// The concrete storage of one column. One case per physical layout, so hot loops switch once
/// per column and then run over a plain Swift array.
///
/// `date` columns use `.int32` (days), `timestamp` columns `.int64` (µs UTC). Slots under a NULL
/// hold a placeholder (0, false, empty string) that must not be read as data.
public enum ColumnValues: Sendable, Hashable {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case double([Double])
    case string(StringArray)

    public var count: Int {
        switch self {
        case .boolean(let v): return v.count
        case .int32(let v): return v.count
        case .int64(let v): return v.count
        case .double(let v): return v.count
        case .string(let v): return v.count
        }
    }

    /// Empty storage for `type`.
    public static func empty(for type: DataType) -> ColumnValues {
        switch type {
        case .boolean: return .boolean([])
        case .int32, .date: return .int32([])
        case .int64, .timestamp: return .int64([])
        case .double: return .double([])
        case .string: return .string(StringArray())
        }
    }
}

/// One column of a batch: a type, its values and an optional validity bitmap.
public struct Column: Sendable, Hashable {
    public var type: DataType
    public var values: ColumnValues
    /// nil means "no NULLs"; otherwise one bit per row, set = present.
    public var validity: Validity?
    /// Row codes of a string column whose producer interned its values (see `DictionaryHint`);
    /// an encoding shortcut only, so it takes no part in equality or hashing.
    public var dictionaryHint: DictionaryHint?

    public init(type: DataType, values: ColumnValues, validity: Validity? = nil) {
        precondition(validity == nil || validity!.count == values.count, "validity length \(validity!.count) != \(values.count) values")
        self.type = type
        self.values = values
        self.validity = validity
    }

    public static func == (a: Column, b: Column) -> Bool {
        a.type == b.type && a.values == b.values && a.validity == b.validity
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(values)
        hasher.combine(validity)
    }

    public var count: Int { values.count }
    public var nullCount: Int { validity?.nullCount ?? 0 }
    public var hasNulls: Bool { nullCount > 0 }

    @inlinable
    public func isNull(_ i: Int) -> Bool { validity.map { !$0.isValid(i) } ?? false }

    // Typed views; nil when the storage is of another kind.
    public var booleans: [Bool]? { if case .boolean(let v) = values { return v }; return nil }
    public var int32s: [Int32]? { if case .int32(let v) = values { return v }; return nil }
    public var int64s: [Int64]? { if case .int64(let v) = values { return v }; return nil }
    public var doubles: [Double]? { if case .double(let v) = values { return v }; return nil }
    public var strings: StringArray? { if case .string(let v) = values { return v }; return nil }

    /// Row i as a `Value` (slow path: tests, statistics, printing).
    public subscript(i: Int) -> Value {
        if isNull(i) { return .null }
        switch (type, values) {
        case (.boolean, .boolean(let v)): return .boolean(v[i])
        case (.date, .int32(let v)): return .date(v[i])
        case (_, .int32(let v)): return .int32(v[i])
        case (.timestamp, .int64(let v)): return .timestamp(v[i])
        case (_, .int64(let v)): return .int64(v[i])
        case (_, .double(let v)): return .double(v[i])
        case (_, .string(let v)): return .string(v[i])
        case (_, .boolean(let v)): return .boolean(v[i])
        }
    }

    /// Builds a column from values (slow path). Values must match `type` or be `.null`;
    /// ints widen to the column's int width, numbers to double.
    public init(_ type: DataType, _ items: [Value]) {
        var b = ColumnBuilder(type: type, capacity: items.count)
        for v in items { b.append(v) }
        self = b.finish()
    }

    /// Rows `indices`, in that order.
    public func gather(_ indices: [Int]) -> Column {
        let vals: ColumnValues
        switch values {
        case .boolean(let v): vals = .boolean(indices.map { v[$0] })
        case .int32(let v): vals = .int32(indices.map { v[$0] })
        case .int64(let v): vals = .int64(indices.map { v[$0] })
        case .double(let v): vals = .double(indices.map { v[$0] })
        case .string(let v): vals = .string(v.gather(indices))
        }
        let val = validity.map { bm in Validity(indices.map { bm.isValid($0) }) }
        return Column(type: type, values: vals, validity: val)
    }

    /// The rows of `parts`, in order. All parts must have the storage of `type`.
    public static func concatenate(_ parts: [Column], type: DataType) -> Column {
        let total = parts.reduce(0) { $0 + $1.count }
        var values = ColumnValues.empty(for: type)
        switch values {
        case .boolean(var a):
            a.reserveCapacity(total)
            for p in parts { a.append(contentsOf: p.booleans ?? []) }
            values = .boolean(a)
        case .int32(var a):
            a.reserveCapacity(total)
            for p in parts { a.append(contentsOf: p.int32s ?? []) }
            values = .int32(a)
        case .int64(var a):
            a.reserveCapacity(total)
            for p in parts { a.append(contentsOf: p.int64s ?? []) }
            values = .int64(a)
        case .double(var a):
            a.reserveCapacity(total)
            for p in parts { a.append(contentsOf: p.doubles ?? []) }
            values = .double(a)
        case .string(var a):
            a.reserveCapacity(rows: total, bytes: parts.reduce(0) { $0 + ($1.strings?.bytes.count ?? 0) })
            for p in parts { if let s = p.strings { a.append(contentsOf: s) } }
            values = .string(a)
        }
        precondition(values.count == total, "concatenate: a part's storage does not match \(type)")
        var validity: Validity? = nil
        if parts.contains(where: { $0.validity != nil }) {
            var v = Validity()
            v.reserveCapacity(total)
            for p in parts {
                if let pv = p.validity { v.append(contentsOf: pv) } else { for _ in 0..<p.count { v.append(true) } }
            }
            validity = v
        }
        return Column(type: type, values: values, validity: validity)
    }

    /// A column of `count` NULLs.
    public static func nulls(_ type: DataType, count: Int) -> Column {
        var b = ColumnBuilder(type: type, capacity: count)
        for _ in 0..<count { b.appendNull() }
        return b.finish()
    }
}

/// Appends values to a column; creates the validity bitmap only when a NULL arrives.
public struct ColumnBuilder: Sendable {
    public let type: DataType
    private var values: ColumnValues
    private var validity: Validity?
    private var count = 0

    /// - Parameters:
    ///   - capacity: rows to reserve room for.
    ///   - stringBytes: for string columns, the UTF-8 bytes to reserve (nil: 16 per row). A
    ///     builder refilled chunk after chunk passes what the last chunk held, so long strings
    ///     do not regrow (and copy) the byte buffer from a guess.
    public init(type: DataType, capacity: Int = 0, stringBytes: Int? = nil) {
        self.type = type
        switch type {
        case .boolean: var a = [Bool](); a.reserveCapacity(capacity); values = .boolean(a)
        case .int32, .date: var a = [Int32](); a.reserveCapacity(capacity); values = .int32(a)
        case .int64, .timestamp: var a = [Int64](); a.reserveCapacity(capacity); values = .int64(a)
        case .double: var a = [Double](); a.reserveCapacity(capacity); values = .double(a)
        case .string: var a = StringArray(); a.reserveCapacity(rows: capacity, bytes: stringBytes ?? capacity * 16); values = .string(a)
        }
    }

    public var rowCount: Int { count }

    private mutating func markValid() {
        validity?.append(true)
        count += 1
    }

    public mutating func appendNull() {
        if validity == nil { validity = Validity(repeating: true, count: count) }
        validity!.append(false)
        count += 1
        switch values {
        case .boolean(var a): values = .int64([]); a.append(false); values = .boolean(a)
        case .int32(var a): values = .int64([]); a.append(0); values = .int32(a)
        case .int64(var a): values = .int32([]); a.append(0); values = .int64(a)
        case .double(var a): values = .int64([]); a.append(0); values = .double(a)
        case .string(var a): values = .int64([]); a.appendEmpty(); values = .string(a)
        }
    }

    public mutating func append(_ v: Bool) {
        guard case .boolean(var a) = values else { preconditionFailure("append(Bool) to \(type) column") }
        values = .int64([]); a.append(v); values = .boolean(a); markValid()
    }

    public mutating func append(_ v: Int32) {
        guard case .int32(var a) = values else { preconditionFailure("append(Int32) to \(type) column") }
        values = .int64([]); a.append(v); values = .int32(a); markValid()
    }

    public mutating func append(_ v: Int64) {
        guard case .int64(var a) = values else { preconditionFailure("append(Int64) to \(type) column") }
        values = .int32([]); a.append(v); values = .int64(a); markValid()
    }

    public mutating func append(_ v: Double) {
        guard case .double(var a) = values else { preconditionFailure("append(Double) to \(type) column") }
        values = .int64([]); a.append(v); values = .double(a); markValid()
    }

    public mutating func append(_ v: String) {
        guard case .string(var a) = values else { preconditionFailure("append(String) to \(type) column") }
        values = .int64([]); a.append(v); values = .string(a); markValid()
    }

    public mutating func append(utf8 v: UnsafeRawBufferPointer) {
        guard case .string(var a) = values else { preconditionFailure("append(utf8:) to \(type) column") }
        values = .int64([]); a.append(utf8: v); values = .string(a); markValid()
    }

    /// Appends a `Value`, converting between numeric widths where lossless or natural.
    public mutating func append(_ v: Value) {
        switch (type, v) {
        case (_, .null): appendNull()
        case (.boolean, .boolean(let b)): append(b)
        case (.int32, .int32(let x)), (.date, .date(let x)), (.date, .int32(let x)): append(x)
        case (.int32, .int64(let x)): append(Int32(truncatingIfNeeded: x))
        case (.int64, .int64(let x)), (.timestamp, .timestamp(let x)), (.timestamp, .int64(let x)): append(x)
        case (.int64, .int32(let x)): append(Int64(x))
        case (.double, _) where v.asDouble != nil: append(v.asDouble!)
        case (.string, .string(let s)): append(s)
        default: preconditionFailure("cannot append \(v) to a \(type) column")
        }
    }

    public func finish() -> Column {
        Column(type: type, values: values, validity: validity)
    }
}
