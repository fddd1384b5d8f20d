#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text to a file descriptor unbuffered (1 = stdout, 2 = stderr); avoids the C `FILE*`
/// globals, which Swift 6 treats as shared mutable state.
func writeText(_ text: String, to fd: Int32 = 1) {
    var s = text
    s.withUTF8 { buf in
        var done = 0
        while done < buf.count {
            let n = write(fd, buf.baseAddress! + done, buf.count - done)
            if n < 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }
}
