/// One field of a Thrift struct, described once for both directions: id, IDL name, and a key
/// path to the Swift property that holds it.
///
/// A struct lists its fields (`ThriftStruct.fields`) the way parquet.thrift does, and the
/// compact codec follows the list: encoding writes them in order (absent optionals skipped),
/// decoding dispatches on the id, skips unknown ids, and names the first missing required field.
public struct ThriftField<Root>: Sendable {
    public let id: Int16
    /// The IDL name (`num_rows`), used in error messages.
    public let name: String
    /// Decoding fails without it.
    public let isRequired: Bool
    let write: @Sendable (Root, inout CompactWriter) -> Void
    let read: @Sendable (inout Root, inout CompactReader, CompactFieldHeader) throws(ParquetError) -> Void

    /// A field that is always written. `isRequired: false` keeps a value a reader may find
    /// absent (the struct's `unset` value stands then).
    public static func field<V: CompactValue>(
        _ id: Int16, _ name: String, _ path: WritableKeyPath<Root, V> & Sendable, isRequired: Bool = true
    ) -> Self {
        Self(id: id, name: name, isRequired: isRequired,
             write: { root, w in root[keyPath: path].writeField(id, to: &w) },
             read: { root, r, f throws(ParquetError) in root[keyPath: path] = try V.readField(f, from: &r, in: "\(Root.self)") })
    }

    /// A required count or size: a negative value is refused as corrupt.
    public static func count(_ id: Int16, _ name: String, _ path: WritableKeyPath<Root, Int32> & Sendable) -> Self {
        Self(id: id, name: name, isRequired: true,
             write: { root, w in root[keyPath: path].writeField(id, to: &w) },
             read: { root, r, f throws(ParquetError) in
                 let n = try Int32.readField(f, from: &r, in: "\(Root.self)")
                 guard n >= 0 else { throw r.error("\(Root.self) has negative \(name) (\(n))") }
                 root[keyPath: path] = n
             })
    }

    /// An optional field: written only when set.
    public static func optional<V: CompactValue>(_ id: Int16, _ name: String, _ path: WritableKeyPath<Root, V?> & Sendable) -> Self {
        Self(id: id, name: name, isRequired: false,
             write: { root, w in root[keyPath: path]?.writeField(id, to: &w) },
             read: { root, r, f throws(ParquetError) in root[keyPath: path] = try V.readField(f, from: &r, in: "\(Root.self)") })
    }

    /// An optional `binary` field (raw bytes, such as statistics bounds).
    public static func binary(_ id: Int16, _ name: String, _ path: WritableKeyPath<Root, [UInt8]?> & Sendable) -> Self {
        Self(id: id, name: name, isRequired: false,
             write: { root, w in if let v = root[keyPath: path] { w.writeField(id, binary: v) } },
             read: { root, r, f throws(ParquetError) in root[keyPath: path] = try r.readBinary(f, in: "\(Root.self)") })
    }
}

/// A Thrift struct whose compact codec is its field list.
public protocol ThriftStruct: CompactValue, CompactEncodable, CompactDecodable, Sendable {
    /// The fields in ascending id order, the order they are written in.
    static var fields: [ThriftField<Self>] { get }
    /// Where decoding starts: every required field overwrites its part, optionals stay nil.
    static var unset: Self { get }
}

extension ThriftStruct {
    public func encodeFields(to w: inout CompactWriter) {
        for field in Self.fields { field.write(self, &w) }
    }

    public init(decoding r: inout CompactReader) throws(ParquetError) {
        let fields = Self.fields
        var value = Self.unset
        var seen: UInt64 = 0
        try r.readStruct { r, f throws(ParquetError) in
            guard let i = fields.firstIndex(where: { $0.id == f.id }) else { return try r.skip(f.type) }
            try fields[i].read(&value, &r, f)
            seen |= 1 << UInt64(i)
        }
        if let missing = fields.indices.first(where: { fields[$0].isRequired && seen & (1 << UInt64($0)) == 0 }) {
            throw r.error("\(Self.self) is missing required field \(fields[missing].name)")
        }
        self = value
    }
}
