/// Appends Thrift compact protocol bytes: the encoder of every footer and page header.
///
/// Field ids are delta-encoded against the previous field of the *same* struct, so the writer
/// keeps a stack of "last field id" counters: `writeStruct` pushes a fresh 0 for the nested
/// struct and restores the outer counter afterwards (table-format.md §1.2). Fields must be
/// written in ascending id order; absent optional fields are simply not written.
public struct CompactWriter: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8] = []
    private var lastFieldId: Int16 = 0
    private var outerFieldIds: [Int16] = []

    public init() {}

    public init(reservingCapacity n: Int) { bytes.reserveCapacity(n) }

    // MARK: - Primitives

    /// Unsigned LEB128: 7 bits per byte, least significant group first.
    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Zigzag then varint: how the compact protocol writes i16, i32 and i64.
    public mutating func writeZigzag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Varint length then the raw bytes.
    public mutating func writeBinary<C: Collection>(_ value: C) where C.Element == UInt8 {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A string as binary: varint length then UTF-8, no terminator.
    public mutating func writeString(_ value: String) {
        writeBinary(value.utf8)
    }

    /// 8 bytes little-endian IEEE (the compact protocol differs from the binary one here).
    public mutating func writeDouble(_ value: Double) {
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
    }

    // MARK: - Fields

    /// A field header: one byte `(delta << 4) | type` when the id delta is 1...15, else the type
    /// byte followed by the zigzag varint of the id.
    public mutating func writeFieldHeader(id: Int16, type: CompactType) {
        let delta = Int(id) - Int(lastFieldId)
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta << 4) | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            writeZigzag(Int64(id))
        }
        lastFieldId = id
    }

    public mutating func writeField(_ id: Int16, bool value: Bool) {
        writeFieldHeader(id: id, type: value ? .boolTrue : .boolFalse)
    }

    public mutating func writeField(_ id: Int16, i8 value: Int8) {
        writeFieldHeader(id: id, type: .i8)
        bytes.append(UInt8(bitPattern: value))
    }

    public mutating func writeField(_ id: Int16, i32 value: Int32) {
        writeFieldHeader(id: id, type: .i32)
        writeZigzag(Int64(value))
    }

    public mutating func writeField(_ id: Int16, double value: Double) {
        writeFieldHeader(id: id, type: .double)
        writeDouble(value)
    }

    public mutating func writeField(_ id: Int16, binary value: [UInt8]) {
        writeFieldHeader(id: id, type: .binary)
        writeBinary(value)
    }

    /// A struct-valued field: header, then `body` writes the nested fields with its own id
    /// counter, then the stop byte.
    public mutating func writeField(_ id: Int16, struct body: (inout CompactWriter) -> Void) {
        writeFieldHeader(id: id, type: .struct)
        writeStruct(body)
    }

    // MARK: - Containers

    /// A nested struct (a list element, or the body of a struct field): saves the outer field id
    /// counter, starts at 0, writes the stop byte, restores the counter.
    public mutating func writeStruct(_ body: (inout CompactWriter) -> Void) {
        outerFieldIds.append(lastFieldId)
        lastFieldId = 0
        body(&self)
        bytes.append(0)
        lastFieldId = outerFieldIds.removeLast()
    }

    /// List header: `(size << 4) | type` for 0...14 elements, else `0xF0 | type` + varint size.
    /// Bool elements use type code 2 and are written one byte each (1 true, 0 false).
    public mutating func writeListHeader(count: Int, elementType: CompactType) {
        if count < 15 {
            bytes.append(UInt8(count << 4) | elementType.rawValue)
        } else {
            bytes.append(0xF0 | elementType.rawValue)
            writeVarint(UInt64(count))
        }
    }

    /// A list element of type i32 (or an enum).
    public mutating func writeI32(_ value: Int32) { writeZigzag(Int64(value)) }

    /// A list element of type i64.
    public mutating func writeI64(_ value: Int64) { writeZigzag(value) }

    /// A list element of type bool.
    public mutating func writeBoolElement(_ value: Bool) { bytes.append(value ? 1 : 0) }
}
