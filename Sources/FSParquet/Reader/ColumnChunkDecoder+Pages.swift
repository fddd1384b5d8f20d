import FSCore

/// Pages of a column chunk: decompression, the dictionary page, data pages v1 and v2, their
/// repetition/definition levels, and the hand-off of each page's values to `+Values`.
extension ColumnChunkDecoder {
    /// The uncompressed bytes of `body`, or nil when it is stored uncompressed (used in place).
    func decompress(_ body: UnsafeRawBufferPointer, size: Int, compressed: Bool = true, prefetched: [UInt8]?) throws(ParquetError) -> [UInt8]? {
        if let prefetched, compressed, decompressor != nil { return prefetched }
        guard let decompressor, compressed else {
            guard body.count == size else { throw corrupt("uncompressed body holds \(body.count) bytes, header says \(size)") }
            return nil
        }
        do {
            return try decompressor.decompress(body, uncompressedSize: size)
        } catch {
            throw corrupt("\(meta.codec): \(error)")
        }
    }

    /// Calls `use` with the decompressed bytes when there are some, else with `body`.
    @inline(__always)
    static func withPage<R>(
        _ owned: [UInt8]?, _ body: UnsafeRawBufferPointer, _ use: (UnsafeRawBufferPointer) throws(ParquetError) -> R
    ) throws(ParquetError) -> R {
        guard let owned else { return try use(body) }
        return try owned.withBytes(use)
    }

    mutating func decodeDictionaryPage(_ header: PageHeader, body: UnsafeRawBufferPointer, prefetched: [UInt8]?) throws(ParquetError) {
        guard let dh = header.dictionaryPageHeader else { throw corrupt("dictionary page without its header") }
        guard dh.encoding == .plain || dh.encoding == .plainDictionary else {
            throw .unsupported(file: file, column: leaf.name, feature: "dictionary page encoding \(dh.encoding)")
        }
        let count = Int(dh.numValues)
        guard count >= 0 else { throw corrupt("dictionary of \(count) entries") }
        var dict = ColumnAccumulator(type: conversion.dataType)
        let page = try decompress(body, size: Int(header.uncompressedPageSize), prefetched: prefetched)
        try Self.withPage(page, body) { (data: UnsafeRawBufferPointer) throws(ParquetError) in
            do throws(DecodeFailure) {
                _ = try appendPlain(data, count: count, into: &dict)
            } catch {
                throw corrupt(error, in: "dictionary page")
            }
        }
        dictionary = dict
        dictionaryCodeBase = nil
    }

    /// Data page v1: the whole body is compressed; levels carry a 4-byte length prefix.
    mutating func decodeDataPageV1(
        _ header: PageHeader, body: UnsafeRawBufferPointer, prefetched: [UInt8]?, remaining: Int,
        into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?
    ) throws(ParquetError) -> Int {
        guard let dh = header.dataPageHeader else { throw corrupt("data page without its header") }
        let n = Int(dh.numValues)
        guard n >= 0, n <= remaining else { throw corrupt("page holds \(n) values, the chunk has \(remaining) left") }
        let page = try decompress(body, size: Int(header.uncompressedPageSize), prefetched: prefetched)
        return try Self.withPage(page, body) { (data: UnsafeRawBufferPointer) throws(ParquetError) -> Int in
            var position = 0
            if leaf.maxRepetitionLevel > 0 {
                position += try decodeLevels(data, from: position, count: n, max: leaf.maxRepetitionLevel, encoding: dh.repetitionLevelEncoding, prefixed: true, into: &repetition, what: "repetition levels")
            }
            if leaf.maxDefinitionLevel > 0 {
                position += try decodeLevels(data, from: position, count: n, max: leaf.maxDefinitionLevel, encoding: dh.definitionLevelEncoding, prefixed: true, into: &definition, what: "definition levels")
            }
            let values = UnsafeRawBufferPointer(rebasing: data[position...])
            try finishPage(values: values, encoding: dh.encoding, entries: n, into: &output, levels: levels)
            return n
        }
    }

    /// Data page v2: levels first, uncompressed and unprefixed; only the values are compressed.
    mutating func decodeDataPageV2(
        _ header: PageHeader, body: UnsafeRawBufferPointer, prefetched: [UInt8]?, remaining: Int,
        into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?
    ) throws(ParquetError) -> Int {
        guard let dh = header.dataPageHeaderV2 else { throw corrupt("data page v2 without its header") }
        let n = Int(dh.numValues)
        let repLength = Int(dh.repetitionLevelsByteLength), defLength = Int(dh.definitionLevelsByteLength)
        guard n >= 0, n <= remaining else { throw corrupt("page holds \(n) values, the chunk has \(remaining) left") }
        guard repLength >= 0, defLength >= 0, repLength + defLength <= body.count,
              repLength + defLength <= Int(header.uncompressedPageSize)
        else { throw corrupt("level lengths \(repLength)+\(defLength) exceed the page body") }
        if leaf.maxRepetitionLevel > 0 {
            let bytes = UnsafeRawBufferPointer(rebasing: body[0 ..< repLength])
            _ = try decodeLevels(bytes, from: 0, count: n, max: leaf.maxRepetitionLevel, encoding: .rle, prefixed: false, into: &repetition, what: "repetition levels")
        }
        if leaf.maxDefinitionLevel > 0 {
            let bytes = UnsafeRawBufferPointer(rebasing: body[repLength ..< repLength + defLength])
            _ = try decodeLevels(bytes, from: 0, count: n, max: leaf.maxDefinitionLevel, encoding: .rle, prefixed: false, into: &definition, what: "definition levels")
        }
        let valuesBody = UnsafeRawBufferPointer(rebasing: body[(repLength + defLength)...])
        let valuesSize = Int(header.uncompressedPageSize) - repLength - defLength
        guard valuesSize >= 0 else { throw corrupt("level lengths exceed the uncompressed page size") }
        let page = try decompress(valuesBody, size: valuesSize, compressed: dh.isCompressed ?? true, prefetched: prefetched)
        try Self.withPage(page, valuesBody) { (values: UnsafeRawBufferPointer) throws(ParquetError) in
            try finishPage(values: values, encoding: dh.encoding, entries: n, into: &output, levels: levels)
        }
        return n
    }

    /// Decodes `count` levels (each at most `max`) into `out`; returns the bytes consumed.
    func decodeLevels(
        _ data: UnsafeRawBufferPointer, from position: Int, count: Int, max: Int, encoding: Encoding,
        prefixed: Bool, into out: inout [UInt32], what: String
    ) throws(ParquetError) -> Int {
        guard encoding == .rle else {
            throw .unsupported(file: file, column: leaf.name, feature: "\(what) encoded as \(encoding)")
        }
        if out.count < count { out = [UInt32](repeating: 0, count: count) }
        let input = UnsafeRawBufferPointer(rebasing: data[position...])
        let width = RLEHybridDecoder.bitWidth(forMaxValue: max)
        var consumed = 0
        var failure: DecodeFailure?
        out.withUnsafeMutableBufferPointer { buffer in
            guard let p = buffer.baseAddress else { return }
            do throws(DecodeFailure) {
                consumed = prefixed
                    ? try RLEHybridDecoder.decodeLengthPrefixed(input, bitWidth: width, count: count, into: p)
                    : try RLEHybridDecoder.decode(input, bitWidth: width, count: count, into: p)
                for i in 0 ..< count where p[i] > UInt32(max) {
                    throw DecodeFailure("level \(p[i]) above the maximum \(max)", at: 0)
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw corrupt(failure, in: what) }
        return consumed
    }

    /// Decodes the values of a page whose levels are in `definition`/`repetition`, then spreads
    /// NULLs (flat) or records the levels (nested).
    mutating func finishPage(
        values: UnsafeRawBufferPointer, encoding: Encoding, entries n: Int,
        into output: inout ColumnAccumulator, levels: UnsafeMutablePointer<LevelStreams>?
    ) throws(ParquetError) {
        let maxDef = UInt32(leaf.maxDefinitionLevel)
        var present = n
        if maxDef > 0 {
            present = 0
            definition.withUnsafeBufferPointer { d in for i in 0 ..< n where d[i] == maxDef { present += 1 } }
        }
        do throws(DecodeFailure) {
            try decodeValues(values, encoding: encoding, count: present, into: &output)
        } catch {
            throw corrupt(error, in: "\(encoding) values")
        }
        if let levels {
            if maxDef > 0 {
                levels.pointee.definition.append(contentsOf: definition[0 ..< n].lazy.map { UInt8(truncatingIfNeeded: $0) })
            } else {
                levels.pointee.definition.append(contentsOf: repeatElement(0, count: n))
            }
            if leaf.maxRepetitionLevel > 0 {
                levels.pointee.repetition.append(contentsOf: repetition[0 ..< n].lazy.map { UInt8(truncatingIfNeeded: $0) })
            } else {
                levels.pointee.repetition.append(contentsOf: repeatElement(0, count: n))
            }
        } else if present < n {
            definition.withUnsafeBufferPointer { d in
                output.spreadNulls(denseCount: present, levels: UnsafeBufferPointer(rebasing: d[0 ..< n]), maxLevel: maxDef)
            }
        }
    }
}
