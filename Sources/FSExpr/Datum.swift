import FSCore

/// An intermediate result: a full column, or one value standing for every row (a literal or a
/// folded constant), so `x > 50` never materializes a column of 50s.
enum Datum {
    case column(Column)
    case scalar(Value, DataType)

    var type: DataType {
        switch self {
        case .column(let c): return c.type
        case .scalar(_, let t): return t
        }
    }

    var isNullScalar: Bool {
        if case .scalar(let v, _) = self { return v.isNull }
        return false
    }

    var isScalar: Bool {
        if case .scalar = self { return true }
        return false
    }

    var validity: Validity? {
        if case .column(let c) = self { return c.validity }
        return nil
    }

    /// The datum as a column of `n` rows (broadcasting a scalar).
    func materialize(_ n: Int) -> Column {
        switch self {
        case .column(let c): return c
        case .scalar(let v, let t): return broadcast(v, t, n)
        }
    }

    /// Single value of a one-row column.
    static func fromOneRow(_ c: Column) -> Datum { .scalar(c[0], c.type) }
}

/// A column repeating `v` `n` times (NULL: all-null bitmap over placeholder values).
func broadcast(_ v: Value, _ t: DataType, _ n: Int) -> Column {
    let validity: Validity? = v.isNull ? Validity(repeating: false, count: n) : nil
    let values: ColumnValues
    switch t {
    case .boolean:
        if case .boolean(let b) = v { values = .boolean([Bool](repeating: b, count: n)) } else { values = .boolean([Bool](repeating: false, count: n)) }
    case .int32, .date:
        values = .int32([Int32](repeating: v.isNull ? 0 : Int32(truncatingIfNeeded: v.asInt64 ?? 0), count: n))
    case .int64, .timestamp:
        values = .int64([Int64](repeating: v.asInt64 ?? 0, count: n))
    case .double:
        values = .double([Double](repeating: v.asDouble ?? 0, count: n))
    case .string:
        var a = StringArray()
        if case .string(let s) = v {
            a.reserveCapacity(rows: n, bytes: s.utf8.count * n)
            for _ in 0..<n { a.append(s) }
        } else {
            for _ in 0..<n { a.appendEmpty() }
        }
        values = .string(a)
    }
    return Column(type: t, values: values, validity: validity)
}

/// One side of a kernel: an array or a broadcast value.
enum Operand<T> {
    case array([T])
    case scalar(T)
}

extension Datum {
    var doubles: Operand<Double> { operand(\.doubles, "double") { $0.asDouble ?? 0 } }
    var int64s: Operand<Int64> { operand(\.int64s, "int64") { $0.asInt64 ?? 0 } }
    var int32s: Operand<Int32> { operand(\.int32s, "int32") { Int32(truncatingIfNeeded: $0.asInt64 ?? 0) } }
    var booleans: Operand<Bool> {
        operand(\.booleans, "boolean") { if case .boolean(let b) = $0 { b } else { false } }
    }

    /// A column's storage (which the binder guarantees is `storage`'s kind), or the scalar
    /// converted for broadcasting (NULL scalars give the placeholder; validity masks them).
    private func operand<T>(_ storage: KeyPath<Column, [T]?>, _ kind: String, scalar: (Value) -> T) -> Operand<T> {
        switch self {
        case .column(let c):
            guard let a = c[keyPath: storage] else { preconditionFailure("expected \(kind) storage, found \(c.type)") }
            return .array(a)
        case .scalar(let v, _): return .scalar(scalar(v))
        }
    }
}

/// Row-validity of a binary operator: valid where both inputs are (nil = no NULLs).
@inline(__always)
func intersect(_ a: Validity?, _ b: Validity?) -> Validity? {
    switch (a, b) {
    case (nil, nil): return nil
    case (let x?, nil): return x
    case (nil, let y?): return y
    case (let x?, let y?): return x.intersection(y)
    }
}

/// Element-wise `f` over two operands of `n` rows, one tight loop per shape.
@inline(__always)
func map2<A, B, R>(_ a: Operand<A>, _ b: Operand<B>, _ n: Int, _ f: (A, B) -> R) -> [R] {
    [R](unsafeUninitializedCapacity: n) { out, count in
        guard let o = out.baseAddress else { count = 0; return }
        switch (a, b) {
        case (.array(let x), .array(let y)):
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    for i in 0..<n { (o + i).initialize(to: f(px[i], py[i])) }
                }
            }
        case (.array(let x), .scalar(let y)):
            x.withUnsafeBufferPointer { px in
                for i in 0..<n { (o + i).initialize(to: f(px[i], y)) }
            }
        case (.scalar(let x), .array(let y)):
            y.withUnsafeBufferPointer { py in
                for i in 0..<n { (o + i).initialize(to: f(x, py[i])) }
            }
        case (.scalar(let x), .scalar(let y)):
            let v = f(x, y)
            for i in 0..<n { (o + i).initialize(to: v) }
        }
        count = n
    }
}

/// Element-wise `f` over one array.
@inline(__always)
func map1<A, R>(_ a: [A], _ f: (A) -> R) -> [R] {
    let n = a.count
    return [R](unsafeUninitializedCapacity: n) { out, count in
        guard let o = out.baseAddress else { count = 0; return }
        a.withUnsafeBufferPointer { pa in
            for i in 0..<n { (o + i).initialize(to: f(pa[i])) }
        }
        count = n
    }
}

/// A bitmap with bit i = `keep(i)`, or nil when every bit is set (no extra NULLs).
@inline(__always)
func validityWhere(_ n: Int, _ keep: (Int) -> Bool) -> Validity? {
    var v: Validity?
    for i in 0..<n where !keep(i) {
        if v == nil { v = Validity(repeating: true, count: n) }
        v?.set(i, false)
    }
    return v
}
