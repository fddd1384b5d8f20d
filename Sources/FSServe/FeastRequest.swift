import FSCore

/// A parsed `POST /get-online-features` body, in Feast's shape:
/// `{"entities": {"customer_id": [1, 2]}, "features": ["order_agg:total-amount-sum-1h"], "full_feature_names": false}`.
///
/// Parsing is phase one: it checks the JSON's shape and the limits; binding feature references
/// to served tables happens in `FeatureService`, against each table's columns.
struct FeastRequest: Equatable {
    /// Entity columns in request order, each with one value per requested row.
    var entities: [(name: String, values: [JSONValue])]
    /// `table:feature` references, in request order.
    var features: [(table: String, feature: String)]
    var fullFeatureNames: Bool
    var rowCount: Int

    static func == (a: FeastRequest, b: FeastRequest) -> Bool {
        a.entities.map(\.name) == b.entities.map(\.name) && a.entities.map(\.values) == b.entities.map(\.values)
            && a.features.map(\.table) == b.features.map(\.table) && a.features.map(\.feature) == b.features.map(\.feature)
            && a.fullFeatureNames == b.fullFeatureNames && a.rowCount == b.rowCount
    }

    /// Parses and validates a body. `defaultTable` resolves bare feature names when exactly one
    /// table is served. Errors are 422s that say what is wrong.
    ///
    /// The plain shape clients send is read by `FeastRequestScanner` without a JSON tree; any
    /// other body goes through `parseTree`, which gives the same result for what the scanner
    /// reads and the error messages for what is wrong.
    static func parse(_ body: UnsafeRawBufferPointer, maxKeys: Int, defaultTable: String?) throws(ServeError) -> FeastRequest {
        if let scanned = FeastRequestScanner.scan(body, maxKeys: maxKeys, defaultTable: defaultTable) { return scanned }
        return try parseTree(body, maxKeys: maxKeys, defaultTable: defaultTable)
    }

    /// `parse` through a `JSONValue` tree: every valid JSON spelling, and the error messages.
    static func parseTree(_ body: UnsafeRawBufferPointer, maxKeys: Int, defaultTable: String?) throws(ServeError) -> FeastRequest {
        let json: JSONValue
        do {
            json = try JSONValue.parse(utf8: body.bindMemory(to: UInt8.self))
        } catch {
            throw .badRequest("request body is not JSON: \(error)")
        }
        guard let object = json.objectValue else { throw .badRequest("request body must be a JSON object") }
        if json["feature_service"] != nil { throw .badRequest("feature_service is not supported: list the features as \"table:feature\"") }
        guard let entityObject = json["entities"]?.objectValue, !entityObject.isEmpty else {
            throw .badRequest("\"entities\" must be an object of join key → array of values")
        }
        guard let featureArray = json["features"]?.arrayValue, !featureArray.isEmpty else {
            throw .badRequest("\"features\" must be a non-empty array of \"table:feature\" strings")
        }
        for (key, _) in object where !["entities", "features", "full_feature_names"].contains(key) {
            throw .badRequest("unknown request field \"\(key)\"")
        }
        var entities: [(String, [JSONValue])] = []
        var rows: Int?
        for (name, value) in entityObject {
            guard let values = value.arrayValue else { throw .badRequest("entity \"\(name)\" must be an array of values") }
            if let r = rows, r != values.count {
                throw .badRequest("entity \"\(name)\" has \(values.count) values, the others \(r): every entity column needs one value per row")
            }
            rows = values.count
            for v in values {
                switch v {
                case .int, .string: break
                case .double(let d) where d == d.rounded(): break
                default: throw .badRequest("entity \"\(name)\" has a value \(v) that is neither an integer nor a string")
                }
            }
            entities.append((name, values))
        }
        let rowCount = rows ?? 0
        if rowCount > maxKeys {
            throw .badRequest("\(rowCount) entity rows requested; at most \(maxKeys) per request (--max-keys)")
        }
        var features: [(String, String)] = []
        for f in featureArray {
            guard let text = f.stringValue else { throw .badRequest("feature reference \(f) is not a string") }
            if let colon = text.firstIndex(of: ":") {
                features.append((String(text[..<colon]), String(text[text.index(after: colon)...])))
            } else if let t = defaultTable {
                features.append((t, text))
            } else {
                throw .badRequest("feature reference \"\(text)\" must be \"table:feature\" (several tables are served)")
            }
        }
        let full = json["full_feature_names"]?.boolValue ?? false
        return FeastRequest(entities: entities, features: features, fullFeatureNames: full, rowCount: rowCount)
    }

    /// A request value as a key value: integers as Int64, strings as they are.
    static func keyValue(_ v: JSONValue) -> Value {
        switch v {
        case .int(let i): return .int64(i)
        case .double(let d): return .int64(Int64(d))
        case .string(let s): return .string(s)
        default: return .null
        }
    }
}
