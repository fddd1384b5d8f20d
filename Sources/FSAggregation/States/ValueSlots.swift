import FSCore

/// One typed value per group (or NULL), for the aggregates whose state *is* an input value:
/// `min`, `max`, `first`, `last`, `max_by`, `min_by`.
///
/// Values live in one array per physical kind — `Int64` for every integer, date, timestamp and
/// boolean; `Double`; UTF-8 bytes for strings — so a group's slot is a plain array element and
/// the typed loops of `ExtremumAccumulator` run without boxing.
public struct ValueSlots: Sendable, Equatable {
    /// The logical type of the stored values (also the result column type).
    public let type: DataType
    @usableFromInline var ints: [Int64] = []
    @usableFromInline var doubles: [Double] = []
    @usableFromInline var strings: [[UInt8]] = []
    /// True where the stored value is NULL (or nothing was stored yet).
    @usableFromInline var isNull: [Bool] = []

    public init(type: DataType) { self.type = type }

    /// The physical kind: 0 integer-like, 1 double, 2 string.
    @usableFromInline var kind: Int {
        switch type {
        case .double: return 1
        case .string: return 2
        default: return 0
        }
    }

    public var count: Int { isNull.count }

    public mutating func resize(_ n: Int) {
        guard n > isNull.count else { return }
        let add = n - isNull.count
        isNull.append(contentsOf: repeatElement(true, count: add))
        switch kind {
        case 0: ints.append(contentsOf: repeatElement(0, count: add))
        case 1: doubles.append(contentsOf: repeatElement(0, count: add))
        default: strings.append(contentsOf: repeatElement([], count: add))
        }
    }

    /// Stores row `row` of `column` (NULL included) into slot `g`.
    @usableFromInline
    mutating func set(_ g: Int, from column: Column, row: Int) {
        if column.isNull(row) { isNull[g] = true; return }
        isNull[g] = false
        switch column.values {
        case .int32(let v): ints[g] = Int64(v[row])
        case .int64(let v): ints[g] = v[row]
        case .boolean(let v): ints[g] = v[row] ? 1 : 0
        case .double(let v): doubles[g] = v[row]
        case .string(let s): strings[g] = s.withUTF8(row) { Array($0) }
        }
    }

    /// Copies slot `og` of `other` into slot `g`.
    @usableFromInline
    mutating func set(_ g: Int, from other: ValueSlots, _ og: Int) {
        isNull[g] = other.isNull[og]
        switch kind {
        case 0: ints[g] = other.ints[og]
        case 1: doubles[g] = other.doubles[og]
        default: strings[g] = other.strings[og]
        }
    }

    /// Spark's ordering of row `row` of `column` against slot `g` (both non-NULL): negative if
    /// the row sorts first. Doubles: NaN above every number, -0.0 equal to 0.0; strings by bytes.
    @usableFromInline
    func compare(_ column: Column, row: Int, toSlot g: Int) -> Int {
        switch column.values {
        case .int32(let v): return compareInts(Int64(v[row]), ints[g])
        case .int64(let v): return compareInts(v[row], ints[g])
        case .boolean(let v): return compareInts(v[row] ? 1 : 0, ints[g])
        case .double(let v): return sparkCompare(v[row], doubles[g])
        case .string(let s):
            return s.withUTF8(row) { a in strings[g].withUnsafeBufferPointer { b in compareBytes(a, b) } }
        }
    }

    /// Spark's ordering of slot `og` of `other` against slot `g` of `self`.
    @usableFromInline
    func compare(_ other: ValueSlots, _ og: Int, toSlot g: Int) -> Int {
        switch kind {
        case 0: return compareInts(other.ints[og], ints[g])
        case 1: return sparkCompare(other.doubles[og], doubles[g])
        default:
            return other.strings[og].withUnsafeBufferPointer { a in strings[g].withUnsafeBufferPointer { b in compareBytes(a, b) } }
        }
    }

    /// Slots as a result column; `isNull` marks NULLs.
    public func column() -> Column {
        let n = count
        let validity: Validity? = isNull.contains(true) ? Validity(isNull.map { !$0 }) : nil
        let values: ColumnValues
        switch type {
        case .int32, .date: values = .int32(ints.map { Int32(truncatingIfNeeded: $0) })
        case .int64, .timestamp: values = .int64(ints)
        case .boolean: values = .boolean(ints.map { $0 != 0 })
        case .double: values = .double(doubles)
        case .string:
            var s = StringArray()
            s.reserveCapacity(rows: n, bytes: strings.reduce(0) { $0 + $1.count })
            for g in 0..<n { s.append(utf8: strings[g]) }
            values = .string(s)
        }
        return Column(type: type, values: values, validity: validity)
    }

    /// Slot `g` as a value (slow path).
    public subscript(g: Int) -> Value { column().gather([g])[0] }

    func write(_ g: Int, to w: inout StateWriter) {
        w.write(isNull[g])
        if isNull[g] { return }
        switch kind {
        case 0: w.write(ints[g])
        case 1: w.write(doubles[g])
        default: w.write(bytes: strings[g])
        }
    }

    mutating func read(_ g: Int, from r: inout StateReader) throws(StateDecodingError) {
        isNull[g] = try r.readBool()
        if isNull[g] { return }
        switch kind {
        case 0: ints[g] = try r.readInt64()
        case 1: doubles[g] = try r.readDouble()
        default: strings[g] = try r.readBytes()
        }
    }
}

@inlinable @inline(__always)
func compareInts(_ a: Int64, _ b: Int64) -> Int { a < b ? -1 : (a > b ? 1 : 0) }

/// Spark's double ordering (`SQLOrderingUtil.compareDoubles`): NaN equals NaN and is greater
/// than every other value; -0.0 equals 0.0.
@inlinable @inline(__always)
public func sparkCompare(_ a: Double, _ b: Double) -> Int {
    if a.isNaN { return b.isNaN ? 0 : 1 }
    if b.isNaN { return -1 }
    return a < b ? -1 : (a > b ? 1 : 0)
}

@inlinable
func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    if utf8Less(a, b) { return -1 }
    if utf8Less(b, a) { return 1 }
    return 0
}
