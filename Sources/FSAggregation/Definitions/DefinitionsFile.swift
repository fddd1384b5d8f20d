import FSCore
import FSExpr

/// Reads feature definitions from `jobs/*.json`: a JSON array of objects, each either
/// `{"featureName", "field", "operation", "period"?}` (an `AggAction`) or
/// `{"featureName", "expression", "period"?}` (an `AggCustomAction`).
///
/// Every problem is a `DefinitionError` naming the file, the feature (position and name) and
/// what is wrong, so a typo in a 50-feature file is found from the message alone.
public enum DefinitionsFile {
    static let actionKeys: Set<String> = ["featureName", "field", "operation", "period"]
    static let customKeys: Set<String> = ["featureName", "expression", "period"]

    /// Loads and validates the file at `path`.
    public static func load(_ path: String) throws(DefinitionError) -> [FeatureDefinition] {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch { throw DefinitionError(file: path, problem: "cannot read: \(error)") }
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }

    /// Parses definitions text; `file` is only used in messages.
    public static func parse(_ text: String, file: String) throws(DefinitionError) -> [FeatureDefinition] {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw DefinitionError(file: file, problem: "\(error)") }
        guard let items = json.arrayValue else {
            throw DefinitionError(file: file, problem: "expected a JSON array of feature definitions")
        }
        guard !items.isEmpty else { throw DefinitionError(file: file, problem: "no feature definitions") }
        var out: [FeatureDefinition] = []
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let def = try parseOne(item, index: i, file: file)
            if let first = seen[def.featureName] {
                throw DefinitionError(file: file, index: i, featureName: def.featureName,
                                      problem: "duplicate featureName (first defined by feature #\(first + 1))")
            }
            seen[def.featureName] = i
            out.append(def)
        }
        return out
    }

    static func parseOne(_ item: JSONValue, index i: Int, file: String) throws(DefinitionError) -> FeatureDefinition {
        guard let pairs = item.objectValue else {
            throw DefinitionError(file: file, index: i, problem: "expected an object, found \(item)")
        }
        let name = item["featureName"]?.stringValue
        func fail(_ problem: String) -> DefinitionError { DefinitionError(file: file, index: i, featureName: name, problem: problem) }
        guard let featureName = name else {
            throw fail(item["featureName"] == nil ? "missing \"featureName\"" : "\"featureName\" must be a string")
        }
        guard !featureName.trimmingSpaces.isEmpty else { throw fail("\"featureName\" is empty") }
        let isCustom = item["expression"] != nil
        let allowed = isCustom ? customKeys : actionKeys
        for (key, _) in pairs where !allowed.contains(key) {
            let hint = closeNames(key, Array(actionKeys.union(customKeys))).first.map { " (did you mean \"\($0)\"?)" } ?? ""
            if isCustom && actionKeys.contains(key) {
                throw fail("\"\(key)\" cannot be combined with \"expression\"; write the aggregate in the expression")
            }
            throw fail("unknown key \"\(key)\"\(hint)")
        }
        var period: Period? = nil
        if let p = item["period"] {
            guard let text = p.stringValue else { throw fail("\"period\" must be a string such as \"3 days\"") }
            guard let parsed = Period(parsing: text) else {
                throw fail("bad period \"\(text)\": expected a positive count and a unit (\"3 days\", \"12 hours\", \"1 week\")")
            }
            period = parsed
        }
        if isCustom {
            guard let expr = item["expression"]?.stringValue else { throw fail("\"expression\" must be a string") }
            guard !expr.trimmingSpaces.isEmpty else { throw fail("\"expression\" is empty") }
            return .custom(AggCustomAction(featureName: featureName, expression: expr, period: period))
        }
        guard let fieldValue = item["field"] else { throw fail("missing \"field\" (or give an \"expression\")") }
        guard let field = fieldValue.stringValue, !field.isEmpty else { throw fail("\"field\" must be a non-empty string") }
        guard let opValue = item["operation"] else { throw fail("missing \"operation\"") }
        guard let op = opValue.stringValue else { throw fail("\"operation\" must be a string") }
        guard let kind = AggregateKind(functionName: op) else {
            let names = closeNames(op.lowercased(), Array(AggregateKind.namesByFunction.keys))
            let hint = names.isEmpty ? "" : " (did you mean \(names.prefix(3).joined(separator: ", "))?)"
            throw fail("unknown operation \"\(op)\"\(hint)")
        }
        guard kind.arity == 1, kind != .percentileApprox else {
            throw fail("operation \"\(op)\" needs more than one field or a parameter; write it as an \"expression\"")
        }
        return .aggregate(AggAction(featureName: featureName, period: period, field: field, operation: kind,
                                    isDistinct: AggregateKind.impliesDistinct(name: op)))
    }

    /// The candidates closest to `word` (smallest edit distance, at most 2), alphabetically;
    /// failing that, those sharing its first 3 letters.
    static func closeNames(_ word: String, _ candidates: [String]) -> [String] {
        let w = Array(word.lowercased())
        let scored = candidates.map { ($0, editDistance(w, Array($0.lowercased()))) }
        if let best = scored.map(\.1).min(), best <= 2 {
            return scored.filter { $0.1 == best }.map(\.0).sorted()
        }
        guard w.count >= 3 else { return [] }
        return candidates.filter { $0.lowercased().hasPrefix(String(w.prefix(3))) }.sorted()
    }
}

/// A definitions file that cannot be used: names the file, the feature and the problem.
/// A usage error (exit 64): the operator fixes the file and re-runs.
public struct DefinitionError: CategorizedError, Equatable {
    public var file: String
    /// 0-based position of the feature in the array; nil for file-level problems.
    public var index: Int?
    public var featureName: String?
    public var problem: String

    public init(file: String, index: Int? = nil, featureName: String? = nil, problem: String) {
        self.file = file
        self.index = index
        self.featureName = featureName
        self.problem = problem
    }

    public var exitStatus: ExitStatus { .usage }

    public var description: String {
        var s = file + ": "
        if let i = index {
            s += "feature #\(i + 1)"
            if let n = featureName { s += " \"\(n)\"" }
            s += ": "
        }
        return s + problem
    }
}
