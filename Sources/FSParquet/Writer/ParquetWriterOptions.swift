/// Page compression the writer applies (the reader accepts more codecs than this).
public enum ParquetCompression: Sendable, Equatable {
    case uncompressed
    /// ZSTD at `level` (1 matches pyarrow's default speed; higher levels trade speed for size).
    case zstd(level: Int32)
    /// ZSTD at a fast (negative) `level` that still Huffman-codes the literals (libzstd leaves
    /// them raw below level 1). For text of high entropy per byte and few repeats — UUIDs, hex —
    /// nearly all of level 1's gain is the literals' coding: see `CompressionVerdicts`.
    case zstdCodedLiterals(level: Int32)
}

/// How INT32 and INT64 (timestamp) columns' data pages are encoded.
public enum IntegerEncoding: Sendable, Equatable {
    /// 4 or 8 bytes a value: what every reader reads, and the default.
    case plain
    /// DELTA_BINARY_PACKED: runs and slowly changing values shrink to a few bits a value
    /// before compression (window bounds, counts). Read by pyarrow, DuckDB, Polars, Spark and
    /// delta-rs alike.
    case deltaBinaryPacked
}

/// Knobs of the Parquet writer. The defaults follow table-format.md §1.11: pages cut at about
/// 1 MiB of uncompressed body or 20,000 rows, row groups at about 128 MiB, dictionary encoding
/// for strings until a chunk's dictionary exceeds 1 MiB.
public struct ParquetWriterOptions: Sendable, Equatable {
    public var compression: ParquetCompression = .zstd(level: 1)
    /// Codec of a numeric column chunk written from `repeated` runs (`ParquetFileWriter.writeRuns`)
    /// from its first page: one dictionary entry per run (distinct doubles, dense) and RLE runs
    /// of indices, which ZSTD barely shrinks at a large share of the writer's CPU. nil: `compression`.
    public var runEntryCompression: ParquetCompression?
    /// `stepping` INT64 runs (`ParquetFileWriter.writeRuns`: window bounds) whose values lie on
    /// one grid of their step are written as RLE_DICTIONARY indices of the chunk's grid points,
    /// with `runEntryCompression`: in a day file ordered by key, the bounds jump back at every
    /// key, so DELTA_BINARY_PACKED needed ~33 bits a value (50 MB per column at 1M events, which
    /// ZSTD then had to shrink), where the ~300 windows of a day need 9 bits and no codec.
    public var isSteppingDictionaryEnabled = false
    /// A data page is cut once its uncompressed body reaches this many bytes.
    public var maxPageBytes = 1 << 20
    /// A data page is cut after this many rows (parquet-rs's limit; keeps page index useful).
    public var maxPageRows = 20_000
    /// Strings fall back to PLAIN once a chunk's dictionary holds more than this many bytes.
    public var maxDictionaryBytes = 1 << 20
    /// A row group is cut once its buffered, uncompressed size reaches about this many bytes.
    public var rowGroupBytes = 128 << 20
    /// Background threads compressing pages while the caller encodes (0: compress on the
    /// caller's thread). ZSTD dominates the writer's CPU time, so 2 roughly halves wall time on
    /// two cores; the bytes written are the same for any value.
    public var compressionWorkers = 2
    /// The compression threads to use, shared by every file written with these options (nil:
    /// each file starts its own `compressionWorkers` threads). A writer of many files in a row
    /// sets one so queues and page buffers are made once (`TableWriter` does).
    package var compressionPool: PageCompressionPool? = nil
    /// Shared record of string columns too distinct for a dictionary (nil: every chunk starts
    /// dictionary encoded and falls back only past `maxDictionaryBytes`). See `DictionaryVerdicts`.
    public var dictionaryVerdicts: DictionaryVerdicts? = nil
    /// Shared record of columns whose pages barely compress at `compression`'s level; they get
    /// `CompressionVerdicts.fastSetting` from then on (nil: every chunk uses `compression`).
    public var compressionVerdicts: CompressionVerdicts? = nil
    /// Encoding of INT32/INT64 data pages (strings keep dictionary → PLAIN; doubles PLAIN).
    public var integerEncoding: IntegerEncoding = .plain
    /// `created_by`; must parse as `<app> version <semver> (build <id>)` or Spark ignores the
    /// statistics of string columns.
    public var createdBy = "fs version 0.1.0 (build fs)"

    public init() {}
}
