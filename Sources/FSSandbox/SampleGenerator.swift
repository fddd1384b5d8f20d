import FSCore
import FSStreams

/// Deterministic sample sources in the formats of iFood's four files (original-spec §10):
/// `order.json.gz`, `status.json.gz` (with exact duplicate lines, not time-ordered),
/// `restaurant.csv.gz`, `consumer.csv.gz`. Same seed and count ⇒ same bytes.
///
/// Sizes follow the orders: one restaurant per 10 orders, one consumer per 3 (at least one each).
public struct SampleGenerator: Sendable {
    public var orders: Int
    public var seed: UInt64

    public init(orders: Int, seed: UInt64) {
        self.orders = orders
        self.seed = seed
    }

    /// The four files' text (uncompressed), keyed by stream.
    public func generate() -> [StreamType: String] {
        var rng = SplitMix64(seed: seed)
        let restaurants = (0 ..< max(1, orders / 10)).map { _ in Restaurant(&rng) }
        let consumers = (0 ..< max(1, orders / 3)).map { _ in Consumer(&rng) }
        var orderLines: [String] = []
        var statusLines: [String] = []
        orderLines.reserveCapacity(orders)
        for _ in 0 ..< orders {
            let restaurant = restaurants[rng.below(restaurants.count)]
            let consumer = consumers[rng.below(consumers.count)]
            let order = Order(&rng, restaurant: restaurant, consumer: consumer)
            orderLines.append(order.jsonLine)
            statusLines += order.statusLines(&rng)
        }
        rng.shuffle(&statusLines)
        var restaurantCSV = "id,created_at,enabled,price_range,average_ticket,takeout_time,delivery_time,minimum_order_value,merchant_zip_code,merchant_city,merchant_state,merchant_country\n"
        for r in restaurants { restaurantCSV += r.csvLine }
        var consumerCSV = "customer_id,language,created_at,active,customer_name,customer_phone_area,customer_phone_number\n"
        for c in consumers { consumerCSV += c.csvLine }
        return [
            .orderEvents: orderLines.joined(),
            .orderStatusEvents: statusLines.joined(),
            .restaurantEvents: restaurantCSV,
            .consumerEvents: consumerCSV,
        ]
    }

    /// Writes the four gzip files into `directory` (created if missing); returns their paths.
    public func write(to directory: String) throws(IOError) -> [String] {
        try FileSystem.createDirectory(directory)
        var paths: [String] = []
        let texts = generate()
        for stream in StreamType.allCases {
            let path = directory + "/" + stream.sourceFileName
            try GzipFile.write(path, chunks: [texts[stream] ?? ""])
            paths.append(path)
        }
        return paths
    }
}

/// Sample-data helpers on FSCore's seeded generator.
extension SplitMix64 {
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    mutating func hex(_ digits: Int) -> String {
        let alphabet = Array("0123456789abcdef")
        var s = ""
        for _ in 0 ..< digits { s.append(alphabet[below(16)]) }
        return s
    }
    mutating func digits(_ n: Int) -> String {
        var s = ""
        for _ in 0 ..< n { s.append(Character(String(below(10)))) }
        return s
    }
    /// Fisher–Yates.
    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}

private let cities: [(city: String, state: String, zip: String, lat: String, lon: String, tz: String)] = [
    ("SAO PAULO", "SP", "01310", "-46.65", "-23.56", "America/Sao_Paulo"),
    ("RIBEIRAO PRETO", "SP", "14025", "-47.81", "-21.17", "America/Sao_Paulo"),
    ("FRANCA", "SP", "14403", "-47.39", "-20.55", "America/Sao_Paulo"),
    ("RIO DE JANEIRO", "RJ", "22041", "-43.18", "-22.97", "America/Sao_Paulo"),
    ("FORTALEZA", "CE", "60165", "-38.50", "-3.73", "America/Fortaleza"),
    ("SÃO LUÍS", "MA", "65075", "-44.30", "-2.53", "America/Fortaleza"),
]
private let districts = ["JARDIM ESPRAIADO", "CENTRO", "VILA MARIANA", "ALDEOTA", "COPACABANA", "JARDIM PAULISTA"]
private let names = ["GUSTAVO", "NUNO", "ANA", "JOÃO", "MARIA", "LUCAS", "BEATRIZ", "JOSÉ", "CAMILA", "RAFAEL"]
private let dishes = ["Pizza Margherita", "X-Burguer", "Açaí 500ml", "Temaki Salmão", "Coxinha", "Pão de Queijo", "Feijoada", "Refrigerante 2L"]
private let garnishes = ["Bacon", "Queijo Extra", "Granola", "Leite Condensado", "Cebola"]
private let notes: [String?] = [nil, nil, nil, "Sem tomate", "Bem passado", "Sem cebola, por favor"]

/// Milliseconds → `2019-01-17T22:50:06.000Z`.
private func isoMillis(_ ms: Int64) -> String { formatISO8601(micros: ms * 1000, fractionDigits: 3) }

private func jsonString(_ s: String) -> String {
    var out = ""
    JSONValue.writeString(s, to: &out)
    return out
}

private func money(_ cents: Int) -> String { "{\"value\":\"\(cents)\",\"currency\":\"BRL\"}" }

private struct Restaurant {
    var id: String, createdMillis: Int64, enabled: Bool, priceRange: Int, averageTicket: Double
    var takeoutTime: Int, deliveryTime: Int, minimumOrder: Double
    var city: (city: String, state: String, zip: String, lat: String, lon: String, tz: String)

    init(_ rng: inout SplitMix64) {
        id = rng.hex(64)
        createdMillis = 1_483_228_800_000 + Int64(rng.below(365 * 86_400_000))  // 2017
        enabled = rng.chance(0.8)
        priceRange = 1 + rng.below(5)
        averageTicket = Double(20 + rng.below(16) * 5)
        takeoutTime = rng.pick([0, 0, 10, 20])
        deliveryTime = rng.pick([0, 30, 40, 50, 60])
        minimumOrder = Double(rng.pick([0, 10, 15, 20, 30]))
        city = rng.pick(cities)
    }

    var csvLine: String {
        [id, isoMillis(createdMillis), String(enabled), String(priceRange), String(averageTicket), String(takeoutTime),
         String(deliveryTime), String(minimumOrder), city.zip, city.city, city.state, "BR"].map(csvField).joined(separator: ",") + "\n"
    }
}

private struct Consumer {
    var id: String, language: String, createdMillis: Int64, active: Bool, name: String, area: String, phone: String

    init(_ rng: inout SplitMix64) {
        id = rng.hex(64)
        language = rng.pick(["pt-br", "pt-br", "pt-br", "en-us", "es-ar"])
        createdMillis = 1_514_764_800_000 + Int64(rng.below(365 * 86_400_000))  // 2018
        active = rng.chance(0.9)
        name = rng.pick(names)
        area = String(11 + rng.below(88))
        phone = String(100_000_000 + rng.below(900_000_000))
    }

    var csvLine: String {
        [id, language, isoMillis(createdMillis), String(active), name, area, phone].map(csvField).joined(separator: ",") + "\n"
    }
}

/// RFC 4180 quoting when a field needs it.
func csvField(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

private struct Order {
    var id: String, createdMillis: Int64, line: String

    init(_ rng: inout SplitMix64, restaurant: Restaurant, consumer: Consumer) {
        id = rng.hex(64)
        createdMillis = 1_546_300_800_000 + Int64(rng.below(31 * 86_400_000))  // January 2019
        let address = rng.pick(cities)
        var items: [String] = []
        var totalCents = 0
        for sequence in 1 ... (1 + rng.below(5)) {
            let quantity = 1 + rng.below(3)
            let unit = 300 + rng.below(60) * 50
            var garnishList: [String] = []
            var additionCents = 0
            for g in 0 ..< rng.pick([0, 0, 1, 2]) {
                let price = rng.pick([0, 200, 350])
                additionCents += price * quantity
                garnishList.append("{\"name\":\(jsonString(rng.pick(garnishes))),\"addition\":\(money(price)),\"discount\":\(money(0)),"
                    + "\"quantity\":\(Double(quantity)),\"sequence\":\(g + 1),\"unitPrice\":\(money(0)),\"categoryId\":\"\(rng.digits(6))\","
                    + "\"externalId\":\"\(rng.hex(32))\",\"totalValue\":\(money(price * quantity)),\"categoryName\":\"ADICIONAIS\",\"integrationId\":null}")
            }
            let total = unit * quantity + additionCents
            totalCents += total
            let note = rng.pick(notes).map(jsonString) ?? "null"
            items.append("{\"name\":\(jsonString(rng.pick(dishes))),\"addition\":\(money(additionCents)),\"discount\":\(money(0)),"
                + "\"quantity\":\(Double(quantity)),\"sequence\":\(sequence),\"unitPrice\":\(money(unit)),\"externalId\":\"\(rng.hex(32))\","
                + "\"totalValue\":\(money(total)),\"customerNote\":\(note),\"garnishItems\":[\(garnishList.joined(separator: ","))],"
                + "\"integrationId\":null,\"totalAddition\":\(money(additionCents)),\"totalDiscount\":\(money(0))}")
        }
        let scheduled = rng.chance(0.1)
        let scheduledDate = scheduled ? jsonString(isoMillis(createdMillis + Int64(3600_000 * (1 + rng.below(48))))) : "null"
        let fields: [(String, String)] = [
            ("cpf", jsonString(rng.digits(11))),
            ("customer_id", jsonString(consumer.id)),
            ("customer_name", jsonString(consumer.name)),
            ("delivery_address_city", jsonString(address.city)),
            ("delivery_address_country", jsonString("BR")),
            ("delivery_address_district", jsonString(rng.pick(districts))),
            ("delivery_address_external_id", jsonString(rng.digits(7))),
            ("delivery_address_latitude", jsonString(address.lat)),
            ("delivery_address_longitude", jsonString(address.lon)),
            ("delivery_address_state", jsonString(address.state)),
            ("delivery_address_zip_code", jsonString(address.zip)),
            ("items", jsonString("[" + items.joined(separator: ",") + "]")),
            ("merchant_id", jsonString(restaurant.id)),
            ("merchant_latitude", jsonString(restaurant.city.lat)),
            ("merchant_longitude", jsonString(restaurant.city.lon)),
            ("merchant_timezone", jsonString(restaurant.city.tz)),
            ("order_created_at", jsonString(isoMillis(createdMillis))),
            ("order_id", jsonString(id)),
            ("order_scheduled", String(scheduled)),
            ("order_scheduled_date", scheduledDate),
            ("order_total_amount", String(Double(totalCents) / 100)),
            ("origin_platform", jsonString(rng.pick(["ANDROID", "IOS", "ANDROID", "IOS", "DESKTOP"]))),
        ]
        line = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}\n"
    }

    var jsonLine: String { line }

    /// REGISTERED → PLACED (≈1 s) → CONCLUDED or CANCELLED (≈2 h); a few have both ends; about
    /// half the lines appear twice, byte for byte (the source's exact duplicates).
    func statusLines(_ rng: inout SplitMix64) -> [String] {
        var events: [(String, Int64)] = [("REGISTERED", createdMillis), ("PLACED", createdMillis + 1000 + Int64(rng.below(500)))]
        let end = createdMillis + 7_200_000 + Int64(rng.below(1_800_000))
        if rng.chance(0.03) {
            events.append(("CANCELLED", end))
            if rng.chance(0.3) { events.append(("CONCLUDED", end + 60_000)) }
        } else {
            events.append(("CONCLUDED", end))
        }
        var lines: [String] = []
        for (value, at) in events {
            let line = "{\"created_at\":\(jsonString(isoMillis(at))),\"order_id\":\(jsonString(id)),\"status_id\":\(jsonString(rng.hex(32))),\"value\":\(jsonString(value))}\n"
            lines.append(line)
            if rng.chance(0.5) { lines.append(line) }
        }
        return lines
    }
}
