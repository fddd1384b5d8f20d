/// Decoders of DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (`Encodings.md`,
/// table-format.md §2.3): Spark v2 falls back to DELTA_BYTE_ARRAY for strings.
///
/// DELTA_LENGTH_BYTE_ARRAY = DELTA_BINARY_PACKED lengths, then the concatenated bytes.
/// DELTA_BYTE_ARRAY = DELTA_BINARY_PACKED prefix lengths, then the suffixes as
/// DELTA_LENGTH_BYTE_ARRAY; value i = value(i-1)[0 ..< prefix i] + suffix i.
struct DeltaByteArrayDecoder {
    /// Scratch reused between pages so a column decode allocates only when a page is larger.
    var lengths: [Int64] = []
    var prefixes: [Int64] = []
    var suffixSpans: [ByteSpan] = []
    /// DELTA_BYTE_ARRAY values are rebuilt here; spans returned by `decodeDeltaByteArray` point into it.
    var rebuilt: [UInt8] = []

    init() {}

    /// DELTA_LENGTH_BYTE_ARRAY: writes `count` spans into `input` to `out`.
    /// Returns (bytes consumed, total value bytes).
    mutating func decodeDeltaLength(
        _ input: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<ByteSpan>
    ) throws(DecodeFailure) -> (consumed: Int, valueBytes: Int) {
        let (n, headerBytes) = try DeltaBinaryPackedDecoder.decode(input, maxCount: count, into: &lengths)
        guard n == count else { throw DecodeFailure("DELTA_LENGTH_BYTE_ARRAY holds \(n) lengths, page needs \(count)", at: 0) }
        guard input.count <= Int(UInt32.max) else { throw DecodeFailure("page body larger than 4 GiB", at: 0) }
        var position = headerBytes
        var total = 0
        for i in 0 ..< count {
            let length = lengths[i]
            guard length >= 0, length <= Int64(input.count - position) else {
                throw DecodeFailure("DELTA_LENGTH_BYTE_ARRAY value \(i): length \(length), \(input.count - position) bytes left", at: position)
            }
            out[i] = ByteSpan(start: position, count: Int(length))
            position += Int(length)
            total += Int(length)
        }
        return (position, total)
    }

    /// DELTA_BYTE_ARRAY: rebuilds `count` values into `rebuilt` and writes their spans to `out`.
    /// Returns (bytes consumed, total value bytes).
    mutating func decodeDeltaByteArray(
        _ input: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<ByteSpan>
    ) throws(DecodeFailure) -> (consumed: Int, valueBytes: Int) {
        let (n, prefixBytes) = try DeltaBinaryPackedDecoder.decode(input, maxCount: count, into: &prefixes)
        guard n == count else { throw DecodeFailure("DELTA_BYTE_ARRAY holds \(n) prefix lengths, page needs \(count)", at: 0) }
        if suffixSpans.count < Swift.max(count, 1) { suffixSpans = [ByteSpan](repeating: ByteSpan(start: 0, count: 0), count: Swift.max(count, 1)) }
        let suffixInput = UnsafeRawBufferPointer(rebasing: input[prefixBytes...])
        var spans = suffixSpans
        suffixSpans = []
        defer { suffixSpans = spans }
        var suffixResult: (consumed: Int, valueBytes: Int) = (0, 0)
        var failure: DecodeFailure?
        spans.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            do throws(DecodeFailure) {
                suffixResult = try decodeDeltaLength(suffixInput, count: count, into: base)
            } catch {
                failure = DecodeFailure(error.reason, at: error.offset + prefixBytes)
            }
        }
        if let failure { throw failure }
        rebuilt.removeAll(keepingCapacity: true)
        rebuilt.reserveCapacity(suffixResult.valueBytes)
        var previousStart = 0
        var previousCount = 0
        for i in 0 ..< count {
            let prefix = prefixes[i]
            guard prefix >= 0, prefix <= Int64(previousCount) else {
                throw DecodeFailure("DELTA_BYTE_ARRAY value \(i): prefix \(prefix) longer than the previous value (\(previousCount))", at: 0)
            }
            let start = rebuilt.count
            // Element by element: appending a slice of the array itself would copy the whole buffer.
            for k in 0 ..< Int(prefix) { rebuilt.append(rebuilt[previousStart + k]) }
            let s = spans[i]
            rebuilt.append(contentsOf: UnsafeRawBufferPointer(rebasing: suffixInput[Int(s.start) ..< Int(s.start) + Int(s.count)]))
            let length = rebuilt.count - start
            guard rebuilt.count <= Int(UInt32.max) else { throw DecodeFailure("DELTA_BYTE_ARRAY page expands beyond 4 GiB", at: 0) }
            out[i] = ByteSpan(start: start, count: length)
            previousStart = start
            previousCount = length
        }
        return (prefixBytes + suffixResult.consumed, rebuilt.count)
    }
}
