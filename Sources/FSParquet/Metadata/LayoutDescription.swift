import FSCore

/// A stable text dump of a Parquet footer: schema, row groups, column chunks (codec, encodings,
/// offsets, sizes, statistics). Layout golden tests compare it, so any accidental change of the
/// written format shows up as a readable diff (arrow-rs `layout.rs` does the same).
public func describeLayout(_ metadata: FileMetaData) -> String {
    let noPages: ((Int, Int) throws(Never) -> [(Int, PageHeader)])? = nil
    return describeLayout(metadata, pages: noPages)
}

/// `describeLayout` plus every page header of every chunk, walked from the file's bytes.
public func describeLayout(fileBytes bytes: [UInt8], name: String = "<memory>") throws -> String {
    guard bytes.count >= 12, Array(bytes.prefix(4)) == magic, Array(bytes.suffix(4)) == magic else {
        throw ParquetError.corruptFile(file: name, reason: "missing PAR1 magic")
    }
    let n = bytes.count
    let length = Int(bytes[n - 8]) | Int(bytes[n - 7]) << 8 | Int(bytes[n - 6]) << 16 | Int(bytes[n - 5]) << 24
    guard length <= n - 12 else { throw ParquetError.corruptFile(file: name, reason: "footer length \(length) exceeds the file") }
    let meta = try FileMetaData.decode(bytes, offset: n - 8 - length, file: name).value
    return try describeLayout(meta) { (rowGroup: Int, column: Int) throws(ParquetError) -> [(Int, PageHeader)] in
        guard let m = meta.rowGroups[rowGroup].columns[column].metaData else { return [] }
        var offset = Int(m.firstPageOffset)
        let end = offset + Int(m.totalCompressedSize)
        guard offset >= 0, end <= n else { throw ParquetError.corruptFile(file: name, reason: "column chunk outside the file") }
        var out: [(Int, PageHeader)] = []
        while offset < end {
            let (h, used) = try PageHeader.decode(bytes, offset: offset, file: name)
            out.append((offset, h))
            offset += used + Int(h.compressedPageSize)
        }
        return out
    }
}

private func describeLayout<E: Error>(
    _ m: FileMetaData, pages: ((Int, Int) throws(E) -> [(Int, PageHeader)])?
) throws(E) -> String {
    var out = "file: version=\(m.version) rows=\(m.numRows) row_groups=\(m.rowGroups.count) created_by=\(m.createdBy.map { "\"\($0)\"" } ?? "-")\n"
    if let kv = m.keyValueMetadata { out += "key_value_metadata: \(kv.map { "\($0.key)=\($0.value ?? "-")" }.joined(separator: ", "))\n" }
    out += "column_orders: \(m.columnOrders.map { $0.map(\.description).joined(separator: ",") } ?? "-")\n"
    out += "schema:\n"
    var leafTypes: [DataType?] = []
    var index = 0
    func visit(depth: Int) {
        guard index < m.schema.count else { return }
        let e = m.schema[index]
        index += 1
        var line = String(repeating: "  ", count: depth + 1) + e.name + ":"
        if let t = e.type { line += " \(t)" } else { line += " group" }
        if let r = e.repetitionType { line += " \(r)" }
        if let c = e.numChildren { line += " children=\(c)" }
        if let c = e.convertedType { line += " converted=\(c)" }
        if let l = e.logicalType { line += " logical=\(l)" }
        if let t = e.typeLength { line += " length=\(t)" }
        out += line + "\n"
        if e.type == nil || e.numChildren != nil {
            for _ in 0..<Int(e.numChildren ?? 0) { visit(depth: depth + 1) }
        } else {
            leafTypes.append(logicalType(of: e))
        }
    }
    visit(depth: 0)
    for (g, rg) in m.rowGroups.enumerated() {
        out += "row group \(g): rows=\(rg.numRows) total_byte_size=\(rg.totalByteSize) total_compressed_size=\(rg.totalCompressedSize.map(String.init) ?? "-") file_offset=\(rg.fileOffset.map(String.init) ?? "-") ordinal=\(rg.ordinal.map(String.init) ?? "-")\n"
        for (c, chunk) in rg.columns.enumerated() {
            guard let cm = chunk.metaData else { out += "  column \(c): no metadata\n"; continue }
            out += "  column \(cm.pathInSchema.joined(separator: ".")): \(cm.type) \(cm.codec) values=\(cm.numValues)"
            out += " encodings=[\(cm.encodings.map(\.description).joined(separator: ","))]"
            out += " dictionary_page_offset=\(cm.dictionaryPageOffset.map(String.init) ?? "-") data_page_offset=\(cm.dataPageOffset)"
            out += " uncompressed=\(cm.totalUncompressedSize) compressed=\(cm.totalCompressedSize) file_offset=\(chunk.fileOffset)\n"
            if let s = cm.statistics {
                let type = c < leafTypes.count ? leafTypes[c] : nil
                out += "    statistics: nulls=\(s.nullCount.map(String.init) ?? "-")"
                out += " min=\(render(s.minValue, type)) max=\(render(s.maxValue, type))"
                if let x = s.isMinValueExact { out += " min_exact=\(x)" }
                if let x = s.isMaxValueExact { out += " max_exact=\(x)" }
                if let x = s.nanCount { out += " nans=\(x)" }
                if s.min != nil || s.max != nil { out += " legacy_min=\(render(s.min, type)) legacy_max=\(render(s.max, type))" }
                out += "\n"
            }
            if let es = cm.encodingStats {
                out += "    encoding_stats: \(es.map { "\($0.pageType)/\($0.encoding)x\($0.count)" }.joined(separator: " "))\n"
            }
            if let pages {
                for (offset, h) in try pages(g, c) {
                    out += "    page @\(offset) \(h.type) uncompressed=\(h.uncompressedPageSize) compressed=\(h.compressedPageSize)"
                    if let d = h.dataPageHeader {
                        out += " values=\(d.numValues) encoding=\(d.encoding) def=\(d.definitionLevelEncoding) rep=\(d.repetitionLevelEncoding)"
                    }
                    if let d = h.dictionaryPageHeader { out += " entries=\(d.numValues) encoding=\(d.encoding)" }
                    if let d = h.dataPageHeaderV2 { out += " values=\(d.numValues) nulls=\(d.numNulls) rows=\(d.numRows) encoding=\(d.encoding)" }
                    out += "\n"
                }
            }
        }
    }
    return out
}

/// The fs type a leaf's statistics bytes decode as, when it is one fs writes.
private func logicalType(of e: SchemaElement) -> DataType? {
    switch (e.type, e.logicalType, e.convertedType) {
    case (.boolean?, _, _): return .boolean
    case (.int32?, .date?, _), (.int32?, nil, .date?): return .date
    case (.int32?, _, _): return .int32
    case (.int64?, .timestamp(_, .micros)?, _), (.int64?, nil, .timestampMicros?): return .timestamp
    case (.int64?, _, _): return .int64
    case (.double?, _, _): return .double
    case (.byteArray?, .string?, _), (.byteArray?, nil, .utf8?): return .string
    default: return nil
    }
}

/// Statistics bytes as text: the decoded value (doubles by bit pattern too, so -0.0 shows), or hex.
private func render(_ bytes: [UInt8]?, _ type: DataType?) -> String {
    guard let bytes else { return "-" }
    if let type, let v = decodeStatisticsValue(bytes, type: type) {
        switch v {
        case .double(let d): return "\(d)"
        case .string(let s): return "\"\(s)\""
        default: return v.description
        }
    }
    return "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
