import FSCore
import Foundation
import Testing
@testable import FSPublish

/// The byte appenders the targets use against FSCore's `String` formatters they replace, and
/// the binary COPY layout of one row.
@Suite struct ValueTextTests {
    static let micros: [Int64] = [0, 1, -1, 999_999, 1_547_683_200_000_000, 1_577_836_799_999_999, -62_135_596_800_000_000,
                                  253_402_300_799_999_999, -86_400_000_001, 1_234_567_890_123_456]

    @Test func timestampsAndDatesAppendTheSameTextAsTheFormatters() {
        var rng = SplitMix64(seed: 7)
        let randomMicros = (0..<500).map { _ in Int64(bitPattern: rng.next() % 400_000_000_000_000_000) - 100_000_000_000_000_000 }
        for m in Self.micros + randomMicros {
            var out: [UInt8] = []
            appendISO8601(micros: m, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == formatISO8601(micros: m), "\(m)")
            var sql: [UInt8] = []
            appendSQLTimestamp(micros: m, to: &sql)
            #expect(String(decoding: sql, as: UTF8.self) == String(formatISO8601(micros: m).dropLast()).replacingOccurrences(of: "T", with: " "), "\(m)")
        }
        for d: Int32 in [0, 1, -1, 17_913, -719_162, 2_932_896, -10_000, 100_000] {
            var out: [UInt8] = []
            appendDate(days: d, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == formatDate(days: d), "\(d)")
        }
    }

    @Test func doublesWithAtMostTwoDecimalsAppendSwiftsShortestForm() {
        var rng = SplitMix64(seed: 13)
        var values: [Double] = [0, -0.0, 0.01, -0.01, 0.1, -0.5, 0.05, 24.9, 24.96, 100.5, 999_999_999.99, -999_999_999.99, 1e9 - 0.01,
                                0.29, 0.3, 1.15, 2.675, 1e-3, 123.45, 5e-5]
        for _ in 0..<20_000 {
            let cents = Int64(bitPattern: rng.next()) % 200_000_000_000
            values.append(Double(cents) / 100)
            values.append(Double(cents % 100_000) / 100)
        }
        for d in values {
            var out: [UInt8] = []
            appendShortestDouble(d, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == d.description, "\(d.bitPattern)")
        }
    }

    @Test func doublesAppendTheSameTextAsSQLDoubleText() {
        var rng = SplitMix64(seed: 11)
        let edges: [Double] = [0, -0.0, 1, -1, 0.1, 1e15, 1e15 - 1, -1e15 + 1, 9.007_199_254_740_992e15, 1e16, 1e-300, -2.5,
                               123_456_789.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 38.2]
        let random = (0..<500).map { _ in Double(bitPattern: rng.next()) } + (0..<500).map { _ in Double(Int64(bitPattern: rng.next()) % 1_000_000) / 100 }
        for d in edges + random {
            var out: [UInt8] = []
            appendSQLDouble(d, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == sqlDoubleText(d), "\(d.bitPattern)")
        }
    }

    @Test func aBinaryCopyRowIsBigEndianFieldsAfterTheHeaderWithMinusOneForNull() {
        let schema = Schema([Field("k", .string), Field("t", .timestamp), Field("n", .int64), Field("x", .double),
                             Field("d", .date), Field("b", .boolean), Field("i", .int32)])
        let batch = RecordBatch(schema: schema, columns: [
            Column(.string, [.string("é")]), Column(.timestamp, [.timestamp(946_684_800_000_001)]), Column(.int64, [.null]),
            Column(.double, [.double(1.0)]), Column(.date, [.date(10_958)]), Column(.boolean, [.boolean(true)]), Column(.int32, [.int32(-2)]),
        ])
        let expected: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
            + [0, 7]
            + [0, 0, 0, 2, 0xC3, 0xA9]
            + [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]
            + [0xFF, 0xFF, 0xFF, 0xFF]
            + [0, 0, 0, 8, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]
            + [0, 0, 0, 4, 0, 0, 0, 1]
            + [0, 0, 0, 1, 1]
            + [0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFE]
            + [0xFF, 0xFF]
        #expect(PostgresCopyBinary.encode(batch) == expected)
    }

    @Test func anEmptyBatchIsTheHeaderAndTheTrailer() {
        let batch = RecordBatch.empty(Schema([Field("k", .string)]))
        #expect(PostgresCopyBinary.encode(batch) == Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF])
    }
}
