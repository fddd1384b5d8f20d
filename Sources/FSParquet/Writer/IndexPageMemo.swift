#if canImport(Glibc)
import Glibc
#endif

/// The last dictionary-index body a file's columns encoded, kept so that the next column whose
/// page holds the same indices copies the bytes instead of encoding them again.
///
/// Why: a file written from runs (`ParquetFileWriter.writeRuns`) gives every `repeated` number
/// column one entry per run, so without NULLs their pages carry identical index runs, cut at the
/// same rows (the online job's count and five features), and a `stepping` column shifted by a
/// constant (window_end = window_start + 1 h) gives the same grid indices as its twin. The file
/// writer encodes its columns one after the other on one thread, so a one-entry memo catches
/// them; comparing the indices costs a `memcmp` against an RLE/bit-packed encoding.
package final class IndexPageMemo {
    package init() {}

    private var width = -1
    private var isRuns = false
    private var values: [UInt32] = []
    private var counts: [UInt32] = []
    private var bytes: [UInt8] = []

    /// Appends to `sink` the memo's body when it was encoded at `width` from the same indices
    /// (per row: `counts` nil; runs: `values[i]` repeated `counts[i]` times); false otherwise.
    func append(width: Int, values v: [UInt32], counts c: [UInt32]?, into sink: ByteSink) -> Bool {
        guard width == self.width, isRuns == (c != nil), Self.same(v, values), c.map({ Self.same($0, counts) }) ?? true else { return false }
        bytes.withUnsafeBytes { sink.append($0) }
        return true
    }

    /// Records `sink`'s bytes from `start` as the body of these indices.
    func store(width: Int, values v: [UInt32], counts c: [UInt32]?, from sink: ByteSink, start: Int) {
        self.width = width
        isRuns = c != nil
        values.removeAll(keepingCapacity: true)
        values.append(contentsOf: v)
        counts.removeAll(keepingCapacity: true)
        if let c { counts.append(contentsOf: c) }
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: sink.base + start, count: sink.count - start))
    }

    private static func same(_ a: [UInt32], _ b: [UInt32]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }
}
