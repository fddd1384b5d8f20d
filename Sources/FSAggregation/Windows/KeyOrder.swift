import FSCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sorting key-table ids by their keys' values: the key order of key-major emission
/// (`WindowRowOrder.keyMajor`).
///
/// The order is the keys' own (strings by unsigned UTF-8 bytes — what Parquet statistics use —
/// numbers numerically, false before true, NULL first), never the ids', so a file's row order
/// does not depend on when keys were first seen or on key-table compactions and restarts.
/// Strings sort by their first 8 bytes as one big-endian integer and compare the rest only on
/// ties: a chunk sorts its few thousand distinct keys per day without a byte loop per compare.
enum KeyOrder {
    /// `ids` (distinct rows of `keys`) sorted by key value.
    static func sorted(_ ids: [UInt32], _ keys: Column) -> [UInt32] {
        let validity = keys.validity
        let nulls = validity.map { v in ids.filter { !v.isValid(Int($0)) } } ?? []
        let present = validity.map { v in ids.filter { v.isValid(Int($0)) } } ?? ids
        let ordered: [UInt32]
        switch keys.values {
        case .string(let s): ordered = sortedStrings(present, s)
        case .int64(let v): ordered = present.sorted { (v[Int($0)], $0) < (v[Int($1)], $1) }
        case .int32(let v): ordered = present.sorted { (v[Int($0)], $0) < (v[Int($1)], $1) }
        case .double(let v): ordered = present.sorted { Self.doubleLess(v[Int($0)], v[Int($1)]) || (v[Int($0)].bitPattern == v[Int($1)].bitPattern && $0 < $1) }
        case .boolean(let v): ordered = present.sorted { (v[Int($0)] ? 1 : 0, $0) < (v[Int($1)] ? 1 : 0, $1) }
        }
        return nulls + ordered
    }

    /// Total order of doubles by bit pattern class: IEEE order, NaN last.
    static func doubleLess(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return !a.isNaN && b.isNaN }
        return a < b || (a == b && a.sign == .minus && b.sign == .plus)
    }

    private static func sortedStrings(_ ids: [UInt32], _ s: StringArray) -> [UInt32] {
        struct Item { var prefix: UInt64; var id: UInt32 }
        return s.offsets.withUnsafeBufferPointer { off in
            s.bytes.withUnsafeBytes { raw -> [UInt32] in
                let base = raw.baseAddress
                var items = ids.map { id -> Item in
                    let from = off[Int(id)], length = off[Int(id) + 1] - from
                    var prefix: UInt64 = 0
                    for i in 0..<8 { prefix <<= 8; if i < length, let b = base { prefix |= UInt64(b.load(fromByteOffset: from + i, as: UInt8.self)) } }
                    return Item(prefix: prefix, id: id)
                }
                items.sort { a, b in
                    if a.prefix != b.prefix { return a.prefix < b.prefix }
                    let fa = off[Int(a.id)], la = off[Int(a.id) + 1] - fa
                    let fb = off[Int(b.id)], lb = off[Int(b.id) + 1] - fb
                    if let p = base, Swift.min(la, lb) > 8 {
                        let c = memcmp(p + fa + 8, p + fb + 8, Swift.min(la, lb) - 8)
                        if c != 0 { return c < 0 }
                    }
                    return la != lb ? la < lb : a.id < b.id
                }
                return items.map(\.id)
            }
        }
    }
}
