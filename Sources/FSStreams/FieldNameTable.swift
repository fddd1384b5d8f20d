import FSCore

/// A stream's payload field names, for finding which field a JSON key names: one flat byte
/// buffer, a hash table for any key, and the field each field was last followed by.
///
/// Why: the parser looks up ~20–30 keys a message. It first compares the key it expects in
/// place (`JSONScanner.consumeKey`), and that guess used to be "the field after the last one
/// in `StreamType.fields`' order". Producers keep one order message after message, but not
/// necessarily that one (the bench's orders come sorted by name, `cpf` before `customer_id`),
/// so two keys a message missed and fell back to a scan over all names; and the names were an
/// array of arrays, a chain of dependent loads before the first byte compared (the hottest
/// instruction of `parseObject`, perf annotate). Here the guess is learned — whatever field
/// followed this one last time — and a name is a pointer and a length into one buffer.
///
/// The successor hints are shared by copies of the table (they live in the same storage):
/// they are only guesses, verified byte by byte before use, so sharing cannot change a result.
struct FieldNameTable {
    private final class Storage {
        /// The names back to back, each as the key of a member: `"name":`.
        let bytes: UnsafeMutablePointer<UInt8>
        /// Per field, its name's start in `bytes` and its length.
        let starts: UnsafeMutablePointer<Int>
        let lengths: UnsafeMutablePointer<Int>
        /// Open addressing, `mask + 1` entries: field index + 1, or 0 for empty.
        let buckets: UnsafeMutablePointer<Int32>
        let mask: Int
        /// `successor[f + 1]`: the field that came after field f last time (`successor[0]`:
        /// the first key of the last message).
        let successor: UnsafeMutablePointer<Int32>
        let count: Int

        init(_ names: [String]) {
            count = names.count
            let total = names.reduce(0) { $0 + $1.utf8.count + 3 }
            bytes = .allocate(capacity: Swift.max(total, 1))
            starts = .allocate(capacity: Swift.max(count, 1))
            lengths = .allocate(capacity: Swift.max(count, 1))
            var size = 8
            while size < 4 * count { size *= 2 }
            mask = size - 1
            buckets = .allocate(capacity: size)
            buckets.initialize(repeating: 0, count: size)
            successor = .allocate(capacity: count + 1)
            var at = 0
            for (f, name) in names.enumerated() {
                bytes[at] = 0x22
                at += 1
                starts[f] = at
                lengths[f] = name.utf8.count
                for c in name.utf8 { bytes[at] = c; at += 1 }
                bytes[at] = 0x22
                bytes[at + 1] = 0x3A
                at += 2
                successor[f] = Int32(f)
            }
            successor[count] = Int32(count)
            for f in 0..<count {
                var b = Self.hash(bytes + starts[f], lengths[f]) & mask
                // A repeated name keeps its first field, as a linear scan would.
                while buckets[b] != 0, !Self.same(self, Int(buckets[b]) - 1, bytes + starts[f], lengths[f]) { b = (b + 1) & mask }
                if buckets[b] == 0 { buckets[b] = Int32(f + 1) }
            }
        }

        deinit {
            bytes.deallocate(); starts.deallocate(); lengths.deallocate(); buckets.deallocate(); successor.deallocate()
        }

        @inline(__always)
        static func same(_ s: Storage, _ f: Int, _ key: UnsafePointer<UInt8>, _ n: Int) -> Bool {
            s.lengths[f] == n && bytesEqual(s.bytes + s.starts[f], key, n)
        }

        /// A hash of the length and the first and last eight bytes (fewer: bytewise), so a
        /// lookup costs the same for any name length. It runs when the guess missed: for a
        /// message's unknown keys (the bench's orders carry `order_scheduled_date`, which the
        /// schema leaves out) once per message, where FNV over every byte was 1% of the thread.
        static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
            let raw = UnsafeRawPointer(p)
            var h = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
            if n >= 8 {
                h ^= raw.loadUnaligned(as: UInt64.self)
                h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
                h ^= raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else {
                for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01B3 }
            }
            h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: h ^ (h >> 32))
        }
    }

    private let storage: Storage

    init(names: [String]) { storage = Storage(names) }

    var count: Int { storage.count }

    /// Field f's name as raw bytes (valid while the table lives).
    @inline(__always)
    func name(_ f: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.bytes + storage.starts[f], count: storage.lengths[f])
    }

    /// Field f's name as a member's key, quotes and colon included (`"name":`): what
    /// `JSONScanner.consumeKey(member:)` compares in one go for compact JSON.
    @inline(__always)
    func member(_ f: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.bytes + storage.starts[f] - 1, count: storage.lengths[f] + 3)
    }

    /// The field expected after `previous` (-1: at the start of an object).
    @inline(__always)
    func guess(after previous: Int) -> Int { Int(storage.successor[previous + 1]) }

    /// Remembers that `field` came after `previous` (-1: first key), for the next `guess`.
    @inline(__always)
    func learn(_ field: Int, after previous: Int) { storage.successor[previous + 1] = Int32(field) }

    /// The field named by the (unescaped) key, or nil when the stream has none of that name.
    func field(named key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let k = key.baseAddress else { return field(emptyName: ()) }
        let s = storage
        var b = Storage.hash(k, key.count) & s.mask
        while s.buckets[b] != 0 {
            let f = Int(s.buckets[b]) - 1
            if Storage.same(s, f, k, key.count) { return f }
            b = (b + 1) & s.mask
        }
        return nil
    }

    /// The field with an empty name, if any (a key `""`).
    private func field(emptyName: Void) -> Int? {
        (0..<count).first { storage.lengths[$0] == 0 }
    }
}
