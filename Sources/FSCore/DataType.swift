/// The logical column types fs stores and computes with.
///
/// Each maps to one physical representation in memory (see `ColumnValues`) and one Parquet /
/// Delta type (see `docs/table-format.md` §1.4). `date` is days since 1970-01-01 (Int32);
/// `timestamp` is microseconds since the Unix epoch, UTC (Int64) — never a local time.
public enum DataType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case boolean
    case int32
    case int64
    case double
    case string
    case date
    case timestamp

    /// The Delta / Spark schema name (`integer`, `long`, ...).
    public var deltaName: String {
        switch self {
        case .boolean: return "boolean"
        case .int32: return "integer"
        case .int64: return "long"
        case .double: return "double"
        case .string: return "string"
        case .date: return "date"
        case .timestamp: return "timestamp"
        }
    }

    /// Parses a Delta / Spark schema type name; `nil` for types fs does not store.
    public init?(deltaName: String) {
        switch deltaName.lowercased() {
        case "boolean": self = .boolean
        case "integer", "int", "short", "byte": self = .int32
        case "long", "bigint": self = .int64
        case "double", "float": self = .double
        case "string": self = .string
        case "date": self = .date
        case "timestamp", "timestamp_ntz": self = .timestamp
        default: return nil
        }
    }

    /// True for the types whose values are ordered numbers (used by statistics and casts).
    public var isNumeric: Bool { self == .int32 || self == .int64 || self == .double }

    public var description: String { rawValue }
}

/// One named, typed column of a schema.
public struct Field: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var type: DataType
    public var isNullable: Bool

    public init(_ name: String, _ type: DataType, isNullable: Bool = true) {
        self.name = name
        self.type = type
        self.isNullable = isNullable
    }

    public var description: String { "\(name): \(type)\(isNullable ? "" : " not null")" }
}

/// An ordered list of fields with unique names.
public struct Schema: Sendable, Hashable, CustomStringConvertible {
    public var fields: [Field]

    public init(_ fields: [Field]) { self.fields = fields }

    public var count: Int { fields.count }
    public var names: [String] { fields.map(\.name) }

    /// Position of the field named `name` (exact match first, then case-insensitive, as Spark
    /// resolves columns); nil when absent.
    public func index(of name: String) -> Int? {
        if let i = fields.firstIndex(where: { $0.name == name }) { return i }
        let lower = name.lowercased()
        return fields.firstIndex(where: { $0.name.lowercased() == lower })
    }

    public func field(named name: String) -> Field? { index(of: name).map { fields[$0] } }

    /// The schema restricted to `names`, in the order given; nil if one is missing.
    public func projected(_ names: [String]) -> Schema? {
        var out: [Field] = []
        for n in names {
            guard let f = field(named: n) else { return nil }
            out.append(f)
        }
        return Schema(out)
    }

    public var description: String { "(" + fields.map(\.description).joined(separator: ", ") + ")" }
}
