/// The two escaping schemes a Delta table's paths go through:
///
/// 1. Hive/Spark directory names: `k=v` where special characters of `v` become `%XX`
///    (Spark's `ExternalCatalogUtils.escapePathName`), e.g. `city=S%3Ao Paulo`.
/// 2. `add.path` / `remove.path` in the log are URIs (RFC 2396): the relative file path is
///    percent-encoded again, so a space is `%20` and the `%` of step 1 becomes `%25`.
public enum PathEscaping {
    /// Hive's name for a null (or empty) partition value's directory.
    public static let hiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

    /// Escapes a partition column name or value for a directory name, as Spark does.
    public static func escapePathName(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x80, needsHiveEscape(UInt8(u.value)) { out += "%" + hex2(UInt8(u.value)) } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// Reverses `escapePathName`; `%` not followed by two hex digits stays literal (Hive's rule).
    public static func unescapePathName(_ s: String) -> String {
        let bytes = Array(s.utf8)
        return String(decoding: percentDecoded(bytes, strict: false) ?? bytes, as: UTF8.self)
    }

    /// Percent-encodes a relative path for `add.path`: every byte outside RFC 2396's path
    /// characters (unreserved, `/`, and `:@&=+$,;`) — so spaces, `%`, `#`, `?` and non-ASCII
    /// UTF-8 bytes are escaped.
    public static func uriEncode(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            if isURIPathByte(b) { out.unicodeScalars.append(Unicode.Scalar(b)) } else { out += "%" + hex2(b) }
        }
        return out
    }

    /// Decodes a URI-encoded path; nil when a `%` is not followed by two hex digits or the
    /// result is not UTF-8. A `file://` scheme prefix is removed (absolute local paths).
    public static func uriDecode(_ uri: String) -> String? {
        var bytes = Array(uri.utf8)
        if uri.hasPrefix("file://") { bytes.removeFirst(7) } else if uri.hasPrefix("file:/") { bytes.removeFirst(5) }
        guard let out = percentDecoded(bytes, strict: true) else { return nil }
        return String(validating: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes. A `%` without two hex digits after it is kept as a literal when
    /// not `strict` (Hive's rule for directory names) and makes the result nil when `strict`
    /// (a malformed URI in the log).
    private static func percentDecoded(_ bytes: [UInt8], strict: Bool) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                if i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
                if strict { return nil }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// Spark's `charToEscape`: control characters and `"#%'*/:=?\{[]^` and DEL.
    static func needsHiveEscape(_ b: UInt8) -> Bool {
        if b < 0x20 || b == 0x7F { return true }
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "#"), UInt8(ascii: "%"), UInt8(ascii: "'"), UInt8(ascii: "*"),
             UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "\\"),
             UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "^"):
            return true
        default: return false
        }
    }

    static func isURIPathByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "~"), UInt8(ascii: "*"),
             UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "@"),
             UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "$"), UInt8(ascii: ","), UInt8(ascii: ";"):
            return true
        default: return false
        }
    }

    private static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
