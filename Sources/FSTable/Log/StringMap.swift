/// An ordered map from string keys to optional strings: Delta's `partitionValues`,
/// `configuration`, `format.options` and `tags`.
///
/// Kept as a list so the JSON we write is byte-for-byte deterministic (keys in insertion order,
/// which for partition values is the table's partition column order) and round trips exactly.
/// A `nil` value is JSON `null` (a null partition value).
public struct StringMap: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// One key and its value.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: String?
        public init(key: String, value: String?) { self.key = key; self.value = value }
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }
    public init(_ entries: [Entry]) { self.entries = entries }
    public init(dictionaryLiteral elements: (String, String?)...) {
        entries = elements.map { Entry(key: $0.0, value: $0.1) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// True when `key` is present (its value may still be null).
    public func contains(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The value of `key`; nil when absent or null (use `contains` to tell them apart).
    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// Sets `key`, keeping its position when it already exists.
    public mutating func set(_ key: String, _ value: String?) {
        if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].value = value } else { entries.append(Entry(key: key, value: value)) }
    }

    public var description: String {
        "{" + entries.map { "\($0.key)=\($0.value ?? "null")" }.joined(separator: ", ") + "}"
    }
}
