import FSCore

#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer the Kafka encoder writes one message into, reused for every row.
///
/// Unlike `[UInt8]`, a write is a capacity check and a store: no uniqueness check, no
/// retain (the encoder writes ~20 pieces per message, 50k messages a publish). The memory is
/// `malloc`ed and freed by `release()`, which the owner calls exactly once (`defer`).
struct MessageBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    /// Bytes written; the owner resets it to 0 to start the next message.
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(64, capacity)
        guard let p = malloc(self.capacity) else { preconditionFailure("malloc(\(self.capacity)) failed") }
        base = p.assumingMemoryBound(to: UInt8.self)
    }

    /// Frees the memory (`free`); the buffer must not be used afterwards.
    func release() { free(base) }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        guard let p = realloc(base, c) else { preconditionFailure("realloc(\(c)) failed") }
        base = p.assumingMemoryBound(to: UInt8.self)
        capacity = c
    }

    @inline(__always)
    mutating func write(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    mutating func write(_ p: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }

    mutating func write(literal: StaticString) {
        write(literal.utf8Start, literal.utf8CodeUnitCount)
    }

    /// Two ASCII digits of `v` (0…99), from the pair table.
    @inline(__always)
    private mutating func writePair(_ v: Int) {
        base[count] = MessageBytes.digitPairs[2 * v]
        base[count + 1] = MessageBytes.digitPairs[2 * v + 1]
        count += 2
    }

    /// "00" "01" … "99".
    private static let digitPairs: [UInt8] = {
        var pairs: [UInt8] = []
        pairs.reserveCapacity(200)
        for v in 0..<100 {
            pairs.append(UInt8(48 + v / 10))
            pairs.append(UInt8(48 + v % 10))
        }
        return pairs
    }()

    /// The decimal digits of `value` (`appendDecimal`'s text).
    mutating func writeDecimal(_ value: Int64) {
        reserve(20)
        if value < 0 { base[count] = 45; count += 1 }
        var m = value.magnitude
        if m < 10 { base[count] = UInt8(48 + m); count += 1; return }
        var digits = 1
        var t = m
        while t >= 10 { t /= 10; digits += 1 }
        var end = count + digits
        count = end
        while m >= 100 {
            let pair = Int(m % 100)
            m /= 100
            end -= 2
            base[end] = MessageBytes.digitPairs[2 * pair]
            base[end + 1] = MessageBytes.digitPairs[2 * pair + 1]
        }
        if m >= 10 {
            base[end - 2] = MessageBytes.digitPairs[2 * Int(m)]
            base[end - 1] = MessageBytes.digitPairs[2 * Int(m) + 1]
        } else {
            base[end - 1] = UInt8(48 + m)
        }
    }

    /// `v` as at least `width` digits, zero-padded, a sign first when negative (`appendPadded`).
    private mutating func writePadded(_ v: Int, _ width: Int) {
        if v < 0 { write(45) }
        let m = Int64(v.magnitude)
        var digits = 1
        var t = m
        while t >= 10 { t /= 10; digits += 1 }
        for _ in digits..<Swift.max(digits, width) { write(48) }
        writeDecimal(m)
    }

    /// `formatDate(days:)`: `2019-01-17`.
    mutating func writeDate(days: Int32) {
        let c = CivilDate(daysSinceEpoch: Int64(days))
        writePadded(c.year, 4)
        write(45)
        writePadded(c.month, 2)
        write(45)
        writePadded(c.day, 2)
    }

    /// The first and last day whose dates are `YYYY-MM-DD` with a four-digit year (0000-01-01,
    /// 9999-12-31): the cached fast path of `writeISO8601`.
    private static let fastDays: ClosedRange<Int64> = -719_528...2_932_896

    /// `formatISO8601(micros:)`: `2019-01-17T22:50:06.000000Z`. `day` keeps the date text of
    /// the last day written, so only a day change runs the civil-date conversion.
    mutating func writeISO8601(micros: Int64, day: inout DayText) {
        let perDay: Int64 = 86_400_000_000
        var d = micros / perDay
        var rem = micros % perDay
        if rem < 0 { rem += perDay; d -= 1 }
        guard MessageBytes.fastDays.contains(d) else {
            var text: [UInt8] = []
            appendISO8601(micros: micros, to: &text)
            text.withUnsafeBufferPointer { write($0.baseAddress!, $0.count) }
            return
        }
        if day.day != d {
            var date = MessageBytes(capacity: 16)
            defer { date.release() }
            date.writeDate(days: Int32(d))
            precondition(date.count == 10, "a date in years 0…9999 is 10 characters")
            withUnsafeMutableBytes(of: &day.text) { $0.copyMemory(from: UnsafeRawBufferPointer(start: date.base, count: 10)) }
            day.day = d
        }
        reserve(27)
        withUnsafeBytes(of: day.text) { (base + count).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 10) }
        count += 10
        let r = Int(rem)
        let seconds = r / 1_000_000, micro = r % 1_000_000
        base[count] = 84  // T
        count += 1
        writePair(seconds / 3600)
        base[count] = 58
        count += 1
        writePair(seconds / 60 % 60)
        base[count] = 58
        count += 1
        writePair(seconds % 60)
        base[count] = 46
        count += 1
        writePair(micro / 10_000)
        writePair(micro / 100 % 100)
        writePair(micro % 100)
        base[count] = 90  // Z
        count += 1
    }

    /// `appendShortestDouble`'s text (`d.description`), amounts in cents digit by digit.
    mutating func writeShortest(_ d: Double) {
        // As `appendShortestDouble`: when d·100 is an integer k and k/100 is d again, the
        // decimal k/100 is the shortest text that reads back to d.
        let cents = d * 100
        if d != 0, abs(d) < 1e9, cents == cents.rounded(), cents / 100 == d {
            let k = Int64(cents)
            if k < 0 { write(45) }
            let m = k.magnitude
            writeDecimal(Int64(m / 100))
            let f = Int(m % 100)
            reserve(3)
            base[count] = 46
            count += 1
            if f % 10 == 0 {
                base[count] = UInt8(48 + f / 10)
                count += 1
            } else {
                writePair(f)
            }
            return
        }
        var text = d.description
        text.withUTF8 { write($0.baseAddress!, $0.count) }
    }

    /// A JSON string of `n` UTF-8 bytes at `p`, escaped as `KafkaMessageEncoder.appendJSONString`
    /// escapes it; runs of bytes that need no escape are copied whole.
    mutating func writeJSONString(_ p: UnsafePointer<UInt8>, _ n: Int) {
        write(34)
        var start = 0
        for i in 0..<n {
            let b = p[i]
            guard b < 0x20 || b == 34 || b == 92 else { continue }
            write(p + start, i - start)
            start = i + 1
            switch b {
            case 34, 92: write(92); write(b)
            case 10: write(92); write(110)
            case 13: write(92); write(114)
            case 9: write(92); write(116)
            default:
                let hex: StaticString = "0123456789abcdef"
                write(literal: "\\u00")
                write(hex.utf8Start[Int(b >> 4)])
                write(hex.utf8Start[Int(b & 15)])
            }
        }
        write(p + start, n - start)
        write(34)
    }
}
