import FSCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the writer's bytes go: a file created exclusively, or memory (tests, small files).
/// Tracks the offset, which the footer's page offsets are made of.
package final class ParquetOutput {
    private enum Target { case file(Int32), memory }
    private var target: Target
    package let path: String
    package private(set) var offset: Int64 = 0
    /// The bytes written, for in-memory outputs.
    package private(set) var memory: [UInt8] = []
    private var isClosed = false

    /// Creates `path` with O_EXCL: an existing file is an error, never overwritten.
    package init(creatingFileAt path: String) throws(ParquetError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(IOError(path: path, operation: "create", errno: errno)) }
        target = .file(fd)
        self.path = path
    }

    package init(memoryNamed name: String = "<memory>") {
        target = .memory
        path = name
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        switch target {
        case .memory:
            memory.append(contentsOf: bytes)
        case .file(let fd):
            var done = 0
            while done < bytes.count {
                let n = systemWrite(fd, base + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .io(IOError(path: path, operation: "write", errno: errno))
                }
                done += n
            }
        }
        offset += Int64(bytes.count)
    }

    package func write(_ bytes: [UInt8]) throws(ParquetError) {
        var failure: ParquetError?
        bytes.withUnsafeBytes { b in
            do throws(ParquetError) { try write(b) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// fsyncs and closes a file output.
    package func syncAndClose() throws(ParquetError) { try close(sync: true) }

    /// Closes a file output, fsyncing it first when `sync` (without: the caller makes the file
    /// durable later, e.g. `FileSystem.fsyncFile` on another thread, or with `startingWriteback`
    /// its writeback is started here and a `FileSystemSync` waits for it).
    package func close(sync: Bool, startingWriteback: Bool = false) throws(ParquetError) {
        guard case .file(let fd) = target, !isClosed else { return }
        isClosed = true
        if sync && fsync(fd) != 0 {
            let e = errno
            systemClose(fd)
            throw .io(IOError(path: path, operation: "fsync", errno: e))
        }
        if !sync && startingWriteback { FileSystemSync.startWriteback(fd: fd) }
        if systemClose(fd) != 0 { throw .io(IOError(path: path, operation: "close", errno: errno)) }
    }

    /// Closes without syncing and removes the file (error paths).
    package func discard() {
        guard case .file(let fd) = target else { memory = []; return }
        if !isClosed { systemClose(fd); isClosed = true }
        unlink(path)
    }

    deinit {
        if case .file(let fd) = target, !isClosed { systemClose(fd) }
    }
}

/// write(2), named apart from `ParquetOutput.write`.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

/// close(2), named apart from `ParquetOutput.close(sync:)`.
@discardableResult
private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
