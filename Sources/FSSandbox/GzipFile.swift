import CZlib
import FSCore

#if canImport(Glibc)
import Glibc
#endif

/// gzip files through the system zlib (`gzopen`/`gzwrite`/`gzread`): the only file importing CZlib.
///
/// Writes are deterministic: zlib's gzip header carries mtime 0 and no file name, so equal
/// content gives equal bytes. Reads are transparent: a file that is not gzip is read as is.
enum GzipFile {
    /// Writes `text` compressed at level 9 to `path`, replacing it (`gzopen` "wb9", `gzwrite`, `gzclose`).
    static func write(_ path: String, chunks: [String]) throws(IOError) {
        guard let file = gzopen(path, "wb9") else { throw IOError(path: path, operation: "gzopen", errno: errno) }
        for chunk in chunks {
            var chunk = chunk
            let written: Int32 = chunk.withUTF8 { p in
                p.isEmpty ? 0 : gzwrite(file, p.baseAddress, UInt32(p.count))
            }
            if written <= 0 && !chunk.isEmpty {
                gzclose(file)
                throw IOError(path: path, operation: "gzwrite", errno: errno == 0 ? EIO : errno)
            }
        }
        if gzclose(file) != Z_OK { throw IOError(path: path, operation: "gzclose", errno: errno == 0 ? EIO : errno) }
    }

    /// Streams the decompressed lines of `path` (without their `\n`; a final line without one is
    /// included; `\r\n` loses its `\r`) to `body`, 1 MiB of input at a time.
    static func forEachLine(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard let file = gzopen(path, "rb") else { throw IOError(path: path, operation: "gzopen", errno: errno) }
        defer { gzclose(file) }
        var carry: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 { throw IOError(path: path, operation: "gzread", errno: errno == 0 ? EIO : errno) }
            if n == 0 { break }
            var start = 0
            for i in 0 ..< Int(n) where buffer[i] == UInt8(ascii: "\n") {
                if carry.isEmpty {
                    try emit(buffer[start ..< i], body)
                } else {
                    carry += buffer[start ..< i]
                    try emit(carry[...], body)
                    carry.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            carry += buffer[start ..< Int(n)]
        }
        if !carry.isEmpty { try emit(carry[...], body) }
    }

    private static func emit(_ line: ArraySlice<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var line = line
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        try line.withUnsafeBufferPointer { try body($0) }
    }
}
