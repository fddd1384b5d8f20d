/// Decoder of dictionary-encoded data pages (`PLAIN_DICTIONARY` 2 / `RLE_DICTIONARY` 8,
/// table-format.md §1.8): a 1-byte bit width, then RLE/bit-packed hybrid indices of the non-null
/// values, with no length prefix. The dictionary itself is a PLAIN-encoded dictionary page.
enum DictionaryDecoder {
    /// Decodes `count` indices from a data page's values section into `out`, checking that
    /// every index is below `dictionaryCount`. Returns the bytes consumed.
    static func decodeIndices(
        _ input: UnsafeRawBufferPointer, count: Int, dictionaryCount: Int, into out: UnsafeMutablePointer<UInt32>
    ) throws(DecodeFailure) -> Int {
        if count == 0 { return 0 }
        guard input.count >= 1 else { throw DecodeFailure("dictionary indices: missing bit-width byte", at: 0) }
        let width = Int(input[0])
        guard width <= 32 else { throw DecodeFailure("dictionary index bit width \(width) exceeds 32", at: 0) }
        let consumed: Int
        do {
            consumed = try RLEHybridDecoder.decode(UnsafeRawBufferPointer(rebasing: input[1...]), bitWidth: width, count: count, into: out)
        } catch {
            throw DecodeFailure("dictionary indices: \(error.reason)", at: error.offset + 1)
        }
        // One pass to validate keeps the gather loops free of checks.
        var maxIndex: UInt32 = 0
        for i in 0 ..< count { maxIndex = Swift.max(maxIndex, out[i]) }
        guard Int(maxIndex) < dictionaryCount else {
            throw DecodeFailure("dictionary index \(maxIndex) out of range (dictionary has \(dictionaryCount) entries)", at: 1)
        }
        return 1 + consumed
    }

    /// `out[i] = dictionary[indices[i]]`; indices were validated by `decodeIndices`.
    @inline(__always)
    static func gather<T>(_ dictionary: UnsafeBufferPointer<T>, indices: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<T>) {
        guard let base = dictionary.baseAddress else { return }
        for i in 0 ..< count { out[i] = base[Int(indices[i])] }
    }
}
