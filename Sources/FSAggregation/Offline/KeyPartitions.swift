import FSCore

#if canImport(Glibc)
import Glibc
#endif

/// Hash tables that split the keys between them, one lock each: the offline pass's way to use
/// every core without per-thread tables that each hold (nearly) every key.
///
/// ```
///  worker k: batch ─► rows of partition 0 ─lock 0─► tables[0]      (keys with hash % n == 0)
///                  └► rows of partition 1 ─lock 1─► tables[1]      (keys with hash % n == 1)
///  end: tables are disjoint ─► finish each, concatenate (no merge)
/// ```
/// Each key is inserted once and each state lives once, so the work and memory are those of one
/// thread (per-thread tables repeat both and then merge them on one core). A worker takes a
/// free partition first and waits only when every partition it still has rows for is busy.
/// Rows reach a table in an order that depends on scheduling, so only aggregates whose result
/// does not depend on row order may use this (not first/last/max_by/min_by).
package final class KeyPartitions: @unchecked Sendable {
    /// One table per partition; element p is touched only under `locks[p]` (raw storage, not
    /// an array property, so concurrent access to different elements is not an exclusivity
    /// violation).
    private let tables: UnsafeMutablePointer<GroupedAggregator>
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    package let count: Int

    package init(count: Int, make: () -> GroupedAggregator) {
        precondition(count > 0, "no partitions")
        self.count = count
        tables = .allocate(capacity: count)
        locks = .allocate(capacity: count)
        for i in 0..<count {
            (tables + i).initialize(to: make())
            pthread_mutex_init(locks + i, nil)
        }
    }

    deinit {
        for i in 0..<count { pthread_mutex_destroy(locks + i) }
        tables.deinitialize(count: count)
        tables.deallocate()
        locks.deallocate()
    }

    /// The aggregates aggregate order does not matter for: everything but first/last and the
    /// max_by/min_by tie-breaks, which follow row stamps.
    package static func isOrderFree(_ plan: FeaturePlan) -> Bool {
        !plan.aggregates.contains { [.first, .last, .maxBy, .minBy].contains($0.spec.kind) }
    }

    /// The partition of every row: the upper half of its key's hash (the tables index their
    /// slots by the lower half, so a partition's keys still spread over its table); NULL keys
    /// in partition 0. For string keys, `stringHashes` receives each row's
    /// `GroupKeyTable.stringHash` (0 for NULL), which the table then need not compute again.
    package static func partitionRows(of key: Column, count: Int) -> [[Int]] {
        var unused: [UInt64] = []
        return partitionRows(of: key, count: count, stringHashes: &unused)
    }

    package static func partitionRows(of key: Column, count: Int, stringHashes: inout [UInt64]) -> [[Int]] {
        var rows = [[Int]](repeating: [], count: count)
        let n = key.count
        for p in 0..<count { rows[p].reserveCapacity(n / count + n / (4 * count) + 16) }
        let m = UInt64(count)
        switch key.values {
        case .string(let s):
            stringHashes.removeAll(keepingCapacity: true)
            stringHashes.reserveCapacity(n)
            s.offsets.withUnsafeBufferPointer { off in
                s.bytes.withUnsafeBufferPointer { bytes in
                    for i in 0..<n {
                        if key.isNull(i) { rows[0].append(i); stringHashes.append(0); continue }
                        let h = GroupKeyTable.stringHash(UnsafeBufferPointer(rebasing: bytes[off[i]..<off[i + 1]]))
                        stringHashes.append(h)
                        rows[Int((h >> 32) % m)].append(i)
                    }
                }
            }
        case .int32(let v):
            for i in 0..<n { rows[key.isNull(i) ? 0 : Int((XXH64.hash(int64: Int64(v[i])) >> 32) % m)].append(i) }
        case .int64(let v):
            for i in 0..<n { rows[key.isNull(i) ? 0 : Int((XXH64.hash(int64: v[i]) >> 32) % m)].append(i) }
        case .boolean(let v):
            for i in 0..<n { rows[key.isNull(i) ? 0 : (v[i] ? 1 : 0) % count].append(i) }
        case .double(let v):
            for i in 0..<n { rows[key.isNull(i) ? 0 : Int((XXH64.hash(double: v[i]) >> 32) % m)].append(i) }
        }
        return rows
    }

    /// Runs `body` on the table of every partition in `partitions`, each under its lock: free
    /// ones first (starting after `first`), waiting only when all that remain are busy and one
    /// of them `mustWait` for. Returns the partitions left out (busy, and not waited for).
    @discardableResult
    package func update(partitions: [Int], startingAt first: Int, waitingFor mustWait: (Int) -> Bool = { _ in true },
                        _ body: (Int, inout GroupedAggregator) -> Void) -> [Int] {
        var pending = partitions.sorted { ($0 - first + count) % count < ($1 - first + count) % count }
        while !pending.isEmpty {
            let index: Int
            if let free = pending.firstIndex(where: { pthread_mutex_trylock(locks + $0) == 0 }) {
                index = free
            } else if let urgent = pending.firstIndex(where: mustWait) {
                pthread_mutex_lock(locks + pending[urgent])
                index = urgent
            } else {
                return pending
            }
            let p = pending.remove(at: index)
            body(p, &tables[p])
            pthread_mutex_unlock(locks + p)
        }
        return []
    }

    /// The tables, once every worker is done.
    package func finished() -> [GroupedAggregator] { (0..<count).map { tables[$0] } }
}
