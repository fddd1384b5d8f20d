import Testing
@testable import FSAggregation

/// The checkpoint encoding must not change under a faster writer: old state files must still read.
@Suite("State encoding bytes")
struct StateCodecTests {
    @Test("Fixed-width numbers are eight little-endian bytes and read back")
    func fixedWidthLittleEndian() throws {
        var w = StateWriter()
        w.write(UInt64(0x0102_0304_0506_0708))
        w.write(Int64(-2))
        w.write(1.0)
        w.write(UInt8(9))
        #expect(w.bytes == [8, 7, 6, 5, 4, 3, 2, 1] + [0xFE] + [UInt8](repeating: 0xFF, count: 7) + [0, 0, 0, 0, 0, 0, 0xF0, 0x3F] + [9])
        var r = StateReader(w.bytes)
        #expect(try r.readUInt64() == 0x0102_0304_0506_0708)
        #expect(try r.readInt64() == -2)
        #expect(try r.readDouble() == 1.0)
        #expect(try r.readUInt8() == 9)
    }

    @Test("A counting writer keeps no bytes and counts what a real writer writes")
    func countingWriter() {
        func fill(_ w: inout StateWriter) {
            w.write(true); w.write(Int64.min); w.write(Double.nan)
            w.writeCount(0); w.writeCount(127); w.writeCount(128); w.writeCount(Int(Int32.max))
            w.write(bytes: Array("é日本".utf8)); w.write(bytes: [UInt8]())
        }
        var real = StateWriter(), counting = StateWriter.counting()
        fill(&real)
        fill(&counting)
        #expect(counting.bytes.isEmpty)
        #expect(counting.count == real.bytes.count && real.count == real.bytes.count)
    }
}
