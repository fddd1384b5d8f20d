import FSCore

@testable import FSParquet

/// A deliberately small decoder for the files fs writes (v1 pages, PLAIN / RLE_DICTIONARY,
/// RLE levels, ZSTD or uncompressed), so writer tests check values without depending on the
/// production reader. It trusts its input: tests feed it only the writer's own output.
struct WriterTestDecoder {
    let bytes: [UInt8]
    let metadata: FileMetaData

    init(_ bytes: [UInt8]) throws {
        precondition(bytes.count >= 12 && Array(bytes.prefix(4)) == magic && Array(bytes.suffix(4)) == magic, "not PAR1")
        let n = bytes.count
        let length = Int(bytes[n - 8]) | Int(bytes[n - 7]) << 8 | Int(bytes[n - 6]) << 16 | Int(bytes[n - 5]) << 24
        let (meta, used) = try FileMetaData.decode(bytes, offset: n - 8 - length)
        precondition(used == length, "footer length mismatch")
        self.bytes = bytes
        self.metadata = meta
    }

    /// Every page header of a chunk, with its offset, walking from the first page.
    func pages(rowGroup: Int, column: Int) throws -> [(offset: Int, header: PageHeader)] {
        let meta = metadata.rowGroups[rowGroup].columns[column].metaData!
        var offset = Int(meta.firstPageOffset)
        let end = offset + Int(meta.totalCompressedSize)
        var out: [(Int, PageHeader)] = []
        while offset < end {
            let (h, used) = try PageHeader.decode(bytes, offset: offset)
            out.append((offset, h))
            offset += used + Int(h.compressedPageSize)
        }
        precondition(offset == end, "pages overrun the chunk")
        return out
    }

    /// All values of a flat column over all row groups.
    func values(column: Int, type: DataType) throws -> [Value] {
        let leaf = metadata.schema[column + 1]
        let optional = leaf.repetitionType == .optional
        var out: [Value] = []
        for rg in 0..<metadata.rowGroups.count {
            var dictionary: [Value] = []
            for (offset, h) in try pages(rowGroup: rg, column: column) {
                let (_, headerLength) = try PageHeader.decode(bytes, offset: offset)
                let start = offset + headerLength
                let raw = Array(bytes[start..<start + Int(h.compressedPageSize)])
                let body = try raw.withUnsafeBytes {
                    try Codecs.decompressor(for: metadata.rowGroups[rg].columns[column].metaData!.codec)!
                        .decompress($0, uncompressedSize: Int(h.uncompressedPageSize))
                }
                if h.type == .dictionaryPage {
                    var p = 0
                    dictionary = plainValues(body, &p, count: Int(h.dictionaryPageHeader!.numValues), type: type)
                    continue
                }
                let n = Int(h.dataPageHeader!.numValues)
                var p = 0
                var defined = [Bool](repeating: true, count: n)
                if optional {
                    let len = Int(body[0]) | Int(body[1]) << 8 | Int(body[2]) << 16 | Int(body[3]) << 24
                    defined = decodeHybrid(Array(body[4..<4 + len]), bitWidth: 1, count: n).map { $0 == 1 }
                    p = 4 + len
                }
                let present = defined.filter { $0 }.count
                var vals: [Value]
                if h.dataPageHeader!.encoding == .rleDictionary {
                    let width = Int(body[p])
                    vals = decodeHybrid(Array(body[(p + 1)...]), bitWidth: width, count: present).map { dictionary[Int($0)] }
                } else {
                    vals = plainValues(body, &p, count: present, type: type)
                }
                var k = 0
                for d in defined {
                    if d { out.append(vals[k]); k += 1 } else { out.append(.null) }
                }
            }
        }
        return out
    }

    private func plainValues(_ b: [UInt8], _ p: inout Int, count: Int, type: DataType) -> [Value] {
        func le(_ n: Int) -> UInt64 {
            var x: UInt64 = 0
            for i in 0..<n { x |= UInt64(b[p + i]) << UInt64(8 * i) }
            p += n
            return x
        }
        var out: [Value] = []
        for i in 0..<count {
            switch type {
            case .boolean: out.append(.boolean((b[p + i / 8] >> UInt8(i % 8)) & 1 == 1))
            case .int32: out.append(.int32(Int32(truncatingIfNeeded: le(4))))
            case .date: out.append(.date(Int32(truncatingIfNeeded: le(4))))
            case .int64: out.append(.int64(Int64(bitPattern: le(8))))
            case .timestamp: out.append(.timestamp(Int64(bitPattern: le(8))))
            case .double: out.append(.double(Double(bitPattern: le(8))))
            case .string:
                let n = Int(le(4))
                out.append(.string(String(decoding: b[p..<p + n], as: UTF8.self)))
                p += n
            }
        }
        return out
    }
}

/// Decodes `count` values of the RLE / bit-packed hybrid.
func decodeHybrid(_ b: [UInt8], bitWidth: Int, count: Int) -> [UInt32] {
    var out: [UInt32] = []
    var p = 0
    while out.count < count {
        var header: UInt64 = 0, shift: UInt64 = 0
        while true {
            let x = b[p]; p += 1
            header |= UInt64(x & 0x7F) << shift
            if x & 0x80 == 0 { break }
            shift += 7
        }
        if header & 1 == 0 {
            var v: UInt32 = 0
            for i in 0..<(bitWidth + 7) / 8 { v |= UInt32(b[p + i]) << UInt32(8 * i) }
            p += (bitWidth + 7) / 8
            out.append(contentsOf: repeatElement(v, count: Int(header >> 1)))
        } else {
            let n = Int(header >> 1) * 8
            for i in 0..<n {
                var v: UInt32 = 0
                for bit in 0..<bitWidth {
                    let pos = i * bitWidth + bit
                    v |= UInt32((b[p + pos / 8] >> UInt8(pos % 8)) & 1) << UInt32(bit)
                }
                out.append(v)
            }
            p += n * bitWidth / 8
        }
    }
    return Array(out.prefix(count))
}
