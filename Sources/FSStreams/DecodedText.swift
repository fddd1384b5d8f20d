/// The buffer a message's escaped strings are unescaped into while the message is scanned
/// (`JSONScanner.scanString(decodingInto:)`); slots point into it until the next message.
///
/// A class holding raw memory, not an array: the scanner writes through a pointer while the
/// builder mutates its slots, which an array stored in the same struct would not allow. It
/// only grows (to the longest message seen, plus 8 bytes of slack for word stores). Copies of
/// an `EventBatchBuilder` share it, which is harmless: its content is only read during the
/// `append` that wrote it.
final class DecodedText {
    /// Start of the buffer; valid until the next `prepare` that grows it.
    private(set) var base: UnsafeMutablePointer<UInt8>
    /// Bytes allocated at `base`.
    private var capacity: Int

    init() {
        capacity = 4096
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for the escaped strings of a message of `bytes` bytes (their decoded text is
    /// never longer than the message).
    func prepare(forMessageBytes bytes: Int) {
        guard bytes + 8 > capacity else { return }
        base.deallocate()
        capacity = Swift.max(bytes + 8, capacity * 2)
        base = .allocate(capacity: capacity)
    }
}
