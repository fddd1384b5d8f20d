import FSCore

/// The levels and values of one leaf column of a nested file.
package struct ShreddedLeaf {
    package let path: [String]
    package let type: DataType
    package let maxRepetitionLevel: Int
    package let maxDefinitionLevel: Int
    /// One entry per level triple.
    package var repetitionLevels: [UInt8] = []
    package var definitionLevels: [UInt8] = []
    /// The values of the entries whose definition level is the maximum, in order.
    package var values: ColumnBuilder
    package var statistics: StatisticsAccumulator

    init(path: [String], type: DataType, maxRep: Int, maxDef: Int) {
        self.path = path
        self.type = type
        maxRepetitionLevel = maxRep
        maxDefinitionLevel = maxDef
        values = ColumnBuilder(type: type)
        statistics = StatisticsAccumulator(type: type)
    }
}

/// Dremel record shredding: turns nested rows into (repetition level, definition level, value)
/// triples per leaf column (table-format.md §1.12).
///
/// ```
/// field(node, value, r, d):
///   REPEATED: no items -> nulls(node, r, d); item i -> value_(node, item, i == 0 ? r : rep(node), d + 1)
///   null     -> nulls(node, r, d)            (REQUIRED + null is an error)
///   else     -> value_(node, value, r, d + (OPTIONAL ? 1 : 0))
/// value_(leaf, v, r, d)  -> append (r, d, v)
/// value_(group, v, r, d) -> field(child, v[child.name], r, d) for every child
/// ```
/// MAP groups take `.map` entries and LIST groups `.list` items; they are handed to the
/// repeated child as groups of key/value or element.
package struct NestedShredder {
    fileprivate indirect enum Plan {
        case leaf(index: Int, repetition: ParquetRepetition, repLevel: Int)
        case group(path: [String], repetition: ParquetRepetition, annotation: GroupAnnotation, repLevel: Int,
                   children: [(name: String, plan: Plan)], leaves: Range<Int>)
    }

    private var plans: [(name: String, plan: Plan)] = []
    package private(set) var leaves: [ShreddedLeaf] = []
    package let file: String

    package init(schema: [ParquetNode], file: String) throws(ParquetError) {
        self.file = file
        for node in schema { plans.append((node.name, try build(node, path: [], rep: 0, def: 0))) }
    }

    private mutating func build(_ node: ParquetNode, path: [String], rep: Int, def: Int) throws(ParquetError) -> Plan {
        let r = rep + (node.repetition == .repeated ? 1 : 0)
        let d = def + (node.repetition == .required ? 0 : 1)
        let p = path + [node.name]
        guard r <= 255 && d <= 255 else {
            throw .invalidArgument(file: file, column: p.joined(separator: "."), reason: "nesting deeper than 255 levels")
        }
        switch node {
        case let .leaf(_, type, repetition):
            leaves.append(ShreddedLeaf(path: p, type: type, maxRep: r, maxDef: d))
            return .leaf(index: leaves.count - 1, repetition: repetition, repLevel: r)
        case let .group(_, repetition, annotation, children):
            let first = leaves.count
            var built: [(String, Plan)] = []
            for c in children { built.append((c.name, try build(c, path: p, rep: r, def: d))) }
            if annotation != .none {
                guard children.count == 1, case .group(_, .repeated, _, let inner) = children[0],
                      annotation == .list ? inner.count == 1 : inner.count == 2
                else {
                    throw .invalidArgument(file: file, column: p.joined(separator: "."),
                                           reason: "a \(annotation) group needs one repeated child group (use ParquetNode.map/list)")
                }
            }
            return .group(path: p, repetition: repetition, annotation: annotation, repLevel: r,
                          children: built, leaves: first..<leaves.count)
        }
    }

    /// The leaves shredded so far, leaving empty ones (same columns) for the next row group:
    /// a streaming writer hands each chunk of rows to the file and keeps only the next.
    package mutating func takeLeaves() -> [ShreddedLeaf] {
        let taken = leaves
        leaves = taken.map { ShreddedLeaf(path: $0.path, type: $0.type, maxRep: $0.maxRepetitionLevel, maxDef: $0.maxDefinitionLevel) }
        return taken
    }

    /// Shreds one row: a `.group` of the top-level fields.
    package mutating func append(row: NestedValue) throws(ParquetError) {
        guard case .group(let fields) = row else {
            throw .invalidArgument(file: file, column: "<row>", reason: "a row must be a group of the top-level fields")
        }
        for (name, plan) in plans { try field(plan, fields[name] ?? .null, r: 0, d: 0) }
    }

    private mutating func field(_ plan: Plan, _ value: NestedValue, r: Int, d: Int) throws(ParquetError) {
        let (repetition, repLevel) = plan.repetitionInfo
        switch repetition {
        case .repeated:
            let items: [NestedValue]
            switch value {
            case .null: items = []
            case .list(let l): items = l
            default: throw mismatch(plan, "a repeated field needs a list, got \(value)")
            }
            if items.isEmpty { emitNulls(plan, r: r, d: d); return }
            for (i, item) in items.enumerated() {
                guard !item.isNull else { throw mismatch(plan, "a repeated field cannot hold NULL items") }
                try present(plan, item, r: i == 0 ? r : repLevel, d: d + 1)
            }
        case .optional:
            if value.isNull { emitNulls(plan, r: r, d: d) } else { try present(plan, value, r: r, d: d + 1) }
        case .required:
            guard !value.isNull else { throw mismatch(plan, "NULL in a required field") }
            try present(plan, value, r: r, d: d)
        }
    }

    private mutating func present(_ plan: Plan, _ value: NestedValue, r: Int, d: Int) throws(ParquetError) {
        switch plan {
        case .leaf(let index, _, _):
            guard case .value(let v) = value, let converted = convert(v, to: leaves[index].type) else {
                throw mismatch(plan, "expected a \(leaves[index].type) value, got \(value)")
            }
            leaves[index].repetitionLevels.append(UInt8(r))
            leaves[index].definitionLevels.append(UInt8(d))
            leaves[index].values.append(converted)
            leaves[index].statistics.add(value: converted)
        case let .group(_, _, annotation, _, children, _):
            switch annotation {
            case .none:
                guard case .group(let fields) = value else { throw mismatch(plan, "expected a group, got \(value)") }
                for (name, child) in children { try field(child, fields[name] ?? .null, r: r, d: d) }
            case .map:
                guard case .map(let entries) = value else { throw mismatch(plan, "expected a map, got \(value)") }
                let kv = children[0]
                guard case let .group(_, _, _, _, inner, _) = kv.plan else { return }
                let items = entries.map { NestedValue.group([inner[0].name: .value(.string($0.key)), inner[1].name: $0.value]) }
                try field(kv.plan, .list(items), r: r, d: d)
            case .list:
                guard case .list(let elements) = value else { throw mismatch(plan, "expected a list, got \(value)") }
                let repeated = children[0]
                guard case let .group(_, _, _, _, inner, _) = repeated.plan else { return }
                try field(repeated.plan, .list(elements.map { .group([inner[0].name: $0]) }), r: r, d: d)
            }
        }
    }

    /// Every leaf under `plan` gets (r, d, NULL).
    private mutating func emitNulls(_ plan: Plan, r: Int, d: Int) {
        for i in plan.leafRange {
            leaves[i].repetitionLevels.append(UInt8(r))
            leaves[i].definitionLevels.append(UInt8(d))
            leaves[i].statistics.addNulls(1)
        }
    }

    private func mismatch(_ plan: Plan, _ reason: String) -> ParquetError {
        let path: String
        switch plan {
        case .leaf(let i, _, _): path = leaves[i].path.joined(separator: ".")
        case .group(let p, _, _, _, _, _): path = p.joined(separator: ".")
        }
        return .invalidArgument(file: file, column: path, reason: reason)
    }

    /// `v` as a value of a column of type `t` (ints widen, numbers become doubles); nil when it
    /// does not fit — never a crash in `ColumnBuilder`.
    private func convert(_ v: Value, to t: DataType) -> Value? {
        switch (t, v) {
        case (.boolean, .boolean), (.string, .string), (.int32, .int32), (.int64, .int64), (.date, .date),
             (.timestamp, .timestamp), (.double, .double):
            return v
        case (.int64, .int32(let x)): return .int64(Int64(x))
        case (.int32, .int64(let x)): return Int32(exactly: x).map(Value.int32)
        case (.date, .int32(let x)): return .date(x)
        case (.timestamp, .int64(let x)): return .timestamp(x)
        case (.double, _): return v.asDouble.map(Value.double)
        default: return nil
        }
    }
}

extension NestedShredder.Plan {
    fileprivate var repetitionInfo: (ParquetRepetition, Int) {
        switch self {
        case let .leaf(_, r, level), let .group(_, r, _, level, _, _): return (r, level)
        }
    }

    fileprivate var leafRange: Range<Int> {
        switch self {
        case .leaf(let i, _, _): return i..<i + 1
        case .group(_, _, _, _, _, let range): return range
        }
    }
}

extension StatisticsAccumulator {
    /// Adds one logical value (nested writer: few values, slow path is fine).
    package mutating func add(value: Value) {
        switch value {
        case .null: addNulls(1)
        case .boolean(let b): add(bool: b)
        case .int32(let x), .date(let x): add(int: Int64(x))
        case .int64(let x), .timestamp(let x): add(int: x)
        case .double(let x): add(double: x)
        case .string(var s): s.withUTF8 { add(string: $0) }
        }
    }
}
