import FSCore
import Testing
@testable import FSTable

@Suite struct TombstoneSetTests {
    @Test func aSetAnswersLikeADictionaryOfPathToTombstone() {
        var set = TombstoneSet()
        var model: [String: Tombstone] = [:]
        #expect(set.isEmpty && set["a"] == nil)
        // Removals, re-removals (the later wins), re-adds (forgotten), revivals; empty and
        // non-ASCII paths, and enough entries to grow the index several times.
        var ops: [(String, Tombstone?)] = [("a", Tombstone(deletionTimestamp: 1, size: 10)), ("", Tombstone(deletionTimestamp: nil)),
                                           ("São Paulo/日本.parquet", Tombstone(deletionTimestamp: 3, size: nil, dataChange: false)),
                                           ("a", Tombstone(deletionTimestamp: 4, size: 11)), ("a", nil), ("b", nil), ("a", Tombstone(deletionTimestamp: 5))]
        for k in 0..<300 { ops.append(("p/\(k % 97)/f\(k).parquet", k % 5 == 4 ? nil : Tombstone(deletionTimestamp: Int64(k), size: Int64(k)))) }
        for k in stride(from: 0, to: 300, by: 7) { ops.append(("p/\(k % 97)/f\(k).parquet", nil)) }
        for (path, t) in ops {
            if let t { set.insert(t, path: path); model[path] = t } else { set.remove(path: path); model[path] = nil }
        }
        #expect(set.count == model.count)
        for path in Set(ops.map(\.0)) { #expect(set[path] == model[path], "\(path)") }
        #expect(set.paths.sorted() == model.keys.sorted())
        var visited: [String] = []
        set.forEachSortedByPath { p, t in visited.append(p); #expect(model[p] == t) }
        #expect(visited == model.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        let kept = set.filter { ($0.deletionTimestamp ?? 0) >= 100 }
        #expect(kept.paths.sorted() == model.filter { ($0.value.deletionTimestamp ?? 0) >= 100 }.keys.sorted())
        #expect(kept["a"] == nil && kept["p/3/f100.parquet"] == Tombstone(deletionTimestamp: 100, size: 100))
        #expect(kept["p/8/f105.parquet"] == nil)  // removed, then added again
    }

    @Test func aTombstoneKeepsWhatACheckpointRemoveCarries() {
        let r = RemoveAction(path: "x/y.parquet", deletionTimestamp: 7, dataChange: false, extendedFileMetadata: true, partitionValues: ["x": "1"], size: 42)
        let t = Tombstone(r)
        #expect(t.deletionTimestamp == 7 && t.size == 42 && !t.dataChange)
        #expect(t.removeAction(path: r.path) == RemoveAction(path: "x/y.parquet", deletionTimestamp: 7, dataChange: false, size: 42))
        #expect(Tombstone(deletionTimestamp: nil, size: nil).deletionTimestamp == nil)
        #expect(Tombstone(deletionTimestamp: nil, size: nil).size == nil)
    }
}
