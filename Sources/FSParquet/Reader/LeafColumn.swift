import FSCore

/// How the physical values of a leaf become fs values (type-format.md §1.4 and §2.2; the foreign
/// mapping of PARQUET_API.md): one case per conversion, chosen once per column, so the page
/// loops never look at logical types.
enum ValueConversion: Sendable, Equatable {
    case boolean
    /// INT32 stored as is: int32, date, INT(8/16/32 signed), UINT(8/16).
    case int32
    /// INT32 annotated UINT(32): zero-extended to int64.
    case uint32ToInt64
    /// INT64 stored as is: int64, TIMESTAMP(MICROS), UINT(64) (bit pattern).
    case int64
    /// INT64 TIMESTAMP(MILLIS) → µs.
    case timestampMillis
    /// INT64 TIMESTAMP(NANOS) → µs, floored.
    case timestampNanos
    /// INT96 (Spark's legacy timestamp) → µs.
    case int96
    case float
    case double
    /// DECIMAL stored as INT32, INT64 or big-endian two's complement bytes → double.
    case decimalInt32(scale: Int32)
    case decimalInt64(scale: Int32)
    case decimalBytes(scale: Int32)
    /// BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY bytes taken as the string's UTF-8.
    case bytes
    /// FIXED_LEN_BYTE_ARRAY(16) UUID → canonical 36-character lower-case text.
    case uuid

    /// The storage type the conversion produces (`int32` for dates and `int64` for µs
    /// timestamps stored as is: `ResolvedSchema.logicalType` refines those).
    var dataType: DataType {
        switch self {
        case .boolean: return .boolean
        case .int32: return .int32
        case .uint32ToInt64, .int64: return .int64
        case .timestampMillis, .timestampNanos, .int96: return .timestamp
        case .float, .double, .decimalInt32, .decimalInt64, .decimalBytes: return .double
        case .bytes, .uuid: return .string
        }
    }
}

/// One leaf column of a file's schema, resolved: where it sits (path, levels) and how its values
/// convert. Leaves are numbered in schema order, which is also the column-chunk order.
struct LeafColumn: Sendable {
    /// Position among the leaves = index of its chunk in every row group.
    var index: Int
    /// Names from the root's child down to the leaf.
    var path: [String]
    /// `path` joined with dots: the column name of flat reads and error messages.
    var name: String
    var element: SchemaElement
    var physicalType: PhysicalType
    var typeLength: Int
    var maxDefinitionLevel: Int
    var maxRepetitionLevel: Int
    /// How values convert, or why this leaf cannot be read.
    var conversion: Result<ValueConversion, UnsupportedLeaf>
    /// The fs type of the column (the conversion's type, or a best guess when unsupported).
    var dataType: DataType
    var isNullable: Bool { maxDefinitionLevel > 0 }
}

/// Why a leaf's type cannot be read (reported with the file and column when it is projected).
struct UnsupportedLeaf: Error, Sendable, Equatable {
    var feature: String
}

/// A node of the schema tree, for nested assembly: the root, groups and leaves.
struct SchemaNode: Sendable {
    var element: SchemaElement
    var children: [SchemaNode]
    /// Set for leaves.
    var leafIndex: Int?
    /// Definition and repetition levels reached at this node (counting the node itself).
    var definitionLevel: Int
    var repetitionLevel: Int

    var repetition: Repetition { element.repetitionType ?? .required }
}

/// The schema of a file as a tree plus its leaves (parsed from the flattened, depth-first
/// `FileMetaData.schema`).
struct ResolvedSchema: Sendable {
    var root: SchemaNode
    var leaves: [LeafColumn]

    /// Groups nested deeper than this are rejected (real files nest a handful of levels).
    static let maxDepth = 64

    init(_ elements: [SchemaElement], file: String) throws(ParquetError) {
        guard let first = elements.first else { throw .corruptFile(file: file, reason: "schema is empty") }
        var position = 1
        var leaves: [LeafColumn] = []
        let rootChildren = Int(first.numChildren ?? 0)
        guard rootChildren >= 0, rootChildren < elements.count else {
            throw .corruptFile(file: file, reason: "schema root claims \(rootChildren) children, \(elements.count - 1) elements follow")
        }
        var children: [SchemaNode] = []
        for _ in 0 ..< rootChildren {
            children.append(try Self.parse(elements, &position, definition: 0, repetition: 0, path: [], depth: 1, leaves: &leaves, file: file))
        }
        guard position == elements.count else {
            throw .corruptFile(file: file, reason: "schema has \(elements.count - position) elements outside the root's children")
        }
        root = SchemaNode(element: first, children: children, leafIndex: nil, definitionLevel: 0, repetitionLevel: 0)
        self.leaves = leaves
    }

    private static func parse(
        _ elements: [SchemaElement], _ position: inout Int, definition: Int, repetition: Int, path: [String],
        depth: Int, leaves: inout [LeafColumn], file: String
    ) throws(ParquetError) -> SchemaNode {
        guard depth <= maxDepth else { throw .corruptFile(file: file, reason: "schema nested deeper than \(maxDepth)") }
        guard position < elements.count else { throw .corruptFile(file: file, reason: "schema ends inside a group") }
        let element = elements[position]
        position += 1
        let rep = element.repetitionType ?? .required
        guard rep.isKnown else { throw .corruptFile(file: file, reason: "schema element \(element.name) has repetition \(rep)") }
        let def = definition + (rep == .required ? 0 : 1)
        let repLevel = repetition + (rep == .repeated ? 1 : 0)
        let myPath = path + [element.name]
        let childCount = Int(element.numChildren ?? 0)
        if element.type == nil || childCount > 0 {
            guard childCount >= 0, childCount <= elements.count - position else {
                throw .corruptFile(file: file, reason: "schema group \(element.name) claims \(childCount) children")
            }
            var children: [SchemaNode] = []
            for _ in 0 ..< childCount {
                children.append(try parse(elements, &position, definition: def, repetition: repLevel, path: myPath, depth: depth + 1, leaves: &leaves, file: file))
            }
            return SchemaNode(element: element, children: children, leafIndex: nil, definitionLevel: def, repetitionLevel: repLevel)
        }
        let physical = element.type ?? .boolean
        let conversion = resolveConversion(element, physical: physical)
        let leaf = LeafColumn(
            index: leaves.count, path: myPath, name: myPath.joined(separator: "."), element: element,
            physicalType: physical, typeLength: Int(element.typeLength ?? 0), maxDefinitionLevel: def,
            maxRepetitionLevel: repLevel, conversion: conversion,
            dataType: logicalType(element, conversion: conversion))
        leaves.append(leaf)
        return SchemaNode(element: element, children: [], leafIndex: leaf.index, definitionLevel: def, repetitionLevel: repLevel)
    }

    /// The fs type of a leaf: the conversion's type, refined to `date` / `timestamp` by the
    /// annotation (the stored values are the same int32 days / int64 µs).
    static func logicalType(_ e: SchemaElement, conversion: Result<ValueConversion, UnsupportedLeaf>) -> DataType {
        guard case .success(let c) = conversion else { return .string }
        switch c {
        case .int32:
            if e.logicalType == .date || (e.logicalType == nil && e.convertedType == .date) { return .date }
            return .int32
        case .int64:
            if case .timestamp? = e.logicalType { return .timestamp }
            if e.logicalType == nil && e.convertedType == .timestampMicros { return .timestamp }
            return .int64
        default:
            return c.dataType
        }
    }

    /// Maps a leaf's physical type and annotation (logicalType first, else converted_type) to a
    /// conversion (table-format.md §2.2 "logical type resolution").
    static func resolveConversion(_ e: SchemaElement, physical: PhysicalType) -> Result<ValueConversion, UnsupportedLeaf> {
        func unsupported(_ what: String) -> Result<ValueConversion, UnsupportedLeaf> {
            .failure(UnsupportedLeaf(feature: "\(what) stored as \(physical)"))
        }
        func plain() -> Result<ValueConversion, UnsupportedLeaf> {
            switch physical {
            case .boolean: return .success(.boolean)
            case .int32: return .success(.int32)
            case .int64: return .success(.int64)
            case .int96: return .success(.int96)
            case .float: return .success(.float)
            case .double: return .success(.double)
            case .byteArray, .fixedLenByteArray: return .success(.bytes)
            default: return unsupported("physical type")
            }
        }
        func decimal(scale: Int32) -> Result<ValueConversion, UnsupportedLeaf> {
            switch physical {
            case .int32: return .success(.decimalInt32(scale: scale))
            case .int64: return .success(.decimalInt64(scale: scale))
            case .byteArray, .fixedLenByteArray: return .success(.decimalBytes(scale: scale))
            default: return unsupported("DECIMAL")
            }
        }
        if let logical = e.logicalType {
            switch logical {
            case .string, .enum, .json, .bson:
                return physical == .byteArray || physical == .fixedLenByteArray ? .success(.bytes) : unsupported("\(logical)")
            case .date:
                return physical == .int32 ? .success(.int32) : unsupported("DATE")
            case let .timestamp(_, unit):
                guard physical == .int64 else { return physical == .int96 ? .success(.int96) : unsupported("TIMESTAMP") }
                switch unit {
                case .millis: return .success(.timestampMillis)
                case .micros: return .success(.int64)
                case .nanos: return .success(.timestampNanos)
                }
            case let .integer(bits, signed):
                switch physical {
                case .int32: return !signed && bits == 32 ? .success(.uint32ToInt64) : .success(.int32)
                case .int64: return .success(.int64)
                default: return unsupported("\(logical)")
                }
            case let .decimal(scale, _):
                return decimal(scale: scale)
            case .uuid:
                return physical == .fixedLenByteArray && e.typeLength == 16 ? .success(.uuid) : unsupported("UUID")
            case .time, .float16, .map, .list:
                return unsupported("\(logical)")
            case .null, .other:
                return plain()
            }
        }
        if let converted = e.convertedType {
            switch converted {
            case .utf8, .enum, .json, .bson:
                return physical == .byteArray || physical == .fixedLenByteArray ? .success(.bytes) : unsupported("\(converted)")
            case .date: return physical == .int32 ? .success(.int32) : unsupported("DATE")
            case .timestampMillis: return physical == .int64 ? .success(.timestampMillis) : unsupported("TIMESTAMP_MILLIS")
            case .timestampMicros: return physical == .int64 ? .success(.int64) : unsupported("TIMESTAMP_MICROS")
            case .int8, .int16, .int32, .uint8, .uint16:
                return physical == .int32 ? .success(.int32) : unsupported("\(converted)")
            case .uint32:
                return physical == .int32 ? .success(.uint32ToInt64) : physical == .int64 ? .success(.int64) : unsupported("UINT_32")
            case .int64, .uint64:
                return physical == .int64 ? .success(.int64) : unsupported("\(converted)")
            case .decimal:
                return decimal(scale: e.scale ?? 0)
            case .timeMillis, .timeMicros, .interval, .map, .mapKeyValue, .list:
                return unsupported("\(converted)")
            default:
                return plain()
            }
        }
        return plain()
    }
}
