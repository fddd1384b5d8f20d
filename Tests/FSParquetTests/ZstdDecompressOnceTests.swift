import CZstd
import FSParquet
import Glibc
import Testing

/// The process-wide `ZSTD_decompress` (`fsZstdDecompressOnce`) that librdkafka's consumer
/// binds to: it must answer exactly as libzstd does — the bytes, `dstSize_tooSmall` for every
/// guess that is too small (librdkafka grows its buffer on that error and on no other), and
/// libzstd's own error for a damaged frame — while decompressing each frame only once.
@Suite struct ZstdDecompressOnceTests {
    /// Text that compresses ~8× like the bench's JSON events, so guesses of 2× and 6× the
    /// compressed size fail as they do in librdkafka.
    static let payload: [UInt8] = {
        var bytes: [UInt8] = []
        var seed: UInt64 = 42
        for i in 0..<6_000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            bytes += Array("{\"order_id\":\"\(i)\",\"customer\":\"c-\(seed >> 52)\",\"items\":[{\"n\":\"x\"}]}\n".utf8)
        }
        return bytes
    }()

    /// One zstd frame of `input`, with or without the content size in its header
    /// (librdkafka's producer writes it without).
    static func frame(_ input: [UInt8], contentSize: Bool, checksum: Bool = false) throws -> [UInt8] {
        let cctx = try #require(ZSTD_createCCtx())
        defer { ZSTD_freeCCtx(cctx) }
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, contentSize ? 1 : 0)
        _ = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum ? 1 : 0)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        // The streaming API with no pledged size: the size is unknown when the frame starts.
        let written = out.withUnsafeMutableBytes { o in
            input.withUnsafeBytes { i -> Int in
                var inBuf = ZSTD_inBuffer(src: i.baseAddress, size: i.count, pos: 0)
                var outBuf = ZSTD_outBuffer(dst: o.baseAddress, size: o.count, pos: 0)
                return ZSTD_compressStream2(cctx, &outBuf, &inBuf, ZSTD_e_end) == 0 ? outBuf.pos : -1
            }
        }
        #expect(written > 0)
        return Array(out[0..<written])
    }

    /// Calls the process-wide function the way librdkafka does: into a buffer of `capacity`.
    static func decompress(_ frame: [UInt8], capacity: Int) -> (result: Int, bytes: [UInt8]) {
        var dst = [UInt8](repeating: 0, count: Swift.max(capacity, 1))
        let r = dst.withUnsafeMutableBytes { d in frame.withUnsafeBytes { s in
            fsZstdDecompressOnce(d.baseAddress, capacity, s.baseAddress, s.count)
        } }
        return (r, ZSTD_isError(r) == 0 ? Array(dst[0..<r]) : [])
    }

    static func isTooSmall(_ r: Int) -> Bool {
        ZSTD_isError(r) != 0 && ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall
    }

    @Test func librdkafkasGrowingGuessesFailUntilOneFitsAndThatOneGetsTheBytes() throws {
        let frame = try Self.frame(Self.payload, contentSize: false)
        #expect(ZSTD_getFrameContentSize(frame, frame.count) == ZSTD_CONTENTSIZE_UNKNOWN)
        #expect(Self.payload.count > 6 * frame.count, "the payload must compress more than 6x for this test")
        // librdkafka's sequence: 2x the input, then += 2x that (6x), then 18x.
        #expect(Self.isTooSmall(Self.decompress(frame, capacity: 2 * frame.count).result))
        #expect(Self.isTooSmall(Self.decompress(frame, capacity: 6 * frame.count).result))
        let fits = Self.decompress(frame, capacity: 18 * frame.count)
        #expect(fits.result == Self.payload.count)
        #expect(fits.bytes == Self.payload)
    }

    @Test func aBufferOfExactlyTheSizeFitsAndOneByteLessDoesNot() throws {
        let frame = try Self.frame(Self.payload, contentSize: false)
        #expect(Self.isTooSmall(Self.decompress(frame, capacity: Self.payload.count - 1).result))
        #expect(Self.decompress(frame, capacity: Self.payload.count).bytes == Self.payload)
        // The next frame (here: the same bytes again) is decompressed afresh, not served stale.
        #expect(Self.decompress(frame, capacity: Self.payload.count).bytes == Self.payload)
    }

    /// Two frames of the same length, the second from the payload with its item letter changed
    /// (both with a checksum or both without), for the tests that overwrite one with the other.
    static func sameLengthFrames(checksum: Bool) throws -> (first: [UInt8], second: [UInt8], secondPayload: [UInt8]) {
        let first = try frame(payload, contentSize: false, checksum: checksum)
        for letter in UInt8(ascii: "a")...UInt8(ascii: "z") {
            let p = payload.map { $0 == UInt8(ascii: "x") ? letter : $0 }
            let f = try frame(p, contentSize: false, checksum: checksum)
            if f.count == first.count && p != payload && (!checksum || f.suffix(8) != first.suffix(8)) { return (first, f, p) }
        }
        throw NoSameLengthVariant()
    }

    struct NoSameLengthVariant: Error {}

    /// A caller's input buffer whose bytes are replaced in place (its address stays).
    final class FrameBuffer {
        private var bytes: [UInt8]
        init(_ frame: [UInt8]) {
            bytes = [UInt8](repeating: 0, count: frame.count)  // own storage, not shared with `frame`
            refill(frame)
        }
        func refill(_ frame: [UInt8]) { bytes.withUnsafeMutableBytes { b in frame.withUnsafeBytes { b.copyMemory(from: $0) } } }
        /// `fsZstdDecompressOnce` on these bytes into a buffer of `capacity`: (result, bytes).
        func decompress(capacity: Int) -> (result: Int, bytes: [UInt8]) {
            var dst = [UInt8](repeating: 0, count: capacity)
            let r = dst.withUnsafeMutableBytes { d in bytes.withUnsafeBytes { s in fsZstdDecompressOnce(d.baseAddress, capacity, s.baseAddress, s.count) } }
            return (r, ZSTD_isError(r) == 0 ? Array(dst[0..<r]) : [])
        }
    }

    @Test func anotherFrameAtTheSameAddressIsNotServedTheCachedBytes() throws {
        // The second frame is written over the first in the same buffer, as when librdkafka
        // frees a batch and the next lands there.
        let (first, second, secondPayload) = try Self.sameLengthFrames(checksum: false)
        let buffer = FrameBuffer(first)
        #expect(Self.isTooSmall(buffer.decompress(capacity: 2 * first.count).result))
        buffer.refill(second)
        #expect(Self.isTooSmall(buffer.decompress(capacity: 2 * first.count).result))
        let isTheSecondFrame = buffer.decompress(capacity: secondPayload.count).bytes == secondPayload
        #expect(isTheSecondFrame)
    }

    @Test func aBufferRefilledWithAnotherFrameIsNotServedTheCachedBytesEvenOnALargerGuess() throws {
        // A caller that reuses its input buffer: frame one gets `dstSize_tooSmall`, then the
        // buffer holds frame two (same length) and the call comes with a larger buffer — what a
        // retry of frame one would look like by address, length and guess alone. With a
        // checksum (the Java client's zstd frames can carry one) the two tails differ.
        let (first, second, secondPayload) = try Self.sameLengthFrames(checksum: true)
        let buffer = FrameBuffer(first)
        #expect(Self.isTooSmall(buffer.decompress(capacity: 2 * first.count).result))
        buffer.refill(second)
        let isTheSecondFrame = buffer.decompress(capacity: 18 * first.count).bytes == secondPayload
        #expect(isTheSecondFrame, "the refilled buffer was answered with the first frame's cached bytes")
    }

    @Test(arguments: [true, false])
    func anEmptyFrameAndFramesWithTheirSizeDecompressAsLibzstdDoes(contentSize: Bool) throws {
        for input in [[UInt8](), Array(Self.payload.prefix(1000))] {
            let frame = try Self.frame(input, contentSize: contentSize)
            let ours = Self.decompress(frame, capacity: input.count)
            #expect(ours.result == input.count)
            #expect(ours.bytes == input)
            if input.count > 0 { #expect(Self.isTooSmall(Self.decompress(frame, capacity: input.count - 1).result)) }
        }
    }

    @Test func aDamagedFrameFailsWithLibzstdsOwnError() throws {
        var frame = try Self.frame(Self.payload, contentSize: false)
        frame.removeLast(frame.count / 2)  // truncated
        let ours = Self.decompress(frame, capacity: 18 * frame.count).result
        let dctx = try #require(ZSTD_createDCtx())
        defer { ZSTD_freeDCtx(dctx) }
        var dst = [UInt8](repeating: 0, count: 18 * frame.count)
        let theirs = dst.withUnsafeMutableBytes { d in ZSTD_decompressDCtx(dctx, d.baseAddress, d.count, frame, frame.count) }
        #expect(ZSTD_isError(ours) != 0)
        #expect(ZSTD_getErrorCode(ours) == ZSTD_getErrorCode(theirs))
    }

    /// Runs `body` on a new thread named `name` (as librdkafka names its threads `rdk:…`).
    static func onThread<R: Sendable>(named name: String, _ body: @escaping @Sendable () -> R) -> R {
        let job = NamedThreadJob(name: name) { NamedThreadJob.Result(value: body()) }
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let job = Unmanaged<NamedThreadJob>.fromOpaque(raw!).takeUnretainedValue()
            let fd = open("/proc/thread-self/comm", O_WRONLY)
            if fd >= 0 {
                _ = job.name.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
                close(fd)
            }
            job.result = job.body()
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
        precondition(rc == 0, "pthread_create failed")
        pthread_join(thread, nil)
        return job.result!.value as! R
    }

    @Test func onLibrdkafkasThreadsAFrameWithoutItsSizeReportsABoundItsBytesFitIn() throws {
        let frame = try Self.frame(Self.payload, contentSize: false)
        let payloadCount = Self.payload.count
        let size = Self.onThread(named: "rdk:broker1") { frame.withUnsafeBytes { fsZstdFrameContentSize($0.baseAddress, $0.count) } }
        #expect(size != ZSTD_CONTENTSIZE_UNKNOWN)
        #expect(size >= UInt64(payloadCount) && size < UInt64(payloadCount) + 128 * 1024, "bound \(size) for \(payloadCount) bytes")
        // librdkafka's first buffer now has that size: the bytes, in one call.
        let fits = Self.onThread(named: "rdk:broker1") { Self.decompress(frame, capacity: Int(size)) }
        #expect(fits.result == payloadCount)
        #expect(fits.bytes == Self.payload)
    }

    @Test func everyOtherThreadGetsLibzstdsOwnAnswer() throws {
        let unsized = try Self.frame(Self.payload, contentSize: false)
        let sized = try Self.frame(Self.payload, contentSize: true)
        #expect(unsized.withUnsafeBytes { fsZstdFrameContentSize($0.baseAddress, $0.count) } == ZSTD_CONTENTSIZE_UNKNOWN)
        #expect(sized.withUnsafeBytes { fsZstdFrameContentSize($0.baseAddress, $0.count) } == UInt64(Self.payload.count))
        let garbage: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        #expect(garbage.withUnsafeBytes { fsZstdFrameContentSize($0.baseAddress, $0.count) } == ZSTD_CONTENTSIZE_ERROR)
        // On librdkafka's threads a frame with its size, or a damaged one, is answered as libzstd does.
        let onKafka = Self.onThread(named: "rdk:broker2") {
            (sized.withUnsafeBytes { fsZstdFrameContentSize($0.baseAddress, $0.count) },
             garbage.withUnsafeBytes { fsZstdFrameContentSize($0.baseAddress, $0.count) })
        }
        #expect(onKafka.0 == UInt64(Self.payload.count))
        #expect(onKafka.1 == ZSTD_CONTENTSIZE_ERROR)
    }
}

/// A body to run on a named thread, and what it returned (set by that thread before the join).
private final class NamedThreadJob: @unchecked Sendable {
    struct Result { let value: Any }
    let name: String
    let body: () -> Result
    var result: Result?
    init(name: String, body: @escaping () -> Result) { self.name = name; self.body = body }
}
