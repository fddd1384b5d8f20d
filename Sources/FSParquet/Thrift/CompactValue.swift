/// A value that can stand in a Thrift compact field or list element: its wire type and how it
/// is written and read.
///
/// One conformance per wire type (integers, bool, string, enums, structs, lists) replaces a
/// `writeField`/`read…` pair per type and per struct field: `ThriftField` builds a struct's
/// codec from key paths to such values.
public protocol CompactValue: Sendable {
    /// The wire type in a field header, and the element type in a list header.
    static var compactType: CompactType { get }
    /// Writes the value alone, as a list element or after its field header.
    func writeValue(to w: inout CompactWriter)
    /// Reads the value alone; the wire type has been checked.
    static func readValue(from r: inout CompactReader) throws(ParquetError) -> Self
    /// Writes a field: header then value (a bool carries its value in the header).
    func writeField(_ id: Int16, to w: inout CompactWriter)
    /// Reads the value of field `f` of struct `s`, refusing a wire type other than `compactType`.
    static func readField(_ f: CompactFieldHeader, from r: inout CompactReader, in s: String) throws(ParquetError) -> Self
}

extension CompactValue {
    public func writeField(_ id: Int16, to w: inout CompactWriter) {
        w.writeFieldHeader(id: id, type: Self.compactType)
        writeValue(to: &w)
    }

    public static func readField(_ f: CompactFieldHeader, from r: inout CompactReader, in s: String) throws(ParquetError) -> Self {
        try r.expect(f, compactType, in: s)
        return try readValue(from: &r)
    }
}

extension Bool: CompactValue {
    /// Code 2 as a list element type; a field header carries 1 (true) or 2 (false) instead.
    public static var compactType: CompactType { .boolFalse }
    public func writeValue(to w: inout CompactWriter) { w.writeBoolElement(self) }
    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> Bool { try r.readBoolElement() }
    public func writeField(_ id: Int16, to w: inout CompactWriter) { w.writeField(id, bool: self) }
    public static func readField(_ f: CompactFieldHeader, from r: inout CompactReader, in s: String) throws(ParquetError) -> Bool {
        try r.readBool(f, in: s)
    }
}

extension Int16: CompactValue {
    public static var compactType: CompactType { .i16 }
    public func writeValue(to w: inout CompactWriter) { w.writeZigzag(Int64(self)) }
    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> Int16 { try r.readI16() }
}

extension Int32: CompactValue {
    public static var compactType: CompactType { .i32 }
    public func writeValue(to w: inout CompactWriter) { w.writeI32(self) }
    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> Int32 { try r.readI32() }
}

extension Int64: CompactValue {
    public static var compactType: CompactType { .i64 }
    public func writeValue(to w: inout CompactWriter) { w.writeI64(self) }
    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> Int64 { try r.readI64() }
}

extension String: CompactValue {
    public static var compactType: CompactType { .binary }
    public func writeValue(to w: inout CompactWriter) { w.writeString(self) }
    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> String { try r.readString() }
}

/// Enums are i32 on the wire; an unknown value still decodes (see `ThriftEnum`).
extension ThriftEnum {
    public static var compactType: CompactType { .i32 }
    public func writeValue(to w: inout CompactWriter) { w.writeI32(rawValue) }
    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> Self { Self(rawValue: try r.readI32()) }
}

/// Structs and unions nest with their own field-id counter and stop byte.
extension CompactValue where Self: CompactEncodable & CompactDecodable {
    public static var compactType: CompactType { .struct }
    public func writeValue(to w: inout CompactWriter) { w.write(self) }
    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> Self { try Self(decoding: &r) }
}

/// `list<T>`: the list header names the element type, which a reader checks before the elements.
extension Array: CompactValue where Element: CompactValue {
    public static var compactType: CompactType { .list }

    public func writeValue(to w: inout CompactWriter) {
        w.writeListHeader(count: count, elementType: Element.compactType)
        for element in self { element.writeValue(to: &w) }
    }

    public static func readValue(from r: inout CompactReader) throws(ParquetError) -> [Element] {
        try readElements(from: &r, context: "")
    }

    public static func readField(_ f: CompactFieldHeader, from r: inout CompactReader, in s: String) throws(ParquetError) -> [Element] {
        try r.expect(f, .list, in: s)
        return try readElements(from: &r, context: "\(s) field \(f.id): ")
    }

    /// The list header, a check of its element type (`context` starts the error), the elements.
    private static func readElements(from r: inout CompactReader, context: String) throws(ParquetError) -> [Element] {
        let (type, count) = try r.readListHeader()
        let matches = Element.compactType.isBool ? type.isBool : type == Element.compactType
        guard matches else { throw r.error("\(context)list of \(type), expected \(Element.compactType)") }
        var out: [Element] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try Element.readValue(from: &r)) }
        return out
    }
}
