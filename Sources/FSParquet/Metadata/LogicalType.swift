/// Unit of TIME and TIMESTAMP logical types (a Thrift union of empty structs).
public enum TimeUnit: Sendable, Hashable, CustomStringConvertible {
    case millis, micros, nanos

    public var description: String {
        switch self {
        case .millis: return "MILLIS"
        case .micros: return "MICROS"
        case .nanos: return "NANOS"
        }
    }
}

extension TimeUnit: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        let id: Int16
        switch self {
        case .millis: id = 1
        case .micros: id = 2
        case .nanos: id = 3
        }
        w.writeField(id, struct: { _ in })
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        var unit: TimeUnit?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: unit = .millis
            case 2: unit = .micros
            case 3: unit = .nanos
            default: break
            }
            try r.skip(f.type)
        }
        guard let unit else { throw r.error("TimeUnit has no known member") }
        self = unit
    }
}

/// The modern logical annotation of a schema element (`LogicalType` union in parquet.thrift).
///
/// Members fs does not interpret (VARIANT, GEOMETRY, ...) decode as `.other(fieldId)`, so the
/// footer of a newer writer still parses and the reader can say which column it cannot read.
public enum LogicalType: Sendable, Hashable, CustomStringConvertible {
    case string
    case map
    case list
    case `enum`
    case decimal(scale: Int32, precision: Int32)
    case date
    case time(isAdjustedToUTC: Bool, unit: TimeUnit)
    case timestamp(isAdjustedToUTC: Bool, unit: TimeUnit)
    case integer(bitWidth: Int8, isSigned: Bool)
    /// The `UNKNOWN` (always-null) annotation, field 11.
    case null
    case json
    case bson
    case uuid
    case float16
    /// A union member this code does not know, by field id.
    case other(Int16)

    public var description: String {
        switch self {
        case .string: return "STRING"
        case .map: return "MAP"
        case .list: return "LIST"
        case .enum: return "ENUM"
        case let .decimal(s, p): return "DECIMAL(\(p),\(s))"
        case .date: return "DATE"
        case let .time(utc, unit): return "TIME(\(unit),utc=\(utc))"
        case let .timestamp(utc, unit): return "TIMESTAMP(\(unit),utc=\(utc))"
        case let .integer(bits, signed): return "INTEGER(\(bits),\(signed ? "signed" : "unsigned"))"
        case .null: return "UNKNOWN"
        case .json: return "JSON"
        case .bson: return "BSON"
        case .uuid: return "UUID"
        case .float16: return "FLOAT16"
        case .other(let id): return "LogicalType(\(id))"
        }
    }
}

extension LogicalType: CompactEncodable, CompactDecodable, CompactValue {
    public func encodeFields(to w: inout CompactWriter) {
        switch self {
        case .string: w.writeField(1, struct: { _ in })
        case .map: w.writeField(2, struct: { _ in })
        case .list: w.writeField(3, struct: { _ in })
        case .enum: w.writeField(4, struct: { _ in })
        case let .decimal(scale, precision):
            w.writeField(5, struct: { w in w.writeField(1, i32: scale); w.writeField(2, i32: precision) })
        case .date: w.writeField(6, struct: { _ in })
        case let .time(utc, unit):
            w.writeField(7, struct: { w in w.writeField(1, bool: utc); w.writeField(2, unit) })
        case let .timestamp(utc, unit):
            w.writeField(8, struct: { w in w.writeField(1, bool: utc); w.writeField(2, unit) })
        case let .integer(bits, signed):
            w.writeField(10, struct: { w in w.writeField(1, i8: bits); w.writeField(2, bool: signed) })
        case .null: w.writeField(11, struct: { _ in })
        case .json: w.writeField(12, struct: { _ in })
        case .bson: w.writeField(13, struct: { _ in })
        case .uuid: w.writeField(14, struct: { _ in })
        case .float16: w.writeField(15, struct: { _ in })
        case .other(let id): w.writeField(id, struct: { _ in })
        }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        var result: LogicalType?
        try r.readStruct { r, f throws(ParquetError) in
            guard result == nil, f.type == .struct else { try r.skip(f.type); return }
            switch f.id {
            case 1: result = .string; try r.skip(f.type)
            case 2: result = .map; try r.skip(f.type)
            case 3: result = .list; try r.skip(f.type)
            case 4: result = .enum; try r.skip(f.type)
            case 5:
                var scale: Int32 = 0, precision: Int32 = 0
                try r.readStruct { r, g throws(ParquetError) in
                    switch g.id {
                    case 1: scale = try r.readI32(g, in: "DecimalType")
                    case 2: precision = try r.readI32(g, in: "DecimalType")
                    default: try r.skip(g.type)
                    }
                }
                result = .decimal(scale: scale, precision: precision)
            case 6: result = .date; try r.skip(f.type)
            case 7, 8:
                var utc = false
                var unit = TimeUnit.millis
                try r.readStruct { r, g throws(ParquetError) in
                    switch g.id {
                    case 1: utc = try r.readBool(g, in: "TimeType")
                    case 2: unit = try r.readStruct(g, in: "TimeType")
                    default: try r.skip(g.type)
                    }
                }
                result = f.id == 7 ? .time(isAdjustedToUTC: utc, unit: unit) : .timestamp(isAdjustedToUTC: utc, unit: unit)
            case 10:
                var bits: Int8 = 0, signed = true
                try r.readStruct { r, g throws(ParquetError) in
                    switch g.id {
                    case 1: bits = try r.readI8(g, in: "IntType")
                    case 2: signed = try r.readBool(g, in: "IntType")
                    default: try r.skip(g.type)
                    }
                }
                result = .integer(bitWidth: bits, isSigned: signed)
            case 11: result = .null; try r.skip(f.type)
            case 12: result = .json; try r.skip(f.type)
            case 13: result = .bson; try r.skip(f.type)
            case 14: result = .uuid; try r.skip(f.type)
            case 15: result = .float16; try r.skip(f.type)
            default: result = .other(f.id); try r.skip(f.type)
            }
        }
        guard let result else { throw r.error("LogicalType union has no member") }
        self = result
    }
}

/// Sort order that gives `min_value`/`max_value` their meaning (`ColumnOrder` union).
public enum ColumnOrder: Sendable, Hashable, CustomStringConvertible {
    /// TYPE_ORDER: signed for ints, unsigned bytes for strings (what fs writes).
    case typeDefinedOrder
    case ieee754TotalOrder
    case other(Int16)

    public var description: String {
        switch self {
        case .typeDefinedOrder: return "TYPE_ORDER"
        case .ieee754TotalOrder: return "IEEE_754_TOTAL_ORDER"
        case .other(let id): return "ColumnOrder(\(id))"
        }
    }
}

extension ColumnOrder: CompactEncodable, CompactDecodable, CompactValue {
    public func encodeFields(to w: inout CompactWriter) {
        switch self {
        case .typeDefinedOrder: w.writeField(1, struct: { _ in })
        case .ieee754TotalOrder: w.writeField(2, struct: { _ in })
        case .other(let id): w.writeField(id, struct: { _ in })
        }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        var result: ColumnOrder?
        try r.readStruct { r, f throws(ParquetError) in
            if result == nil {
                switch f.id {
                case 1: result = .typeDefinedOrder
                case 2: result = .ieee754TotalOrder
                default: result = .other(f.id)
                }
            }
            try r.skip(f.type)
        }
        guard let result else { throw r.error("ColumnOrder union has no member") }
        self = result
    }
}
