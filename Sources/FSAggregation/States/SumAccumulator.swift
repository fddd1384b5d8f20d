import FSCore

/// A value type `sum` adds, with Spark's arithmetic for it (ANSI mode off).
public protocol Summand: Sendable {
    static var zero: Self { get }
    /// Integers wrap on overflow (a sum past Int64.max turns negative, it does not fail or
    /// widen); doubles add naively in input order (no Kahan compensation, so the same rows split
    /// differently can differ in the last bits), NaN and ±Infinity propagate.
    static func sum(_ a: Self, _ b: Self) -> Self
    /// The argument column's values as this type (NULL slots hold anything; the selection skips them).
    static func values(of column: Column) -> [Self]
    /// The result column.
    static func column(_ sums: [Self], validity: Validity?) -> Column
    static func write(_ v: Self, to w: inout StateWriter)
    static func read(from r: inout StateReader) throws(StateDecodingError) -> Self
}

extension Int64: Summand {
    @inline(__always) public static func sum(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    public static func values(of column: Column) -> [Int64] { column.int64Values() }
    public static func column(_ sums: [Int64], validity: Validity?) -> Column { Column(type: .int64, values: .int64(sums), validity: validity) }
    public static func write(_ v: Int64, to w: inout StateWriter) { w.write(v) }
    public static func read(from r: inout StateReader) throws(StateDecodingError) -> Int64 { try r.readInt64() }
}

extension Double: Summand {
    @inline(__always) public static func sum(_ a: Double, _ b: Double) -> Double { a + b }
    public static func values(of column: Column) -> [Double] { column.doubleValues() }
    public static func column(_ sums: [Double], validity: Validity?) -> Column { Column(type: .double, values: .double(sums), validity: validity) }
    public static func write(_ v: Double, to w: inout StateWriter) { w.write(v) }
    public static func read(from r: inout StateReader) throws(StateDecodingError) -> Double { try r.readDouble() }
}

/// `sum` of integer columns: a wrapping Int64 per group, as Spark with ANSI mode off.
public typealias SumInt64Accumulator = SumAccumulator<Int64>
/// `sum` of doubles, added in input order, as Spark.
public typealias SumDoubleAccumulator = SumAccumulator<Double>

/// `sum`: one running total per group and whether any row was summed (NULL when none was).
/// One generic type for both result types, so the update, merge and state layout are written
/// once; the arithmetic that differs is `Summand.sum`.
public struct SumAccumulator<Value: Summand>: Accumulator {
    public let spec: AggregateSpec
    public private(set) var sums: [Value] = []
    public private(set) var isSet: [Bool] = []

    public init(_ spec: AggregateSpec) { self.spec = spec }

    public var groupCount: Int { sums.count }

    public mutating func resize(groupCount n: Int) {
        guard n > sums.count else { return }
        sums.append(contentsOf: repeatElement(.zero, count: n - sums.count))
        isSet.append(contentsOf: repeatElement(false, count: n - isSet.count))
    }

    public mutating func update(_ arguments: [Column], groups: UnsafeBufferPointer<UInt32>, selection: Validity?, firstRowStamp: Int64) {
        let sel = effectiveSelection(selection, arguments)
        let v = Value.values(of: arguments[0])
        let n = groups.count
        sums.withUnsafeMutableBufferPointer { s in
            isSet.withUnsafeMutableBufferPointer { f in
                v.withUnsafeBufferPointer { v in
                    if sel == nil {
                        for i in 0..<n { let g = Int(groups[i]); s[g] = Value.sum(s[g], v[i]); f[g] = true }
                    } else {
                        forEachSelectedRow(count: n, sel) { i in let g = Int(groups[i]); s[g] = Value.sum(s[g], v[i]); f[g] = true }
                    }
                }
            }
        }
    }

    public mutating func merge(_ other: SumAccumulator, groupMap: UnsafeBufferPointer<UInt32>) {
        for g in 0..<other.sums.count where other.isSet[g] {
            let t = Int(groupMap[g])
            sums[t] = Value.sum(sums[t], other.sums[g])
            isSet[t] = true
        }
    }

    public func finalize() -> Column {
        Value.column(sums, validity: isSet.allSatisfy { $0 } ? nil : Validity(isSet))
    }

    public func write(group: Int, to w: inout StateWriter) { w.write(isSet[group]); Value.write(sums[group], to: &w) }

    public mutating func read(group: Int, from r: inout StateReader) throws(StateDecodingError) {
        isSet[group] = try r.readBool()
        sums[group] = try Value.read(from: &r)
    }
}
