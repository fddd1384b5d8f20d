/// One payload field's token in the current message, then its converted value.
struct Slot {
    enum Tag: UInt8 { case absent, null, string, number, bool, array, object }
    var tag: Tag = .absent
    var start = 0
    var end = 0
    var hasEscapes = false
    /// The content (unescaped) is the tail of the field's `StringColumnBuilder`, `decodedEnd`
    /// bytes long; it becomes the row's value by a commit, not a copy.
    var isInColumn = false
    /// Where an escaped string's unescaped content lies in `DecodedText` (set only then).
    var decodedStart = 0
    var decodedEnd = 0
    var flag = false
    var number = 0.0
    var integer: Int64 = 0

    mutating func set(_ t: JSONScanner.Token) {
        hasEscapes = false
        isInColumn = false
        switch t {
        case .string(let s, let e, let esc): tag = .string; start = s; end = e; hasEscapes = esc
        case .number(let s, let e, _): tag = .number; start = s; end = e
        case .bool(let b): tag = .bool; flag = b; start = 0; end = 0
        case .null: tag = .null
        case .array(let s, let e): tag = .array; start = s; end = e
        case .object(let s, let e): tag = .object; start = s; end = e
        }
    }
}
