/// The parameters of one prepared execution, appended value by value into flat storage (one
/// 8-byte slot per parameter, one byte arena for text), then bound in one go — no per-value
/// allocation, and every pointer handed to MYSQL_BIND lives as long as the execution.
struct MySQLParameters {
    enum Kind: UInt8 { case null, int64, int32, double, boolean, text }
    private(set) var kinds: [Kind] = []
    private(set) var slots: [Int64] = []
    private(set) var arena: [UInt8] = []
    private(set) var textEnds: [Int] = []

    var count: Int { kinds.count }

    mutating func reserve(_ n: Int) { kinds.reserveCapacity(n); slots.reserveCapacity(n) }
    mutating func appendNull() { kinds.append(.null); slots.append(0) }
    mutating func append(_ v: Int64) { kinds.append(.int64); slots.append(v) }
    mutating func append(_ v: Int32) { kinds.append(.int32); slots.append(Int64(v)) }
    mutating func append(_ v: Double) { kinds.append(.double); slots.append(Int64(bitPattern: v.bitPattern)) }
    mutating func append(_ v: Bool) { kinds.append(.boolean); slots.append(v ? 1 : 0) }
    mutating func append(text s: String) { appendText { $0.append(contentsOf: s.utf8) } }
    /// A text parameter whose bytes `body` appends to the arena.
    mutating func appendText(_ body: (inout [UInt8]) -> Void) {
        let start = arena.count
        body(&arena)
        kinds.append(.text)
        slots.append(Int64(start))
        textEnds.append(arena.count)
    }
}
