/// The tombstones of a snapshot by path, stored flat: the paths' UTF-8 bytes back to back in
/// 256 KiB chunks, one `Tombstone` per entry, and an open-addressing index of entry numbers.
///
/// ```
///  chunks[0]: fs_year=2019/…/part-00000-a….parquet fs_year=2019/…/part-00000-b….parquet …
///  starts:    (0, 0)                               (0, 81)                             …
///  values:    Tombstone(t, size)                   Tombstone(t, size)                  …
///  slots:     [-1, 1, -1, 0, …]   (hash of the path bytes → entry; linear probing)
/// ```
/// Chunks, not one array: an array that doubles holds its old and new buffers at once, which
/// at 100k paths was 7 MB of peak memory on top of the set.
///
/// A map of path to tombstone costs several hundred bytes per entry (a heap string per path, a
/// dictionary at most ¾ full that doubles when it grows; with `RemoveAction` values also a
/// partition-value map); this costs the path bytes plus about 45, and a copy of the set is a
/// few array copies rather than a retain per path. Measured with `fs-table writer-memory`
/// (debug build): 100k tombstones raise a writer's peak RSS by about 20 MB, of which the paths
/// are 8 (issue #13, item 5).
///
/// A path that is added again is marked dead, not moved: its bytes stay until the set is
/// rebuilt by `filter` (after each checkpoint), and a later removal of it revives the entry.
public struct TombstoneSet: Sendable {
    /// Path bytes; every chunk but the last is full as far as its paths go.
    private var chunks: [[UInt8]] = []
    /// Per entry: chunk index << 32 | offset in the chunk.
    private var starts: [UInt64] = []
    private var lengths: [UInt32] = []
    private var values: [Tombstone] = []
    private var dead: [Bool] = []
    /// Entry numbers by hash, -1 for empty; a power of two, at most half full.
    private var slots: [Int32] = []
    public private(set) var count = 0

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// The tombstone of `path`, if the set holds one.
    public subscript(path: String) -> Tombstone? {
        guard let i = entry(path), !dead[i] else { return nil }
        return values[i]
    }

    /// Records that `path` was removed (replacing an earlier tombstone of it).
    public mutating func insert(_ tombstone: Tombstone, path: String) {
        if let i = entry(path) {
            if dead[i] { dead[i] = false; count += 1 }
            values[i] = tombstone
            return
        }
        if (starts.count + 1) * 2 > slots.count { grow() }
        let i = starts.count
        var p = path
        p.withUTF8 { utf8 in
            if chunks.isEmpty || chunks[chunks.count - 1].count + utf8.count > chunks[chunks.count - 1].capacity {
                var chunk: [UInt8] = []
                chunk.reserveCapacity(Swift.max(Self.chunkBytes, utf8.count))
                chunks.append(chunk)
            }
            let c = chunks.count - 1
            starts.append(UInt64(c) << 32 | UInt64(chunks[c].count))
            lengths.append(UInt32(utf8.count))
            chunks[c].append(contentsOf: utf8)
        }
        values.append(tombstone)
        dead.append(false)
        count += 1
        place(i)
    }

    /// Bytes of one chunk of paths.
    static let chunkBytes = 256 << 10

    /// Forgets the tombstone of `path` (the file was added again); nothing when there is none.
    public mutating func remove(path: String) {
        guard !isEmpty, let i = entry(path), !dead[i] else { return }
        dead[i] = true
        count -= 1
    }

    /// Every path with its tombstone, in the order they were first removed.
    public func forEach<E: Error>(_ body: (String, Tombstone) throws(E) -> Void) throws(E) {
        for i in starts.indices where !dead[i] { try body(path(i), values[i]) }
    }

    /// Every path with its tombstone, in byte order of the paths (checkpoint row order). Only
    /// the entry numbers are sorted; each path becomes a `String` when it is visited.
    public func forEachSortedByPath<E: Error>(_ body: (String, Tombstone) throws(E) -> Void) throws(E) {
        var order = starts.indices.filter { !dead[$0] }
        order.sort { x, y in withPath(x) { a in withPath(y) { b in Self.less(a, b) } } }
        for i in order { try body(path(i), values[i]) }
    }

    /// The paths, in the order they were first removed.
    public var paths: [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        forEach { p, _ in out.append(p) }
        return out
    }

    /// The tombstones `isIncluded` keeps, in a set rebuilt without dead entries.
    public func filter(_ isIncluded: (Tombstone) -> Bool) -> TombstoneSet {
        var out = TombstoneSet()
        forEach { p, t in if isIncluded(t) { out.insert(t, path: p) } }
        return out
    }

    // MARK: Storage

    /// Calls `body` with the bytes of entry `i`'s path.
    private func withPath<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let c = Int(starts[i] >> 32), offset = Int(starts[i] & 0xFFFF_FFFF), n = Int(lengths[i])
        return chunks[c].withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset ..< offset + n])) }
    }

    private func path(_ i: Int) -> String { withPath(i) { String(decoding: $0, as: UTF8.self) } }

    /// The entry holding `path` (live or dead).
    private func entry(_ path: String) -> Int? {
        guard !slots.isEmpty else { return nil }
        var p = path
        return p.withUTF8 { key -> Int? in
            let mask = slots.count - 1
            var s = Self.hash(key) & mask
            while true {
                let i = Int(slots[s])
                if i < 0 { return nil }
                if Int(lengths[i]) == key.count, withPath(i, { Self.equal($0, key) }) { return i }
                s = (s + 1) & mask
            }
        }
    }

    private mutating func place(_ i: Int) {
        let mask = slots.count - 1
        var s = withPath(i) { Self.hash($0) } & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(i)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: max(16, slots.count * 2))
        for i in starts.indices { place(i) }
    }

    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h = Hasher()
        h.combine(bytes: UnsafeRawBufferPointer(key))
        return h.finalize()
    }

    private static func less(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = min(a.count, b.count)
        let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
        return c != 0 ? c < 0 : a.count < b.count
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
