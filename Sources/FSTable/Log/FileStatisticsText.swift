import FSParquet

/// An `add` action's statistics JSON (`AddAction.stats`), held as written or packed against a
/// reference statistics document of the same table (`StatisticsPacker`).
///
/// Why: a long-running writer's snapshot keeps every live file's `add`, and the statistics are
/// most of it — ~2.5 KB of JSON per file for the 30 columns of order events, against ~300 bytes
/// for the rest. A 5M-event ingest that wrote 21k day files held ~50 MB of statistics text;
/// packed, such documents take ~150–360 bytes (the column names and most values repeat the
/// reference). Reading `AddAction.stats` unpacks, which checkpoints (once per file per
/// checkpoint) and scan planning (once per file per scan) can afford: `zstd -b3 -D` decodes these
/// documents at ~2 GB/s, ~1–2 µs each. Snapshots pack past their first 1,000 files only
/// (`LiveFiles.filesBeforePacking`).
struct FileStatisticsText: Sendable {
    private enum Storage: Sendable {
        case plain(String)
        /// A frame of `packer`'s codec and the UTF-8 length of the text it holds.
        case packed(frame: [UInt8], utf8Count: Int, packer: StatisticsPacker)
    }

    private let storage: Storage

    init(_ text: String) { storage = .plain(text) }

    private init(frame: [UInt8], utf8Count: Int, packer: StatisticsPacker) {
        storage = .packed(frame: frame, utf8Count: utf8Count, packer: packer)
    }

    /// The JSON text, unpacked when packed.
    var text: String {
        switch storage {
        case .plain(let s): return s
        case .packed(let frame, let count, let packer): return packer.unpack(frame, utf8Count: count)
        }
    }

    /// Bytes of the text (without unpacking it).
    var utf8Count: Int {
        switch storage {
        case .plain(let s): return s.utf8.count
        case .packed(_, let count, _): return count
        }
    }

    var isPacked: Bool {
        if case .packed = storage { return true }
        return false
    }

    /// This text packed by `packer` (unchanged when already packed).
    func packed(by packer: StatisticsPacker) -> FileStatisticsText {
        guard case .plain(var s) = storage else { return self }
        return s.withUTF8 { FileStatisticsText(frame: packer.pack($0), utf8Count: $0.count, packer: packer) }
    }
}

/// Packs statistics documents against the first one it was made with (see `FileStatisticsText`).
///
/// Any document packs and unpacks exactly; the ratio is what depends on the reference: files of
/// one table share column names and most of their values (order events: ~2.5 KB → ~200 bytes).
/// After a schema change the old reference still works, only less well.
final class StatisticsPacker: Sendable {
    private let codec: ZstdReferenceCodec

    init(reference: String) { codec = ZstdReferenceCodec(reference: reference.utf8) }

    func pack(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8] { codec.compress(UnsafeRawBufferPointer(utf8)) }

    /// The text of a frame `pack` made. A frame is only ever unpacked by the packer that made it,
    /// from memory this process wrote, so failure is a broken invariant, not bad input.
    func unpack(_ frame: [UInt8], utf8Count: Int) -> String {
        String(unsafeUninitializedCapacity: utf8Count) { out in
            frame.withUnsafeBytes { src in
                do { try codec.decompress(src, into: UnsafeMutableRawBufferPointer(out)) } catch {
                    preconditionFailure("packed statistics do not unpack: \(error)")
                }
            }
            return utf8Count
        }
    }
}
