#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls the table layer needs, in one place, with errors that name the path.
///
/// Durability rules (docs/table-format.md §3.5): data files are fsynced before a commit names
/// them; a commit is published with `link(2)` (put-if-absent, never an overwriting rename) and
/// the directory is fsynced afterwards.
public enum FileSystem {
    /// Reads a whole file.
    public static func readFile(_ path: String) throws(IOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IOError(path: path, operation: "fstat", errno: errno) }
        let size = Int(st.st_size)
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 { if errno == EINTR { continue }; throw IOError(path: path, operation: "read", errno: errno) }
            if n == 0 { out.removeLast(size - done); break }
            done += n
        }
        return out
    }

    /// Creates `path` (which must not exist), writes `bytes`, fsyncs and closes it.
    public static func writeNewFile(_ path: String, _ bytes: [UInt8], sync: Bool = true) throws(IOError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError(path: path, operation: "create", errno: errno) }
        var ok = false
        defer { close(fd); if !ok { unlink(path) } }
        try writeAll(fd, bytes, path: path)
        if sync, fsync(fd) != 0 { throw IOError(path: path, operation: "fsync", errno: errno) }
        ok = true
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(IOError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw IOError(path: path, operation: "write", errno: errno) }
            done += n
        }
    }

    /// Writes `bytes` to a temporary sibling and renames it over `path`: for files that may be
    /// replaced (`_last_checkpoint`, checkpoints), never for commits.
    public static func replaceFile(_ path: String, _ bytes: [UInt8]) throws(IOError) {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try writeNewFile(tmp, bytes)
        guard posixRename(tmp, path) == 0 else {
            let e = errno; unlink(tmp)
            throw IOError(path: path, operation: "rename", errno: e)
        }
    }

    /// Publishes `source` under `target` only if `target` does not exist (link(2)).
    /// Returns false when `target` already exists: another writer won.
    public static func linkIfAbsent(_ source: String, _ target: String) throws(IOError) -> Bool {
        if link(source, target) == 0 { return true }
        if errno == EEXIST { return false }
        throw IOError(path: target, operation: "link", errno: errno)
    }

    /// Renames, refusing nothing: for moving a finished data file from staging into place,
    /// where the target name is a fresh UUID.
    public static func rename(_ from: String, _ to: String) throws(IOError) {
        guard posixRename(from, to) == 0 else { throw IOError(path: to, operation: "rename", errno: errno) }
    }

    public static func fsyncDirectory(_ path: String) throws(IOError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, operation: "open directory", errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL { throw IOError(path: path, operation: "fsync directory", errno: errno) }
    }

    /// mkdir -p; true when it created `path` itself (false: a directory was already there).
    ///
    /// The leaf first, its parents only when it reports them missing: a writer creates a day
    /// directory per file under parents that nearly always exist, and walking from `/` cost
    /// fs-agg-online 6 mkdir and 2 stat calls per output file (2,280 mkdirs for its 365 days).
    /// Something other than a directory in the way is an error (`ENOTDIR`), not a silent success.
    @discardableResult
    public static func createDirectory(_ path: String) throws(IOError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        switch errno {
        case EEXIST:
            guard isDirectory(path) else { throw IOError(path: path, operation: "mkdir", errno: ENOTDIR) }
            return false
        case ENOENT:
            var parent = path
            while parent.count > 1 && parent.hasSuffix("/") { parent.removeLast() }
            guard let slash = parent.lastIndex(of: "/") else { throw IOError(path: path, operation: "mkdir", errno: ENOENT) }
            parent = slash == parent.startIndex ? "/" : String(parent[..<slash])
            guard parent != path else { throw IOError(path: path, operation: "mkdir", errno: ENOENT) }
            try createDirectory(parent)
            if mkdir(path, 0o755) == 0 { return true }
            // Another process may have created it since.
            guard errno == EEXIST, isDirectory(path) else { throw IOError(path: path, operation: "mkdir", errno: errno == EEXIST ? ENOTDIR : errno) }
            return false
        default:
            throw IOError(path: path, operation: "mkdir", errno: errno)
        }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether `path` is a directory, or nil when nothing is there (`ENOENT`, `ENOTDIR`).
    ///
    /// Unlike `isDirectory`, a failure to look (`EACCES`, `ELOOP`, `EIO`…) throws instead of
    /// reading as "absent": callers that decide "no table here, create one / read it another
    /// way" must not take an unreadable directory for a missing one.
    public static func directoryStatus(_ path: String) throws(IOError) -> Bool? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return nil }
            throw IOError(path: path, operation: "stat", errno: e)
        }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size in bytes and modification time (ms since the epoch).
    public static func attributes(_ path: String) throws(IOError) -> (size: Int64, modifiedMillis: Int64) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw IOError(path: path, operation: "stat", errno: errno) }
        return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000)
    }

    /// Names in a directory (not `.`/`..`), sorted for determinism.
    public static func listDirectory(_ path: String) throws(IOError) -> [String] {
        guard let dir = opendir(path) else { throw IOError(path: path, operation: "opendir", errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Every regular file under `path`, as paths relative to it, skipping directories for which
    /// `descend` returns false.
    public static func walkFiles(_ path: String, descend: (String) -> Bool = { _ in true }) throws(IOError) -> [String] {
        var out: [String] = []
        var stack = [""]
        while let rel = stack.popLast() {
            let full = rel.isEmpty ? path : path + "/" + rel
            for name in try listDirectory(full) {
                let childRel = rel.isEmpty ? name : rel + "/" + name
                if isDirectory(path + "/" + childRel) {
                    if descend(childRel) { stack.append(childRel) }
                } else {
                    out.append(childRel)
                }
            }
        }
        return out.sorted()
    }

    public static func removeFile(_ path: String) throws(IOError) {
        if unlink(path) != 0 && errno != ENOENT { throw IOError(path: path, operation: "unlink", errno: errno) }
    }

    /// rm -rf (tests and scratch directories).
    public static func removeTree(_ path: String) throws(IOError) {
        guard exists(path) else { return }
        if !isDirectory(path) { try removeFile(path); return }
        for name in try listDirectory(path) { try removeTree(path + "/" + name) }
        if rmdir(path) != 0 { throw IOError(path: path, operation: "rmdir", errno: errno) }
    }

    /// A new empty directory under $TMPDIR (or /tmp) with the given prefix.
    public static func makeTemporaryDirectory(prefix: String) throws(IOError) -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw IOError(path: base, operation: "mkdtemp", errno: errno)
        }
        return String(cString: p)
    }
}

/// A random RFC 4122 version-4 UUID string, lowercase (data file names, table ids).
///
/// Two 64-bit draws: `SystemRandomNumberGenerator` makes one `getrandom` call per draw, and
/// drawing the 16 bytes one at a time made 16 (5,920 calls for fs-agg-online's 370 files).
public func makeUUID() -> String {
    var g = SystemRandomNumberGenerator()
    let high: UInt64 = g.next(), low: UInt64 = g.next()
    var b = [UInt8](repeating: 0, count: 16)
    for i in 0..<8 {
        b[i] = UInt8(truncatingIfNeeded: high >> (8 * i))
        b[8 + i] = UInt8(truncatingIfNeeded: low >> (8 * i))
    }
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(36)
    for (i, byte) in b.enumerated() {
        if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}

private func posixRename(_ from: String, _ to: String) -> Int32 {
    #if canImport(Glibc)
    return Glibc.rename(from, to)
    #else
    return Darwin.rename(from, to)
    #endif
}
