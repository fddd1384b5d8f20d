import FSCore

/// The `get_json_object` path subset: `$`, then `.name`, `['name']` or `[index]` steps.
struct JSONPath: Sendable, Equatable {
    enum Step: Sendable, Equatable { case key([UInt8]); case index(Int) }
    let steps: [Step]

    init?(_ text: String) {
        let c = Array(text)
        guard c.first == "$" else { return nil }
        var steps: [Step] = []
        var i = 1
        while i < c.count {
            if c[i] == "." {
                var j = i + 1
                var name = ""
                while j < c.count, c[j] != ".", c[j] != "[" { name.append(c[j]); j += 1 }
                guard !name.isEmpty, name != "*" else { return nil }
                steps.append(.key(Array(name.utf8)))
                i = j
            } else if c[i] == "[" {
                guard let close = c[i...].firstIndex(of: "]") else { return nil }
                let inner = String(c[(i + 1)..<close])
                if inner.count >= 2, inner.first == "'", inner.last == "'" {
                    steps.append(.key(Array(inner.dropFirst().dropLast().utf8)))
                } else if let k = Int(inner), k >= 0 {
                    steps.append(.index(k))
                } else {
                    return nil
                }
                i = close + 1
            } else {
                return nil
            }
        }
        self.steps = steps
    }
}

/// A forward-only JSON scanner over UTF-8 bytes that navigates without building a tree: what
/// `json_array_length` and `get_json_object` need, with no allocation except the result.
struct JSONScanner {
    let p: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

    mutating func skipWhitespace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
    }

    /// Skips one value; false when malformed.
    mutating func skipValue(depth: Int = 0) -> Bool {
        skipWhitespace()
        guard i < p.count, depth < 512 else { return false }
        switch p[i] {
        case UInt8(ascii: "\""): return skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // One loop for both containers: an object's members are a key and ':' before the value.
            let isObject = p[i] == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            i += 1
            skipWhitespace()
            if i < p.count, p[i] == close { i += 1; return true }
            while true {
                if isObject {
                    skipWhitespace()
                    guard skipString() else { return false }
                    skipWhitespace()
                    guard i < p.count, p[i] == UInt8(ascii: ":") else { return false }
                    i += 1
                }
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                guard i < p.count else { return false }
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                if p[i] == close { i += 1; return true }
                return false
            }
        default:
            let start = i
            while i < p.count, !",]} \n\r\t".utf8.contains(p[i]) { i += 1 }
            let word = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
            return word == "true" || word == "false" || word == "null" || Double(word) != nil && !word.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" })
        }
    }

    mutating func skipString() -> Bool {
        guard i < p.count, p[i] == UInt8(ascii: "\"") else { return false }
        i += 1
        while i < p.count {
            if p[i] == UInt8(ascii: "\\") { i += 2; continue }
            if p[i] == UInt8(ascii: "\"") { i += 1; return true }
            i += 1
        }
        return false
    }

    /// Decodes the string starting at `i` (which must be a quote).
    mutating func readString() -> String? {
        let start = i
        guard skipString() else { return nil }
        let raw = UnsafeBufferPointer(rebasing: p[start..<i])
        guard let v = try? JSONValue.parse(utf8: raw), case .string(let s) = v else { return nil }
        return s
    }

    /// Element count of the array at `i`; nil when not an array or malformed.
    mutating func arrayLength() -> Int? {
        skipWhitespace()
        guard i < p.count, p[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        skipWhitespace()
        if i < p.count, p[i] == UInt8(ascii: "]") { return 0 }
        var n = 0
        while true {
            guard skipValue() else { return nil }
            n += 1
            skipWhitespace()
            guard i < p.count else { return nil }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { return n }
            return nil
        }
    }

    /// Moves to the value at `step` inside the container at `i`; false when absent.
    mutating func descend(_ step: JSONPath.Step) -> Bool {
        skipWhitespace()
        guard i < p.count else { return false }
        switch step {
        case .key(let key):
            guard p[i] == UInt8(ascii: "{") else { return false }
            i += 1
            skipWhitespace()
            if i < p.count, p[i] == UInt8(ascii: "}") { return false }
            while true {
                skipWhitespace()
                guard let name = readString() else { return false }
                skipWhitespace()
                guard i < p.count, p[i] == UInt8(ascii: ":") else { return false }
                i += 1
                skipWhitespace()
                if Array(name.utf8) == key { return true }
                guard skipValue() else { return false }
                skipWhitespace()
                guard i < p.count, p[i] == UInt8(ascii: ",") else { return false }
                i += 1
            }
        case .index(let k):
            guard p[i] == UInt8(ascii: "[") else { return false }
            i += 1
            var n = 0
            while true {
                skipWhitespace()
                guard i < p.count, p[i] != UInt8(ascii: "]") else { return false }
                if n == k { return true }
                guard skipValue() else { return false }
                skipWhitespace()
                guard i < p.count, p[i] == UInt8(ascii: ",") else { return false }
                i += 1
                n += 1
            }
        }
    }

    /// The value at `i` as `get_json_object` returns it: strings unquoted, JSON `null` as nil,
    /// numbers and containers as compact JSON (floats in Java's `Double.toString` form).
    mutating func extractValue() -> String? {
        skipWhitespace()
        guard i < p.count else { return nil }
        if p[i] == UInt8(ascii: "\"") { return readString() }
        let start = i
        guard skipValue() else { return nil }
        let raw = UnsafeBufferPointer(rebasing: p[start..<i])
        guard let v = try? JSONValue.parse(utf8: raw) else { return nil }
        if case .null = v { return nil }
        var out = ""
        v.write(to: &out, doubles: formatSparkDouble)
        return out
    }
}
