import FSCore

/// Spark's JSON schema (Delta's `schemaString`) ↔ `FSCore.Schema`
/// ("Schema Serialization Format"): `{"type":"struct","fields":[{"name":"id","type":"long",
/// "nullable":false,"metadata":{}}]}`. Partition columns are part of it.
public enum SparkSchema {
    /// The compact JSON text of `schema`.
    public static func encode(_ schema: Schema) -> String {
        let fields: [JSONValue] = schema.fields.map {
            .object([("name", .string($0.name)), ("type", .string($0.type.deltaName)), ("nullable", .bool($0.isNullable)), ("metadata", .object([]))])
        }
        return JSONValue.object([("type", .string("struct")), ("fields", .array(fields))]).description
    }

    /// Parses a schema string. Types fs reads through a wider one map to it (`short`/`byte` →
    /// int32, `float`/`decimal(p,s)` → double, `binary` → string, `timestamp_ntz` → timestamp,
    /// as the Parquet reader does); nested types are refused with the column's name.
    public static func decode(_ text: String) throws(DeltaLogError) -> Schema {
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw .invalidSchema(reason: error.description) }
        guard json["type"]?.stringValue == "struct", let fields = json["fields"]?.arrayValue else {
            throw .invalidSchema(reason: "expected {\"type\":\"struct\",\"fields\":[...]}")
        }
        var out: [Field] = []
        var seen = Set<String>()
        for f in fields {
            guard let name = f["name"]?.stringValue else { throw .invalidSchema(reason: "a field has no name") }
            guard seen.insert(name.lowercased()).inserted else { throw .invalidSchema(reason: "duplicate column \(name) (names are case-insensitive)") }
            guard let typeJSON = f["type"] else { throw .invalidSchema(reason: "field \(name) has no type") }
            guard let typeName = typeJSON.stringValue else { throw .unsupportedType(column: name, type: typeJSON.description) }
            guard let type = dataType(typeName) else { throw .unsupportedType(column: name, type: typeName) }
            out.append(Field(name, type, isNullable: f["nullable"]?.boolValue ?? true))
        }
        return Schema(out)
    }

    private static func dataType(_ name: String) -> DataType? {
        if let t = DataType(deltaName: name) { return t }
        if name.hasPrefix("decimal") { return .double }
        if name == "binary" { return .string }
        return nil
    }
}
