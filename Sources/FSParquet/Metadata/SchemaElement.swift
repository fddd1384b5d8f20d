/// One node of the flattened schema tree in the footer: the root, a group, or a leaf column.
///
/// The tree is stored depth-first; a group says how many children follow with `numChildren`.
/// Leaves carry `type`; the root carries only `name` and `numChildren`.
public struct SchemaElement: Sendable, Hashable {
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

    public init(
        type: PhysicalType? = nil, typeLength: Int32? = nil, repetitionType: Repetition? = nil,
        name: String, numChildren: Int32? = nil, convertedType: ConvertedType? = nil,
        scale: Int32? = nil, precision: Int32? = nil, fieldId: Int32? = nil, logicalType: LogicalType? = nil
    ) {
        self.type = type
        self.typeLength = typeLength
        self.repetitionType = repetitionType
        self.name = name
        self.numChildren = numChildren
        self.convertedType = convertedType
        self.scale = scale
        self.precision = precision
        self.fieldId = fieldId
        self.logicalType = logicalType
    }
}

extension SchemaElement: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        if let type { w.writeField(1, i32: type.rawValue) }
        if let typeLength { w.writeField(2, i32: typeLength) }
        if let repetitionType { w.writeField(3, i32: repetitionType.rawValue) }
        w.writeField(4, string: name)
        if let numChildren { w.writeField(5, i32: numChildren) }
        if let convertedType { w.writeField(6, i32: convertedType.rawValue) }
        if let scale { w.writeField(7, i32: scale) }
        if let precision { w.writeField(8, i32: precision) }
        if let fieldId { w.writeField(9, i32: fieldId) }
        if let logicalType { w.writeField(10, logicalType) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let s = "SchemaElement"
        var e = SchemaElement(name: "")
        var hasName = false
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: e.type = PhysicalType(rawValue: try r.readI32(f, in: s))
            case 2: e.typeLength = try r.readI32(f, in: s)
            case 3: e.repetitionType = Repetition(rawValue: try r.readI32(f, in: s))
            case 4: e.name = try r.readString(f, in: s); hasName = true
            case 5: e.numChildren = try r.readI32(f, in: s)
            case 6: e.convertedType = ConvertedType(rawValue: try r.readI32(f, in: s))
            case 7: e.scale = try r.readI32(f, in: s)
            case 8: e.precision = try r.readI32(f, in: s)
            case 9: e.fieldId = try r.readI32(f, in: s)
            case 10: e.logicalType = try r.readStruct(f, in: s)
            default: try r.skip(f.type)
            }
        }
        guard hasName else { throw r.error("SchemaElement is missing required field name") }
        self = e
    }
}

/// One entry of key/value metadata (`ARROW:schema`, Spark's row metadata, ...).
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: String?

    public init(key: String, value: String?) {
        self.key = key
        self.value = value
    }
}

extension KeyValue: CompactEncodable, CompactDecodable {
    public func encodeFields(to w: inout CompactWriter) {
        w.writeField(1, string: key)
        if let value { w.writeField(2, string: value) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        var key: String?, value: String?
        try r.readStruct { r, f throws(ParquetError) in
            switch f.id {
            case 1: key = try r.readString(f, in: "KeyValue")
            case 2: value = try r.readString(f, in: "KeyValue")
            default: try r.skip(f.type)
            }
        }
        guard let key else { throw r.error("KeyValue is missing required field key") }
        self.init(key: key, value: value)
    }
}
