import FSCore

/// Where a reader's bytes come from: a file read by ranges (`pread` on one open handle), or a
/// whole file in memory.
///
/// Ranges are always checked against the size first, so a footer that points past the end of
/// the file is a `ParquetError` naming the file, not an I/O error or a crash.
enum ReadSource: Sendable {
    case file(ReadOnlyFile)
    case memory([UInt8])

    var size: Int {
        switch self {
        case .file(let f): return f.size
        case .memory(let bytes): return bytes.count
        }
    }

    /// Bytes `offset ..< offset + count` as (array, index of `offset` in the array). For memory
    /// sources this is the whole array (no copy); for files one `pread` of exactly the range.
    func read(offset: Int, count: Int, file: String) throws(ParquetError) -> (bytes: [UInt8], start: Int) {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw .corruptFile(file: file, reason: "byte range \(offset)+\(count) lies outside the \(size)-byte file")
        }
        switch self {
        case .memory(let bytes):
            return (bytes, offset)
        case .file(let f):
            do {
                return (try f.read(offset: offset, count: count), 0)
            } catch {
                throw .io(error)
            }
        }
    }
}
