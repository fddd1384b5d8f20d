/// One node of the flattened schema tree in the footer: the root, a group, or a leaf column.
///
/// The tree is stored depth-first; a group says how many children follow with `numChildren`.
/// Leaves carry `type`; the root carries only `name` and `numChildren`.
public struct SchemaElement: ThriftStruct, Hashable {
    public var type: PhysicalType?
    public var typeLength: Int32?
    public var repetitionType: Repetition?
    public var name: String
    public var numChildren: Int32?
    public var convertedType: ConvertedType?
    public var scale: Int32?
    public var precision: Int32?
    public var fieldId: Int32?
    public var logicalType: LogicalType?

    public static let fields: [ThriftField<Self>] = [
        .optional(1, "type", \.type), .optional(2, "type_length", \.typeLength),
        .optional(3, "repetition_type", \.repetitionType), .field(4, "name", \.name),
        .optional(5, "num_children", \.numChildren), .optional(6, "converted_type", \.convertedType),
        .optional(7, "scale", \.scale), .optional(8, "precision", \.precision), .optional(9, "field_id", \.fieldId),
        .optional(10, "logicalType", \.logicalType),
    ]
    public static let unset = Self(name: "")
}

/// One entry of key/value metadata (`ARROW:schema`, Spark's row metadata, ...).
public struct KeyValue: ThriftStruct, Hashable {
    public var key: String
    public var value: String?

    public static let fields: [ThriftField<Self>] = [.field(1, "key", \.key), .optional(2, "value", \.value)]
    public static let unset = Self(key: "")
}
