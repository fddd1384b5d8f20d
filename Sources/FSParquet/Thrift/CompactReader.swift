/// One decoded field header: the absolute field id and the wire type.
public struct CompactFieldHeader: Sendable, Equatable {
    public var id: Int16
    public var type: CompactType
}

/// Decodes Thrift compact protocol bytes: footers and page headers, ours and other writers'.
///
/// Every read is bounds-checked and throws `ParquetError.corruptMetadata` naming the file and the
/// byte offset, so a truncated or hostile footer is an error, never a crash. Unknown fields are
/// skipped generically by their wire type (writers keep adding fields: `size_statistics`,
/// geospatial statistics, ...), and nesting is capped so a malicious input cannot overflow the
/// stack.
public struct CompactReader: Sendable {
    /// The file name used in error messages.
    public let file: String
    private let bytes: [UInt8]
    /// Offset of the next unread byte in `bytes`.
    public private(set) var position: Int
    private var lastFieldId: Int16 = 0
    private var depth = 0

    /// Structs nested deeper than this are rejected (Parquet's deepest real nesting is ~6).
    public static let maxDepth = 64

    public init(bytes: [UInt8], offset: Int = 0, file: String = "<memory>") {
        self.bytes = bytes
        self.position = offset
        self.file = file
    }

    /// A corrupt-metadata error at the current position.
    public func error(_ reason: String) -> ParquetError {
        .corruptMetadata(file: file, offset: position, reason: reason)
    }

    // MARK: - Primitives

    public mutating func readByte() throws(ParquetError) -> UInt8 {
        guard position < bytes.count else { throw error("unexpected end of data") }
        defer { position += 1 }
        return bytes[position]
    }

    /// Unsigned LEB128, at most 10 bytes.
    public mutating func readVarint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try readByte()
            if shift == 63 && b > 1 { throw error("varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A zigzag varint as a signed 64-bit integer.
    public mutating func readZigzag() throws(ParquetError) -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    public mutating func readI8() throws(ParquetError) -> Int8 { Int8(bitPattern: try readByte()) }

    public mutating func readI16() throws(ParquetError) -> Int16 {
        let v = try readZigzag()
        guard let r = Int16(exactly: v) else { throw error("i16 value \(v) out of range") }
        return r
    }

    public mutating func readI32() throws(ParquetError) -> Int32 {
        let v = try readZigzag()
        guard let r = Int32(exactly: v) else { throw error("i32 value \(v) out of range") }
        return r
    }

    public mutating func readI64() throws(ParquetError) -> Int64 { try readZigzag() }

    public mutating func readDouble() throws(ParquetError) -> Double {
        guard bytes.count - position >= 8 else { throw error("unexpected end of data in double") }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        position += 8
        return Double(bitPattern: bits)
    }

    /// Varint length, then that many raw bytes.
    public mutating func readBinary() throws(ParquetError) -> [UInt8] {
        let n = try readLength("binary")
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    /// A binary field decoded as UTF-8 (invalid sequences become U+FFFD rather than failing).
    public mutating func readString() throws(ParquetError) -> String {
        let n = try readLength("string")
        defer { position += n }
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[position..<position + n]), as: UTF8.self)
        }
    }

    private mutating func readLength(_ what: String) throws(ParquetError) -> Int {
        let n = try readVarint()
        guard n <= UInt64(bytes.count - position) else {
            throw error("\(what) length \(n) exceeds the \(bytes.count - position) remaining bytes")
        }
        return Int(n)
    }

    /// A list element of type bool: 1 is true, anything else false (Java writes 1/2, the spec 1/0).
    public mutating func readBoolElement() throws(ParquetError) -> Bool { try readByte() == 1 }

    // MARK: - Containers

    /// A list (or set) header: element type and count. The count is checked against the bytes
    /// left (every element takes at least one byte), so it is safe to reserve capacity with it.
    public mutating func readListHeader() throws(ParquetError) -> (elementType: CompactType, count: Int) {
        let b = try readByte()
        let type = CompactType(rawValue: b & 0x0F)
        var count = UInt64(b >> 4)
        if count == 15 { count = try readVarint() }
        guard count <= UInt64(bytes.count - position) else {
            throw error("list of \(count) elements exceeds the \(bytes.count - position) remaining bytes")
        }
        return (type, Int(count))
    }

    /// Reads the fields of one struct up to its stop byte, calling `body` for each field header.
    /// `body` must consume the field's value (a `read...` call or `skip(_:)`); bool fields carry
    /// their value in the header (`CompactFieldHeader.type`), so they need no read.
    public mutating func readStruct(
        _ body: (inout CompactReader, CompactFieldHeader) throws(ParquetError) -> Void
    ) throws(ParquetError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("structs nested deeper than \(Self.maxDepth)") }
        let outer = lastFieldId
        lastFieldId = 0
        while true {
            let b = try readByte()
            if b == 0 { break }
            let type = CompactType(rawValue: b & 0x0F)
            let delta = Int16(b >> 4)
            let id: Int16
            if delta == 0 {
                id = try readI16()
            } else {
                let (sum, overflow) = lastFieldId.addingReportingOverflow(delta)
                guard !overflow else { throw error("field id overflows i16") }
                id = sum
            }
            lastFieldId = id
            try body(&self, CompactFieldHeader(id: id, type: type))
        }
        lastFieldId = outer
        depth -= 1
    }

    /// Skips one value of wire type `type`, recursing into containers.
    public mutating func skip(_ type: CompactType) throws(ParquetError) {
        switch type {
        case .boolTrue, .boolFalse:
            return  // field context: the value is the type nibble
        case .i8:
            _ = try readByte()
        case .i16, .i32, .i64:
            _ = try readVarint()
        case .double:
            try skipBytes(8)
        case .binary:
            position += try readLength("binary")
        case .list, .set:
            let (elementType, count) = try readListHeader()
            for _ in 0..<count { try skipElement(elementType) }
        case .map:
            let count = try readVarint()
            guard count <= UInt64(bytes.count - position) else { throw error("map of \(count) entries exceeds the data") }
            if count > 0 {
                let kv = try readByte()
                for _ in 0..<count {
                    try skipElement(CompactType(rawValue: kv >> 4))
                    try skipElement(CompactType(rawValue: kv & 0x0F))
                }
            }
        case .struct:
            try readStruct { r, f throws(ParquetError) in try r.skip(f.type) }
        case CompactType(rawValue: 13):
            try skipBytes(16)  // UUID (newer Thrift): 16 raw bytes
        default:
            throw error("unknown compact type code \(type.rawValue)")
        }
    }

    /// Skips a container element: like `skip`, except that bools take one byte.
    private mutating func skipElement(_ type: CompactType) throws(ParquetError) {
        if type.isBool { _ = try readByte() } else { try skip(type) }
    }

    private mutating func skipBytes(_ n: Int) throws(ParquetError) {
        guard bytes.count - position >= n else { throw error("unexpected end of data") }
        position += n
    }

    // MARK: - Typed field reads

    /// Checks that field `f` has wire type `expected` (a required guard before reading it).
    public func expect(_ f: CompactFieldHeader, _ expected: CompactType, in structName: String) throws(ParquetError) {
        let ok = expected.isBool ? f.type.isBool : f.type == expected
        guard ok else {
            throw error("\(structName) field \(f.id) has wire type \(f.type), expected \(expected)")
        }
    }

    public mutating func readI32(_ f: CompactFieldHeader, in s: String) throws(ParquetError) -> Int32 {
        try expect(f, .i32, in: s); return try readI32()
    }

    public mutating func readI8(_ f: CompactFieldHeader, in s: String) throws(ParquetError) -> Int8 {
        try expect(f, .i8, in: s); return try readI8()
    }

    public mutating func readBinary(_ f: CompactFieldHeader, in s: String) throws(ParquetError) -> [UInt8] {
        try expect(f, .binary, in: s); return try readBinary()
    }

    /// A bool field's value, carried by its type nibble (1 true, 2 false).
    public func readBool(_ f: CompactFieldHeader, in s: String) throws(ParquetError) -> Bool {
        try expect(f, .boolTrue, in: s); return f.type == .boolTrue
    }

    /// A struct field decoded with `T(decoding:)`.
    public mutating func readStruct<T: CompactDecodable>(_ f: CompactFieldHeader, in s: String) throws(ParquetError) -> T {
        try expect(f, .struct, in: s)
        return try T(decoding: &self)
    }
}

/// A Thrift struct that encodes itself as compact protocol bytes.
public protocol CompactEncodable {
    /// Writes the struct's fields and its stop byte (call inside `writeStruct` contexts via
    /// `CompactWriter.write(_:)`).
    func encodeFields(to w: inout CompactWriter)
}

/// A Thrift struct that decodes itself from compact protocol bytes, skipping unknown fields.
public protocol CompactDecodable {
    /// Reads one whole struct, through its stop byte.
    init(decoding r: inout CompactReader) throws(ParquetError)
}

extension CompactEncodable {
    /// This struct as standalone compact bytes (a footer, a page header).
    public func encoded() -> [UInt8] {
        var w = CompactWriter()
        w.write(self)
        return w.bytes
    }

    /// Appends this struct (fields and stop byte) to `w`.
    public func encode(to w: inout CompactWriter) { w.write(self) }
}

extension CompactDecodable {
    /// Decodes one struct from `bytes` starting at `offset`; also returns the encoded length
    /// (page headers are followed by their body).
    public static func decode(_ bytes: [UInt8], offset: Int = 0, file: String = "<memory>") throws(ParquetError) -> (value: Self, length: Int) {
        var r = CompactReader(bytes: bytes, offset: offset, file: file)
        let v = try Self(decoding: &r)
        return (v, r.position - offset)
    }
}

extension CompactWriter {
    /// Writes a struct value with its own field-id counter and stop byte.
    public mutating func write<T: CompactEncodable>(_ value: T) {
        writeStruct { value.encodeFields(to: &$0) }
    }

    /// A struct-valued field.
    public mutating func writeField<T: CompactEncodable>(_ id: Int16, _ value: T) {
        writeFieldHeader(id: id, type: .struct)
        write(value)
    }
}
