import FSStreams

/// What the sandbox needs of each of the four iFood streams beyond what ingestion knows
/// (`defaultTopic`, `timeField`): the message key, the event ids a looping replay renews, and
/// the source file's name and format. An extension, so the streams are listed once, in FSStreams.
extension StreamType {
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
