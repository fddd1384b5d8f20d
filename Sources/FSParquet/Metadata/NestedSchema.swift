import FSCore

/// How often a nested schema node occurs in its parent.
public enum ParquetRepetition: Sendable, Hashable {
    case required, optional, repeated

    /// The footer enum.
    public var thrift: Repetition {
        switch self {
        case .required: return .required
        case .optional: return .optional
        case .repeated: return .repeated
        }
    }
}

/// The logical annotation of a group: MAP and LIST groups carry both `converted_type` and
/// `logicalType` (table-format.md §1.12).
public enum GroupAnnotation: Sendable, Hashable {
    case none, map, list
}

/// A node of a nested Parquet schema (Delta checkpoints), mirroring the file's structure.
///
/// Maps and lists are spelled out the way they are stored, so a schema read from a file and a
/// schema written compare equal:
/// ```
/// <rep> group name (MAP)  { repeated group key_value { required key; <rep> value } }
/// <rep> group name (LIST) { repeated group list { <rep> element } }
/// ```
/// Use `ParquetNode.map(...)` and `ParquetNode.list(...)` to build those shapes.
public indirect enum ParquetNode: Sendable, Equatable {
    case leaf(name: String, type: DataType, repetition: ParquetRepetition)
    case group(name: String, repetition: ParquetRepetition, annotation: GroupAnnotation, children: [ParquetNode])

    public var name: String {
        switch self {
        case .leaf(let name, _, _), .group(let name, _, _, _): return name
        }
    }

    public var repetition: ParquetRepetition {
        switch self {
        case .leaf(_, _, let r), .group(_, let r, _, _): return r
        }
    }

    /// A MAP group with string keys: `key_value { required binary key (STRING); value }`.
    public static func map(name: String, repetition: ParquetRepetition, value: ParquetNode) -> ParquetNode {
        .group(name: name, repetition: repetition, annotation: .map, children: [
            .group(name: "key_value", repetition: .repeated, annotation: .none, children: [
                .leaf(name: "key", type: .string, repetition: .required), value,
            ]),
        ])
    }

    /// A map<string, string> with optional values, as Delta's `partitionValues`, `tags`,
    /// `configuration` and `format.options`.
    public static func stringMap(name: String, repetition: ParquetRepetition) -> ParquetNode {
        map(name: name, repetition: repetition, value: .leaf(name: "value", type: .string, repetition: .optional))
    }

    /// A LIST group: `list { element }` (the element node must be named "element").
    public static func list(name: String, repetition: ParquetRepetition, element: ParquetNode) -> ParquetNode {
        .group(name: name, repetition: repetition, annotation: .list, children: [
            .group(name: "list", repetition: .repeated, annotation: .none, children: [element]),
        ])
    }
}

/// One value of a nested record: what a Delta checkpoint row is made of.
///
/// A `.group` maps child names to values (a missing key is NULL); a `.map` is an ordered list of
/// entries (order is kept in the file); a `.list` holds a repeated field's items.
public indirect enum NestedValue: Sendable, Equatable {
    case null
    case value(Value)
    case group([String: NestedValue])
    case list([NestedValue])
    case map([(key: String, value: NestedValue)])

    public static func == (a: NestedValue, b: NestedValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.value(x), .value(y)): return x == y
        case let (.group(x), .group(y)): return x == y
        case let (.list(x), .list(y)): return x == y
        case let (.map(x), .map(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

/// The footer schema elements of nested top-level nodes, depth-first, after the root.
public func schemaElements(for nodes: [ParquetNode]) -> [SchemaElement] {
    var out = [SchemaElement(name: "schema", numChildren: Int32(nodes.count))]
    func visit(_ n: ParquetNode) {
        switch n {
        case let .leaf(name, type, repetition):
            out.append(schemaElement(name: name, type: type, repetition: repetition.thrift))
        case let .group(name, repetition, annotation, children):
            var e = SchemaElement(repetitionType: repetition.thrift, name: name, numChildren: Int32(children.count))
            switch annotation {
            case .none: break
            case .map: e.convertedType = .map; e.logicalType = .map
            case .list: e.convertedType = .list; e.logicalType = .list
            }
            out.append(e)
            children.forEach(visit)
        }
    }
    nodes.forEach(visit)
    return out
}
