import CZstd
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// ZSTD page compression with a reused context: the only file that imports libzstd (it also
/// holds the codec against a reference document and librdkafka's replacement entry points).
///
/// Each page body is one standard zstd frame (table-format.md §1.9). `ZSTD_compressCCtx`
/// writes the content size into the frame header, which lets readers allocate exactly.
/// The context is created once per compression lane (or column writer) and freed in `deinit`;
/// `ZSTD_compressCCtx` resets every parameter per call, so a reused context writes the same bytes.
package final class ZstdCompressor: PageCompressor {
    private let context: OpaquePointer
    package let level: Int32
    /// Literals are Huffman-coded at any level (`ZSTD_c_literalCompressionMode`), where libzstd
    /// leaves them raw below level 1.
    package let codesLiterals: Bool

    package init(level: Int32, codesLiterals: Bool = false) {
        // ZSTD_createCCtx only fails when malloc fails: treat as an out-of-memory invariant.
        guard let c = ZSTD_createCCtx() else { preconditionFailure("ZSTD_createCCtx failed (out of memory)") }
        context = c
        self.level = level
        self.codesLiterals = codesLiterals
        if codesLiterals {
            // Sticky parameters for ZSTD_compress2: the level, then literals always coded.
            // `ZSTD_c_literalCompressionMode` is experimental (ZSTD_c_experimentalParam5 = 1002 in
            // libzstd 1.5) and `ZSTD_ps_enable` is 1; an unknown parameter fails at the first page.
            _ = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)
            literalModeStatus = ZSTD_CCtx_setParameter(c, ZSTD_cParameter(rawValue: 1002), 1)
        }
    }

    /// Outcome of enabling coded literals (an error code when libzstd refused it).
    private var literalModeStatus: Int = 0

    deinit { ZSTD_freeCCtx(context) }

    package var codec: CompressionCodec { .zstd }

    /// Maps to `ZSTD_compressCCtx`; `output` grows to `ZSTD_compressBound(input.count)`.
    package func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(CodecError) -> Int {
        let bound = ZSTD_compressBound(input.count)
        if output.count < bound { output = [UInt8](repeating: 0, count: Swift.max(bound, output.count * 2)) }
        if ZSTD_isError(literalModeStatus) != 0 {
            throw CodecError("zstd coded literals unsupported: \(String(cString: ZSTD_getErrorName(literalModeStatus)))")
        }
        let n = output.withUnsafeMutableBytes { dst in
            codesLiterals
                ? ZSTD_compress2(context, dst.baseAddress, dst.count, input.baseAddress, input.count)
                : ZSTD_compressCCtx(context, dst.baseAddress, dst.count, input.baseAddress, input.count, level)
        }
        if ZSTD_isError(n) != 0 { throw CodecError("zstd compression failed: \(String(cString: ZSTD_getErrorName(n)))") }
        return n
    }
}

/// Decompression contexts of finished `ZstdDecompressor`s, kept for the next ones.
///
/// A reader makes a decompressor per column chunk: fs-agg-online reads 4 columns of 365 day
/// files, and creating (zeroing ~100 KiB) and freeing a `ZSTD_DCtx` for each was 58 of the job
/// thread's 2,682 perf samples (~2%). `ZSTD_decompressDCtx` starts every frame afresh, so a
/// reused context decodes the same bytes. At most `maxSpares` are kept (more than the threads
/// that read at once); the rest are freed (`ZSTD_createDCtx` / `ZSTD_freeDCtx`).
enum SpareDecompressionContexts {
    private struct Context: @unchecked Sendable { var pointer: OpaquePointer }
    private static let spares = Mutex<[Context]>([])
    private static let maxSpares = 16

    /// A spare context, or a new one.
    static func take() -> OpaquePointer {
        if let c = spares.withLock({ $0.popLast() }) { return c.pointer }
        // ZSTD_createDCtx only fails when malloc fails: treat as an out-of-memory invariant.
        guard let c = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx failed (out of memory)") }
        return c
    }

    /// Keeps `context` for `take`, or frees it when enough are spare.
    static func give(_ context: OpaquePointer) {
        let kept = spares.withLock { s in
            guard s.count < maxSpares else { return false }
            s.append(Context(pointer: context))
            return true
        }
        if !kept { ZSTD_freeDCtx(context) }
    }
}

/// ZSTD page decompression with a reused context (`ZSTD_decompressDCtx`), given back to
/// `SpareDecompressionContexts` in `deinit`.
package final class ZstdDecompressor: PageDecompressor {
    private let context: OpaquePointer

    package init() {
        context = SpareDecompressionContexts.take()
    }

    deinit { SpareDecompressionContexts.give(context) }

    package var codec: CompressionCodec { .zstd }

    /// Decompresses into a new array of exactly `uncompressedSize` bytes; a frame that decodes to
    /// any other size is corrupt. Concatenated frames are accepted (zstd's own rule).
    package func decompress(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws(CodecError) -> [UInt8] {
        guard uncompressedSize >= 0 else { throw CodecError("negative uncompressed size \(uncompressedSize)") }
        var result: Int = 0
        let out = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { buf, count in
            // A frame larger than the capacity fails with dstSize_tooSmall rather than truncating.
            result = ZSTD_decompressDCtx(context, buf.baseAddress, uncompressedSize, input.baseAddress, input.count)
            count = ZSTD_isError(result) != 0 ? 0 : Swift.min(result, uncompressedSize)
        }
        if ZSTD_isError(result) != 0 {
            throw CodecError("zstd decompression failed: \(String(cString: ZSTD_getErrorName(result)))")
        }
        guard result == uncompressedSize else {
            throw CodecError("zstd frame decodes to \(result) bytes, header says \(uncompressedSize)")
        }
        return out
    }
}

/// zstd against a fixed reference document (a raw-content dictionary): small texts that repeat
/// most of the reference — a snapshot's per-file statistics JSON, whose column names and many
/// values recur from file to file — shrink ~13× where a standalone frame gets ~2.5×.
///
/// Compression loads the reference afresh for each text (`ZSTD_compress_usingDict`): a digest
/// made once (`ZSTD_createCDict`) would be sized for inputs of unknown length, about a
/// megabyte of tables, where one sized for a few-KB text is a few tens of KB and loading a
/// few-KB reference costs about what compressing it does. The one context is taken under a
/// lock (a snapshot compresses once per file a commit adds). Decompression uses a digest made
/// once (`ZSTD_createDDict`, small and read-only), so any thread may decompress at once.
/// libzstd loads a dictionary that does not start with its magic number (bytes 37 A4 30 EC) as
/// raw content; no valid UTF-8 text starts with them (0xA4 cannot follow an ASCII byte), so a
/// Swift string's bytes are always taken as raw content.
package final class ZstdReferenceCodec: @unchecked Sendable {
    private let reference: [UInt8]
    private let level: Int32
    private let decompressionDictionary: OpaquePointer
    private let context: Mutex<ContextBox>

    private struct ContextBox: @unchecked Sendable {
        var pointer: OpaquePointer
        var scratch: [UInt8] = []
    }

    /// Keeps a copy of `reference`, compressing against it at `level`.
    package init(reference: some Collection<UInt8>, level: Int32 = 3) {
        self.reference = Array(reference)
        self.level = level
        // The create functions fail only when malloc fails: an out-of-memory invariant.
        guard let d = self.reference.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) }),
              let cctx = ZSTD_createCCtx() else { preconditionFailure("zstd dictionary allocation failed (out of memory)") }
        decompressionDictionary = d
        context = Mutex(ContextBox(pointer: cctx))
    }

    deinit {
        ZSTD_freeDDict(decompressionDictionary)
        context.withLock { ZSTD_freeCCtx($0.pointer) }
    }

    /// One zstd frame of `input` against the reference, in an array of its own size (the frame
    /// is written into the context's scratch first: an array made at the compress bound would
    /// keep that capacity).
    package func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        return context.withLock { box in
            if box.scratch.count < bound { box.scratch = [UInt8](repeating: 0, count: bound) }
            let n = reference.withUnsafeBytes { dict in
                box.scratch.withUnsafeMutableBytes { dst in
                    ZSTD_compress_usingDict(box.pointer, dst.baseAddress, dst.count, input.baseAddress, input.count, dict.baseAddress, dict.count, level)
                }
            }
            // Into a buffer of ZSTD_compressBound, compression fails only when malloc does.
            precondition(ZSTD_isError(n) == 0, "zstd compression against a reference failed: \(String(cString: ZSTD_getErrorName(n)))")
            return Array(box.scratch[..<n])
        }
    }

    /// Decompresses a frame of `compress` into `out`, which it must fill exactly; throws when the
    /// frame is not one of this reference's or decodes to another size.
    package func decompress(_ frame: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(CodecError) {
        let dctx = SpareDecompressionContexts.take()
        defer { SpareDecompressionContexts.give(dctx) }
        let n = ZSTD_decompress_usingDDict(dctx, out.baseAddress, out.count, frame.baseAddress, frame.count, decompressionDictionary)
        if ZSTD_isError(n) != 0 { throw CodecError("zstd decompression against a reference failed: \(String(cString: ZSTD_getErrorName(n)))") }
        guard n == out.count else { throw CodecError("zstd frame decodes to \(n) bytes, expected \(out.count)") }
    }
}

extension ParquetCompression {
    /// The levels `zstd(level:)` accepts (`ZSTD_minCLevel()...ZSTD_maxCLevel()`, libzstd's own
    /// bounds: -131072...22 for 1.5; 0 is libzstd's default, 3).
    package static var zstdLevels: ClosedRange<Int32> { ZSTD_minCLevel()...ZSTD_maxCLevel() }
}

// MARK: - librdkafka's record batches

/// `ZSTD_decompress` for the whole process, in place of libzstd's: librdkafka's consumer calls
/// it once per compressed record batch, and this version decompresses each frame once.
///
/// Why: librdkafka (2.0, linked to a shared libzstd) writes zstd frames without their content
/// size when it produces, and when it consumes such a frame it guesses the output size — 2×
/// the input, then 6×, then 18× — and calls `ZSTD_decompress` again after each
/// `dstSize_tooSmall`, each time decompressing from the start until the buffer is full. For the
/// 1M bench events that was 5,409 calls for 1,803 batches (~8× compression: two failed guesses
/// per batch, ~1.7 GB decompressed twice) and 5.4 GB of buffers written to. Here a frame
/// without a content size is decompressed once into this thread's scratch buffer; a guess too
/// small gets `dstSize_tooSmall` at once, and the one that fits gets a copy. Measured with the
/// same code as an `LD_PRELOAD` shim, 1M events: librdkafka's broker thread 2,556 → 1,691 perf
/// samples (−0.9 CPU-s). Results are libzstd's, byte for byte and error for error: frames with
/// a content size, and every failure, go through `ZSTD_decompressDCtx` unchanged.
///
/// The executable's definition wins over libzstd's because the dynamic linker binds
/// librdkafka's reference to the first definition in load order, the executable's. fs's own
/// Parquet reading uses `ZSTD_decompressDCtx` and is not affected.
///
/// A buffer at least `ZSTD_decompressBound` of the frame (what librdkafka's first guess is,
/// with `fsZstdFrameContentSize` below) is decompressed into directly: no scratch, no copy.
@_cdecl("ZSTD_decompress")
public func fsZstdDecompressOnce(_ dst: UnsafeMutableRawPointer?, _ dstCapacity: Int, _ src: UnsafeRawPointer?, _ srcSize: Int) -> Int {
    let state = ZstdFrameCache.forThisThread()
    guard let src, libzstdFrameContentSize(src, srcSize) == ZSTD_CONTENTSIZE_UNKNOWN else {
        return ZSTD_decompressDCtx(state.context, dst, dstCapacity, src, srcSize)
    }
    if dst != nil, !state.isRetry(src, srcSize, guess: dstCapacity), ZSTD_decompressBound(src, srcSize) <= UInt64(dstCapacity) {
        state.forget()
        return ZSTD_decompressDCtx(state.context, dst, dstCapacity, src, srcSize)
    }
    guard let size = state.decompressed(src, srcSize, for: dstCapacity) else {
        return ZSTD_decompressDCtx(state.context, dst, dstCapacity, src, srcSize)  // libzstd's own error
    }
    guard size <= dstCapacity, let dst else { return ZstdFrameCache.dstSizeTooSmall }
    if size > 0 { dst.copyMemory(from: state.scratch, byteCount: size) }
    state.forget()
    return size
}

/// `ZSTD_getFrameContentSize` for the whole process: libzstd's answer, except on librdkafka's
/// threads for a frame without a content size, which get `ZSTD_decompressBound` (an upper
/// bound from the frame's block headers: each block holds at most 128 KiB).
///
/// Why: librdkafka sizes its buffer for a record batch from this answer and, told "unknown",
/// guesses 2×, 6× and 18× the input (see `fsZstdDecompressOnce`): two failed calls and
/// mallocs per batch, a decompression into scratch and a copy (~1.7 GB per 1M bench events,
/// ~10% of its broker thread in memmove, ~7% in malloc), and a kept buffer of ~2.2× the
/// content. With the bound its first buffer fits: the frame is decompressed straight into it,
/// and the buffer is the content plus at most one block. librdkafka uses the number only to
/// size that buffer (`rd_kafka_zstd_decompress`); other callers — none in fs, where only this
/// file uses libzstd — keep libzstd's exact answer, as does every non-librdkafka thread.
@_cdecl("ZSTD_getFrameContentSize")
public func fsZstdFrameContentSize(_ src: UnsafeRawPointer?, _ srcSize: Int) -> UInt64 {
    let size = libzstdFrameContentSize(src, srcSize)
    guard size == ZSTD_CONTENTSIZE_UNKNOWN, let src, ZstdFrameCache.forThisThread().isLibrdkafkaThread else { return size }
    let bound = ZSTD_decompressBound(src, srcSize)
    return bound == 0 || bound >= ZSTD_CONTENTSIZE_ERROR ? size : bound
}

/// libzstd's own `ZSTD_getFrameContentSize` (`dlsym(RTLD_NEXT)`: the definition after this
/// executable's, which replaces it for the rest of the process).
private let libzstdFrameContentSize: @convention(c) (UnsafeRawPointer?, Int) -> UInt64 = {
    guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: -1), "ZSTD_getFrameContentSize") else {
        preconditionFailure("libzstd's ZSTD_getFrameContentSize not found")
    }
    return unsafeBitCast(f, to: (@convention(c) (UnsafeRawPointer?, Int) -> UInt64).self)
}()

/// One thread's decompression context and the last frame it decompressed without a content
/// size. A call is a retry of that frame when it names the same address and length with a
/// larger buffer than the last call (librdkafka's guesses only grow) and the frame's last
/// eight bytes are the ones decompressed (its checksum or last block: a caller that refilled
/// the same buffer with another frame of the same length is not served the old one); anything
/// else — a new frame that happens to sit at a freed frame's address starts again at a small
/// guess — is decompressed afresh.
private final class ZstdFrameCache {
    let context: OpaquePointer
    private(set) var scratch: UnsafeMutableRawPointer
    private var capacity: Int
    private var source: UnsafeRawPointer?
    private var sourceSize = 0
    /// The cached frame's last (up to) eight bytes.
    private var sourceTail: UInt64 = 0
    private var lastGuess = 0
    private var size = 0
    /// Scratch past which a frame goes to libzstd uncached (its guesses stop at
    /// `receive.message.max.bytes` anyway).
    private static let maxCapacity = 1 << 30

    /// `ERROR(dstSize_tooSmall)`: libzstd's error results are the negated codes.
    static let dstSizeTooSmall = 0 &- Int(ZSTD_error_dstSize_tooSmall.rawValue)

    /// Whether this thread is one of librdkafka's (named `rdk:…`), read once when it first
    /// calls in.
    let isLibrdkafkaThread: Bool

    private init() {
        guard let c = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx failed (out of memory)") }
        context = c
        isLibrdkafkaThread = Self.threadName().starts(with: "rdk:".utf8)
        capacity = 4 << 20
        scratch = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        scratch.deallocate()
    }

    /// The decompressed size of the frame at `src`, decompressed into `scratch` unless this is
    /// a retry of the frame already there; nil when libzstd fails on it for a reason other than
    /// room. `guess` is the caller's buffer size.
    func decompressed(_ src: UnsafeRawPointer, _ srcSize: Int, for guess: Int) -> Int? {
        defer { lastGuess = guess }
        let tail = Self.tail(src, srcSize)
        if isRetry(src, srcSize, guess: guess) { return size }
        source = nil
        while true {
            let n = ZSTD_decompressDCtx(context, scratch, capacity, src, srcSize)
            if ZSTD_isError(n) == 0 {
                (source, sourceSize, sourceTail, size) = (src, srcSize, tail, n)
                return n
            }
            guard ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall, capacity < Self.maxCapacity else { return nil }
            scratch.deallocate()
            capacity *= 2
            scratch = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
    }

    /// The calling thread's name (`/proc/thread-self/comm`, up to 15 bytes), empty when
    /// unreadable. Glibc's `pthread_getname_np` is not visible to Swift without `_GNU_SOURCE`.
    private static func threadName() -> [UInt8] {
        let fd = open("/proc/thread-self/comm", O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var name = [UInt8](repeating: 0, count: 16)
        let n = name.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? Array(name[..<n]) : []
    }

    /// Whether a call for this frame with a buffer of `guess` is a retry of the cached frame.
    func isRetry(_ src: UnsafeRawPointer, _ srcSize: Int, guess: Int) -> Bool {
        source == src && sourceSize == srcSize && guess > lastGuess && sourceTail == Self.tail(src, srcSize)
    }

    /// The last `min(8, count)` bytes of a frame as one word.
    private static func tail(_ src: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { $0.copyMemory(from: UnsafeRawBufferPointer(start: src + Swift.max(0, count - 8), count: Swift.min(8, count))) }
        return word
    }

    /// Drops the cached frame once it was handed out (librdkafka frees the input next).
    func forget() { source = nil }

    /// Each thread's cache, created on its first call and freed when the thread exits.
    static func forThisThread() -> ZstdFrameCache {
        if let p = pthread_getspecific(key) { return Unmanaged<ZstdFrameCache>.fromOpaque(p).takeUnretainedValue() }
        let cache = ZstdFrameCache()
        pthread_setspecific(key, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        let rc = pthread_key_create(&k) { p in if let p { Unmanaged<ZstdFrameCache>.fromOpaque(p).release() } }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return k
    }()
}
