import FSCore

/// fs logical types to Parquet physical types and annotations (table-format.md §1.4): both the
/// legacy `converted_type` and the modern `logicalType` are written, as `LogicalTypes.md` asks,
/// and timestamps are UTC-adjusted microseconds (Delta's `timestamp`, not TIMESTAMP_NTZ).
extension DataType {
    public var parquetPhysicalType: PhysicalType {
        switch self {
        case .boolean: return .boolean
        case .int32, .date: return .int32
        case .int64, .timestamp: return .int64
        case .double: return .double
        case .string: return .byteArray
        }
    }

    public var parquetConvertedType: ConvertedType? {
        switch self {
        case .string: return .utf8
        case .date: return .date
        case .timestamp: return .timestampMicros
        case .boolean, .int32, .int64, .double: return nil
        }
    }

    public var parquetLogicalType: LogicalType? {
        switch self {
        case .string: return .string
        case .date: return .date
        case .timestamp: return .timestamp(isAdjustedToUTC: true, unit: .micros)
        case .boolean, .int32, .int64, .double: return nil
        }
    }
}

/// The schema element of a leaf column: REQUIRED when the field is not nullable.
public func schemaElement(for field: Field) -> SchemaElement {
    schemaElement(name: field.name, type: field.type, repetition: field.isNullable ? .optional : .required)
}

/// The schema element of a leaf of type `type`.
public func schemaElement(name: String, type: DataType, repetition: Repetition) -> SchemaElement {
    SchemaElement(type: type.parquetPhysicalType, repetitionType: repetition, name: name,
                  convertedType: type.parquetConvertedType, logicalType: type.parquetLogicalType)
}
