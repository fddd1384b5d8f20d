import FSCore

/// How one JSON field of a stream becomes a column value.
///
/// The original read every field as a string; we keep the JSON's own types where it has them
/// (numbers, booleans) and parse the event time as UTC. `jsonText` keeps nested JSON (the
/// order's `items`) as a compact JSON string column that expressions reach into.
public enum FieldKind: Sendable, Hashable {
    /// Any JSON scalar; numbers and booleans keep their token text (Spark's string coercion).
    case string
    /// A JSON number, or a string holding one (CSV-born producers quote numbers).
    case double
    /// An integral JSON number, or a string holding one.
    case int64
    /// `true`/`false`, or the strings `"true"`/`"false"`.
    case boolean
    /// An ISO-8601 string parsed to µs UTC (`Z` is a zone, not a literal).
    case timestamp
    /// A JSON array (re-serialized compactly) or a string holding JSON (kept verbatim).
    case jsonText

    /// The column type this kind produces.
    public var dataType: DataType {
        switch self {
        case .string, .jsonText: return .string
        case .double: return .double
        case .int64: return .int64
        case .boolean: return .boolean
        case .timestamp: return .timestamp
        }
    }
}

/// One field of a stream's JSON payload, in the original schema's declared order.
public struct StreamField: Sendable, Hashable {
    public var name: String
    public var kind: FieldKind
    public init(_ name: String, _ kind: FieldKind) { self.name = name; self.kind = kind }
}

/// The four event streams of the iFood feature store (original-spec §3.3–§3.5).
///
/// Each has the original's column names in the original's order — `key` (the Kafka key) first,
/// then the payload fields, then the derived `fs_*` columns — and one time field that drives the
/// `fs_year/fs_month/fs_day` partitions.
public enum StreamType: String, Sendable, CaseIterable, CustomStringConvertible {
    case orderEvents = "order-events"
    case orderStatusEvents = "order-status-events"
    case restaurantEvents = "restaurant-events"
    case consumerEvents = "consumer-events"

    /// Accepts the four names and the README's singular `order-status-event`.
    public init?(name: String) {
        if name == "order-status-event" { self = .orderStatusEvents; return }
        self.init(rawValue: name)
    }

    public var description: String { rawValue }

    /// The topic the original author consumed this stream from.
    public var defaultTopic: String { "de-" + rawValue }

    /// The field whose time fills `fs_year` … `fs_minute`; a message without it is quarantined.
    public var timeField: String {
        switch self {
        case .orderEvents: return "order_created_at"
        default: return "created_at"
        }
    }

    /// The dedup key used when `--dedup-key` is not given (the status source has exact duplicates).
    public var defaultDedupKey: String? { self == .orderStatusEvents ? "status_id" : nil }

    /// The JSON payload fields, in the original schema's order.
    public var fields: [StreamField] {
        switch self {
        case .orderEvents:
            return [
                StreamField("customer_id", .string), StreamField("cpf", .string), StreamField("customer_name", .string),
                StreamField("delivery_address_city", .string), StreamField("delivery_address_country", .string),
                StreamField("delivery_address_district", .string), StreamField("delivery_address_external_id", .string),
                StreamField("delivery_address_latitude", .string), StreamField("delivery_address_longitude", .string),
                StreamField("delivery_address_state", .string), StreamField("delivery_address_zip_code", .string),
                StreamField("items", .jsonText), StreamField("merchant_id", .string),
                StreamField("merchant_latitude", .string), StreamField("merchant_longitude", .string),
                StreamField("merchant_timezone", .string), StreamField("order_created_at", .timestamp),
                StreamField("order_id", .string), StreamField("order_scheduled", .boolean),
                StreamField("order_total_amount", .double), StreamField("origin_platform", .string),
            ]
        case .orderStatusEvents:
            return [StreamField("created_at", .timestamp), StreamField("order_id", .string), StreamField("status_id", .string), StreamField("value", .string)]
        case .restaurantEvents:
            return [
                StreamField("average_ticket", .double), StreamField("created_at", .timestamp), StreamField("delivery_time", .int64),
                StreamField("enabled", .boolean), StreamField("id", .string), StreamField("merchant_city", .string),
                StreamField("merchant_country", .string), StreamField("merchant_state", .string),
                StreamField("merchant_zip_code", .string), StreamField("minimum_order_value", .double),
                StreamField("price_range", .int64), StreamField("takeout_time", .int64),
            ]
        case .consumerEvents:
            return [
                StreamField("active", .boolean), StreamField("created_at", .timestamp), StreamField("customer_id", .string),
                StreamField("customer_name", .string), StreamField("customer_phone_area", .string),
                StreamField("customer_phone_number", .string), StreamField("language", .string),
            ]
        }
    }

    /// Columns appended after the payload: event-time parts, the batch's ingestion time and the
    /// Kafka coordinates that make every row traceable to its message.
    public static let derivedFields: [Field] = [
        Field("fs_year", .int32), Field("fs_month", .int32), Field("fs_day", .int32),
        Field("fs_hour", .int32), Field("fs_minute", .int32),
        Field("fs_ingestion_timestamp", .timestamp),
        Field("fs_topic", .string), Field("fs_partition", .int32), Field("fs_offset", .int64),
    ]

    /// The table's partition columns.
    public static let partitionColumns = ["fs_year", "fs_month", "fs_day"]

    /// The full table schema: `key`, the payload fields, the derived fields.
    public var schema: Schema {
        Schema([Field("key", .string)] + fields.map { Field($0.name, $0.kind.dataType) } + StreamType.derivedFields)
    }
}
