/// A set of equally long columns described by a schema: the unit every layer passes around.
public struct RecordBatch: Sendable, Hashable {
    public var schema: Schema
    public var columns: [Column]

    public init(schema: Schema, columns: [Column]) {
        precondition(schema.count == columns.count, "schema has \(schema.count) fields, batch \(columns.count) columns")
        if let n = columns.first?.count {
            for (f, c) in zip(schema.fields, columns) {
                precondition(c.count == n, "column \(f.name) has \(c.count) rows, expected \(n)")
                precondition(c.type == f.type, "column \(f.name) is \(c.type), schema says \(f.type)")
            }
        }
        self.schema = schema
        self.columns = columns
    }

    /// A batch with no rows.
    public static func empty(_ schema: Schema) -> RecordBatch {
        RecordBatch(schema: schema, columns: schema.fields.map { Column(type: $0.type, values: .empty(for: $0.type)) })
    }

    public var rowCount: Int { columns.first?.count ?? 0 }

    public func column(named name: String) -> Column? { schema.index(of: name).map { columns[$0] } }

    /// Row i as values (slow path).
    public func row(_ i: Int) -> [Value] { columns.map { $0[i] } }

    /// Only the named columns, in that order; nil if one is missing.
    public func projected(_ names: [String]) -> RecordBatch? {
        guard let s = schema.projected(names) else { return nil }
        return RecordBatch(schema: s, columns: names.map { columns[schema.index(of: $0)!] })
    }

    /// Rows `indices`, in that order.
    public func gather(_ indices: [Int]) -> RecordBatch {
        RecordBatch(schema: schema, columns: columns.map { $0.gather(indices) })
    }

    /// Concatenates batches of the same schema, column by column over the typed arrays.
    public static func concatenate(_ batches: [RecordBatch], schema: Schema) -> RecordBatch {
        if batches.count == 1, batches[0].schema == schema { return batches[0] }
        let columns = schema.fields.indices.map { ci in
            Column.concatenate(batches.map { $0.columns[ci] }, type: schema.fields[ci].type)
        }
        return RecordBatch(schema: schema, columns: columns)
    }
}
