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
    @inline(__always)
    public static func field<V: CompactValue>(
        _ id: Int16, _ name: String, _ path: WritableKeyPath<Root, V> & Sendable, isRequired: Bool = true
    ) -> Self {
        let p = StoredProperty(path)
        return Self(id: id, name: name, isRequired: isRequired,
                    write: { root, w in p.get(root).writeField(id, to: &w) },
                    read: { root, r, f throws(ParquetError) in p.set(&root, try V.readField(f, from: &r, in: "\(Root.self)")) })
    }

    /// A required count or size: a negative value is refused as corrupt.
    @inline(__always)
    public static func count(_ id: Int16, _ name: String, _ path: WritableKeyPath<Root, Int32> & Sendable) -> Self {
        let p = StoredProperty(path)
        return Self(id: id, name: name, isRequired: true,
                    write: { root, w in p.get(root).writeField(id, to: &w) },
                    read: { root, r, f throws(ParquetError) in
                        let n = try Int32.readField(f, from: &r, in: "\(Root.self)")
                        guard n >= 0 else { throw r.error("\(Root.self) has negative \(name) (\(n))") }
                        p.set(&root, n)
                    })
    }

    /// An optional field: written only when set.
    @inline(__always)
    public static func optional<V: CompactValue>(_ id: Int16, _ name: String, _ path: WritableKeyPath<Root, V?> & Sendable) -> Self {
        let p = StoredProperty(path)
        return Self(id: id, name: name, isRequired: false,
                    write: { root, w in p.get(root)?.writeField(id, to: &w) },
                    read: { root, r, f throws(ParquetError) in p.set(&root, try V.readField(f, from: &r, in: "\(Root.self)")) })
    }

    /// An optional `binary` field (raw bytes, such as statistics bounds).
    @inline(__always)
    public static func binary(_ id: Int16, _ name: String, _ path: WritableKeyPath<Root, [UInt8]?> & Sendable) -> Self {
        let p = StoredProperty(path)
        return Self(id: id, name: name, isRequired: false,
                    write: { root, w in if let v = p.get(root) { w.writeField(id, binary: v) } },
                    read: { root, r, f throws(ParquetError) in p.set(&root, try r.readBinary(f, in: "\(Root.self)")) })
    }
}

/// A key path to a stored property, resolved once to the property's byte offset in `Root`.
///
/// Why: `root[keyPath:]` goes through the key-path runtime on every access, which was most of
/// the cost of encoding and decoding page headers and footers (~4% of fs-agg-online's CPU: 365
/// input footers of 22 columns read, 365 files written; bench/ANALYSIS.md). A stored property
/// of a struct sits at a fixed offset, so the codec reads and assigns it in place. A path that
/// `MemoryLayout.offset(of:)` does not resolve (not a stored property) goes through the key path.
struct StoredProperty<Root, Value>: Sendable {
    let path: WritableKeyPath<Root, Value> & Sendable
    let offset: Int?

    init(_ path: WritableKeyPath<Root, Value> & Sendable) {
        self.path = path
        offset = MemoryLayout<Root>.offset(of: path)
    }

    /// A copy of the property's value.
    @inline(__always)
    func get(_ root: Root) -> Value {
        guard let offset else { return root[keyPath: path] }
        return withUnsafeBytes(of: root) { $0.load(fromByteOffset: offset, as: Value.self) }
    }

    /// Assigns the property (the old value is released, as by `root[keyPath:] = value`).
    @inline(__always)
    func set(_ root: inout Root, _ value: Value) {
        guard let offset else { root[keyPath: path] = value; return }
        withUnsafeMutableBytes(of: &root) { bytes in
            (bytes.baseAddress! + offset).assumingMemoryBound(to: Value.self).pointee = value
        }
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
