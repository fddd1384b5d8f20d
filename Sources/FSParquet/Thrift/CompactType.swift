/// The 4-bit type codes of the Thrift compact protocol ("Thrift Compact protocol encoding").
///
/// They appear in field headers and list headers. Codes outside 1...12 (for example 13, UUID,
/// from newer Thrift versions) are kept as raw values so a reader can still reject them with an
/// error that names the byte offset instead of crashing.
public struct CompactType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A bool *field* whose value is true (the type nibble carries the value).
    public static let boolTrue = CompactType(rawValue: 1)
    /// A bool *field* whose value is false; also the element type of a list<bool>.
    public static let boolFalse = CompactType(rawValue: 2)
    public static let i8 = CompactType(rawValue: 3)
    public static let i16 = CompactType(rawValue: 4)
    public static let i32 = CompactType(rawValue: 5)
    public static let i64 = CompactType(rawValue: 6)
    public static let double = CompactType(rawValue: 7)
    public static let binary = CompactType(rawValue: 8)
    public static let list = CompactType(rawValue: 9)
    public static let set = CompactType(rawValue: 10)
    public static let map = CompactType(rawValue: 11)
    public static let `struct` = CompactType(rawValue: 12)

    /// True for the two codes a bool field header may carry.
    public var isBool: Bool { self == .boolTrue || self == .boolFalse }

    public var description: String {
        switch self {
        case .boolTrue: return "bool(true)"
        case .boolFalse: return "bool"
        case .i8: return "i8"
        case .i16: return "i16"
        case .i32: return "i32"
        case .i64: return "i64"
        case .double: return "double"
        case .binary: return "binary"
        case .list: return "list"
        case .set: return "set"
        case .map: return "map"
        case .struct: return "struct"
        default: return "type(\(rawValue))"
        }
    }
}
