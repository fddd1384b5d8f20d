/// Many Redis commands written straight into one byte buffer in the wire format (RESP: an array
/// of bulk strings per command), for `RedisConnection.append(formatted:)`.
///
/// A first load sends two or three commands per row; going through `RedisCommand` and
/// `redisAppendCommandArgv` costs an argument array, a length array and a copy per command,
/// while this writes each byte once, into a buffer reused across chunks.
struct RESPBuffer {
    private(set) var bytes: [UInt8] = []
    /// Commands written since the last `removeAll`: the replies to read after sending.
    private(set) var commands = 0
    private var scratch: [UInt8] = []

    init(reservingBytes n: Int = 0) { bytes.reserveCapacity(n) }

    /// Starts a command of `arguments` arguments (the command name counts); exactly that many
    /// `appendArgument` calls must follow.
    mutating func beginCommand(arguments: Int) {
        bytes.append(UInt8(ascii: "*"))
        appendDecimal(Int64(arguments), to: &bytes)
        bytes.append(13)
        bytes.append(10)
        commands += 1
    }

    /// One bulk-string argument: `$<length>\r\n<bytes>\r\n` (binary-safe).
    mutating func appendArgument(_ argument: [UInt8]) {
        bytes.append(UInt8(ascii: "$"))
        appendDecimal(Int64(argument.count), to: &bytes)
        bytes.append(13)
        bytes.append(10)
        bytes.append(contentsOf: argument)
        bytes.append(13)
        bytes.append(10)
    }

    mutating func appendArgument(_ argument: String) { appendArgument(Array(argument.utf8)) }

    /// An argument already in the wire format (`RESPBuffer.encoded`): for the words repeated on
    /// every row (command names, field names).
    mutating func append(encoded argument: [UInt8]) { bytes.append(contentsOf: argument) }

    /// `argument` as one bulk string in the wire format, for `append(encoded:)`.
    static func encoded(_ argument: String) -> [UInt8] {
        var b = RESPBuffer()
        b.appendArgument(argument)
        return b.bytes
    }

    /// An argument built by `body` into a reused scratch buffer (its length goes first).
    mutating func appendArgument(built body: (inout [UInt8]) -> Void) {
        scratch.removeAll(keepingCapacity: true)
        body(&scratch)
        appendArgument(scratch)
    }

    /// Empties the buffer, keeping its capacity.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        commands = 0
    }
}
