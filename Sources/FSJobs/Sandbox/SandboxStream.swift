/// The four iFood streams the sandbox emulates: their topic, source format, key and time field.
public enum SandboxStream: String, CaseIterable, Sendable {
    case orderEvents = "order-events"
    case orderStatusEvents = "order-status-events"
    case restaurantEvents = "restaurant-events"
    case consumerEvents = "consumer-events"

    /// Parses a `--stream-type` value; the original's singular `order-status-event` is accepted.
    public init?(parsing text: String) {
        if text == "order-status-event" { self = .orderStatusEvents; return }
        self.init(rawValue: text)
    }

    /// The topic of the 2020 Kafka cluster (original-spec §10.1).
    public var defaultTopic: String { "de-" + rawValue }

    /// The field whose value keys each message: the entity the event is about.
    public var keyField: String {
        switch self {
        case .orderEvents, .orderStatusEvents: "order_id"
        case .restaurantEvents: "id"
        case .consumerEvents: "customer_id"
        }
    }

    /// The fields that identify one event, made fresh on each pass of a looping replay. An order
    /// and its status events share `order_id`, so both streams rename it the same way; restaurant
    /// and consumer rows are updates of long-lived entities and keep their ids.
    public var eventIdFields: [String] {
        switch self {
        case .orderEvents: ["order_id"]
        case .orderStatusEvents: ["order_id", "status_id"]
        case .restaurantEvents, .consumerEvents: []
        }
    }

    /// The event-time field that `--retime now` rewrites.
    public var timeField: String {
        switch self {
        case .orderEvents: "order_created_at"
        case .orderStatusEvents, .restaurantEvents, .consumerEvents: "created_at"
        }
    }

    /// Orders and status are JSON Lines; restaurants and consumers are CSV with a header.
    public var isCSV: Bool { self == .restaurantEvents || self == .consumerEvents }

    /// The source file name `fs-sandbox generate` writes for this stream.
    public var sourceFileName: String {
        switch self {
        case .orderEvents: "order.json.gz"
        case .orderStatusEvents: "status.json.gz"
        case .restaurantEvents: "restaurant.csv.gz"
        case .consumerEvents: "consumer.csv.gz"
        }
    }
}
