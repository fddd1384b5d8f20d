/// A growable byte buffer over manually managed memory: the bottom layer the encoders write to.
///
/// Swift `Array.append` re-checks uniqueness and capacity on every byte; page encoding writes
/// millions of bytes, so encoders instead `reserve` once per run of values and then write
/// through `pointer(at:)`. One sink is reused for every page of a column (`removeAll` keeps the
/// memory), so steady-state encoding allocates nothing. Not shared across threads.
package final class ByteSink {
    package private(set) var base: UnsafeMutableRawPointer
    /// Bytes written so far.
    package var count: Int
    package private(set) var capacity: Int

    package init(capacity: Int = 4096) {
        self.capacity = Swift.max(capacity, 16)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        count = 0
    }

    deinit { base.deallocate() }

    /// Makes room for `n` more bytes (amortized doubling).
    @inline(__always)
    package func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let p = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        p.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = p
        capacity = newCapacity
    }

    /// Exchanges memory and contents with `other` (no copy): a page body goes to another thread
    /// while this sink goes on in `other`'s buffer.
    package func swapStorage(with other: ByteSink) {
        swap(&base, &other.base)
        swap(&count, &other.count)
        swap(&capacity, &other.capacity)
    }

    /// Forgets the contents, keeps the memory.
    package func removeAll() { count = 0 }

    /// Gives back the memory past the written bytes, keeping at least `minimumCapacity`. A sink
    /// keeps its largest size for reuse, which is right while it is busy; an idle file writer's
    /// sinks would otherwise each hold a page's worth (`ParquetFileWriter.releaseBuffers`).
    package func shrink(minimumCapacity: Int = 16) {
        let target = Swift.max(count, minimumCapacity, 16)
        guard target < capacity else { return }
        let p = UnsafeMutableRawPointer.allocate(byteCount: target, alignment: 16)
        p.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = p
        capacity = target
    }

    @inline(__always)
    package func append(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Appends a fixed-width integer little-endian.
    @inline(__always)
    package func append<T: FixedWidthInteger>(littleEndian value: T) {
        reserve(MemoryLayout<T>.size)
        base.storeBytes(of: value.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    package func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: src, byteCount: bytes.count)
        count += bytes.count
    }

    package func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Unsigned LEB128 (RLE run headers).
    @inline(__always)
    package func appendVarint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: count, as: UInt8.self)
            count += 1
            v >>= 7
        }
        base.storeBytes(of: UInt8(v), toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Overwrites 4 bytes at `offset` with `value` little-endian (length prefixes known only
    /// after the levels are encoded).
    package func setUInt32(_ value: UInt32, at offset: Int) {
        precondition(offset + 4 <= count, "setUInt32 past the written bytes")
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// The written bytes, valid until the next mutation.
    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A copy of the written bytes.
    package func toArray() -> [UInt8] { Array(bytes) }
}
