import FSCore
import Testing
@testable import FSStreams

@Suite struct StreamFieldTests {
    static let order = #"""
        {"cpf":"80532101763","customer_id":"977b9a89-825f-464b-8ef6-0f453d7334c1","customer_name":"GUSTAVO",
         "delivery_address_city":"FRANCA","delivery_address_country":"BR","delivery_address_district":"JARDIM ESPRAIADO",
         "delivery_address_external_id":"6736655","delivery_address_latitude":"-47.39","delivery_address_longitude":"-20.55",
         "delivery_address_state":"SP","delivery_address_zip_code":"14403",
         "items":"[{\"name\":\"PIZZA\",\"quantity\":1.00,\"unitPrice\":{\"value\":\"2800\",\"currency\":\"BRL\"}}]",
         "merchant_id":"m-1","merchant_latitude":"-47.4","merchant_longitude":"-20.5","merchant_timezone":"America/Sao_Paulo",
         "order_created_at":"2019-01-17T22:50:06.000Z","order_id":"o-1","order_scheduled":false,
         "order_scheduled_date":null,"order_total_amount":46.0,"origin_platform":"ANDROID"}
        """#

    @Test func orderEventKeepsEveryFieldWithItsType() {
        let r = Self.order.replacingNewlines()
        let got = row(.orderEvents, r, key: "977b9a89")
        #expect(got["key"] == .string("977b9a89"))
        #expect(got["cpf"] == .string("80532101763"))
        #expect(got["customer_id"] == .string("977b9a89-825f-464b-8ef6-0f453d7334c1"))
        #expect(got["customer_name"] == .string("GUSTAVO"))
        #expect(got["delivery_address_city"] == .string("FRANCA"))
        #expect(got["delivery_address_country"] == .string("BR"))
        #expect(got["delivery_address_district"] == .string("JARDIM ESPRAIADO"))
        #expect(got["delivery_address_external_id"] == .string("6736655"))
        #expect(got["delivery_address_latitude"] == .string("-47.39"))
        #expect(got["delivery_address_longitude"] == .string("-20.55"))
        #expect(got["delivery_address_state"] == .string("SP"))
        #expect(got["delivery_address_zip_code"] == .string("14403"))
        #expect(got["items"] == .string(#"[{"name":"PIZZA","quantity":1.00,"unitPrice":{"value":"2800","currency":"BRL"}}]"#))
        #expect(got["merchant_id"] == .string("m-1"))
        #expect(got["merchant_latitude"] == .string("-47.4"))
        #expect(got["merchant_longitude"] == .string("-20.5"))
        #expect(got["merchant_timezone"] == .string("America/Sao_Paulo"))
        #expect(got["order_created_at"] == ts("2019-01-17T22:50:06Z"))
        #expect(got["order_id"] == .string("o-1"))
        #expect(got["order_scheduled"] == .boolean(false))
        #expect(got["order_total_amount"] == .double(46.0))
        #expect(got["origin_platform"] == .string("ANDROID"))
        #expect(got["order_scheduled_date"] == nil)  // not in the schema: ignored
        #expect(got["fs_year"] == .int32(2019))
        #expect(got["fs_month"] == .int32(1))
        #expect(got["fs_day"] == .int32(17))
        #expect(got["fs_hour"] == .int32(22))
        #expect(got["fs_minute"] == .int32(50))
        #expect(got["fs_ingestion_timestamp"] == .timestamp(1_700_000_000_000_000))
        #expect(got["fs_topic"] == .string("de-order-events"))
        #expect(got["fs_partition"] == .int32(3))
        #expect(got["fs_offset"] == .int64(100))
    }

    @Test func orderSchemaHasTheOriginalColumnOrderThenTheDerivedColumns() {
        let names = StreamType.orderEvents.schema.names
        #expect(names.first == "key")
        #expect(Array(names[1...4]) == ["customer_id", "cpf", "customer_name", "delivery_address_city"])
        #expect(Array(names[17...21]) == ["order_created_at", "order_id", "order_scheduled", "order_total_amount", "origin_platform"])
        #expect(Array(names.suffix(9)) == ["fs_year", "fs_month", "fs_day", "fs_hour", "fs_minute", "fs_ingestion_timestamp", "fs_topic", "fs_partition", "fs_offset"])
        #expect(StreamType.orderEvents.schema.field(named: "order_total_amount")?.type == .double)
        #expect(StreamType.orderEvents.schema.field(named: "order_created_at")?.type == .timestamp)
    }

    @Test func itemsArrivingAsAnArrayAreReserializedCompactly() {
        let got = row(.orderEvents, #"{"order_created_at":"2019-01-17T22:50:06.000Z","items":[ {"name" : "A B", "n": [1, 2]} , {"note":"é \" x"} ]}"#)
        #expect(got["items"] == .string(#"[{"name":"A B","n":[1,2]},{"note":"é \" x"}]"#))
    }

    @Test func orderStatusEventKeepsEveryField() {
        let got = row(.orderStatusEvents, #"{"created_at":"2019-01-25T01:05:07.000Z","order_id":"o-9","status_id":"s-1","value":"PLACED"}"#)
        #expect(got["key"] == .string("k"))
        #expect(got["created_at"] == ts("2019-01-25T01:05:07Z"))
        #expect(got["order_id"] == .string("o-9"))
        #expect(got["status_id"] == .string("s-1"))
        #expect(got["value"] == .string("PLACED"))
        #expect(got["fs_day"] == .int32(25))
        #expect(got["fs_hour"] == .int32(1))
        #expect(got["fs_minute"] == .int32(5))
        #expect(StreamType.orderStatusEvents.schema.names.prefix(5) == ["key", "created_at", "order_id", "status_id", "value"])
    }

    @Test func restaurantEventTypesNumbersAndBooleansFromJSONOrQuotedText() {
        let json = #"{"average_ticket":60.0,"created_at":"2017-01-20T13:14:48.286Z","delivery_time":"50","enabled":"true","id":"r-1","merchant_city":"SÃO PAULO","merchant_country":"BR","merchant_state":"SP","merchant_zip_code":"05180","minimum_order_value":"30.0","price_range":3,"takeout_time":0}"#
        let got = row(.restaurantEvents, json)
        #expect(got["average_ticket"] == .double(60))
        #expect(got["created_at"] == ts("2017-01-20T13:14:48.286Z"))
        #expect(got["delivery_time"] == .int64(50))
        #expect(got["enabled"] == .boolean(true))
        #expect(got["id"] == .string("r-1"))
        #expect(got["merchant_city"] == .string("SÃO PAULO"))
        #expect(got["merchant_country"] == .string("BR"))
        #expect(got["merchant_state"] == .string("SP"))
        #expect(got["merchant_zip_code"] == .string("05180"))
        #expect(got["minimum_order_value"] == .double(30))
        #expect(got["price_range"] == .int64(3))
        #expect(got["takeout_time"] == .int64(0))
        #expect(StreamType.restaurantEvents.schema.names.prefix(13) == ["key", "average_ticket", "created_at", "delivery_time", "enabled", "id", "merchant_city", "merchant_country", "merchant_state", "merchant_zip_code", "minimum_order_value", "price_range", "takeout_time"])
    }

    @Test func consumerEventKeepsEveryField() {
        let json = #"{"active":true,"created_at":"2018-04-05T14:49:18.165Z","customer_id":"c-1","customer_name":"NUNO","customer_phone_area":"046","customer_phone_number":816135924,"language":"pt-br"}"#
        let got = row(.consumerEvents, json)
        #expect(got["active"] == .boolean(true))
        #expect(got["created_at"] == ts("2018-04-05T14:49:18.165Z"))
        #expect(got["customer_id"] == .string("c-1"))
        #expect(got["customer_name"] == .string("NUNO"))
        #expect(got["customer_phone_area"] == .string("046"))
        #expect(got["customer_phone_number"] == .string("816135924"))  // a JSON number into a string column keeps its text
        #expect(got["language"] == .string("pt-br"))
        #expect(StreamType.consumerEvents.schema.names.prefix(8) == ["key", "active", "created_at", "customer_id", "customer_name", "customer_phone_area", "customer_phone_number", "language"])
    }

    @Test func streamNamesIncludeTheReadmeSingular() {
        #expect(StreamType(name: "order-status-event") == .orderStatusEvents)
        #expect(StreamType(name: "order-status-events") == .orderStatusEvents)
        #expect(StreamType(name: "order") == nil)
        #expect(StreamType.allCases.map(\.defaultTopic) == ["de-order-events", "de-order-status-events", "de-restaurant-events", "de-consumer-events"])
    }

    @Test(arguments: [
        ("2019-01-17T22:50:06.000Z", 2019, 1, 17, 22, 50),
        ("2019-01-17T22:50:06.000-03:00", 2019, 1, 18, 1, 50),  // an offset moves the UTC day
        ("2019-01-01T00:10:00+01:00", 2018, 12, 31, 23, 10),     // and the year
        ("2019-01-17T22:50:06", 2019, 1, 17, 22, 50),            // no zone: UTC
        ("2020-02-29T23:59:59.999999Z", 2020, 2, 29, 23, 59),
        ("1969-12-31T23:59:00Z", 1969, 12, 31, 23, 59),
    ])
    func eventTimeIsReadAsUTCWithItsOffset(text: String, year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32) {
        let got = row(.orderStatusEvents, #"{"created_at":"\#(text)","status_id":"s"}"#)
        #expect(got["created_at"] == ts(text))
        #expect(got["fs_year"] == .int32(year))
        #expect(got["fs_month"] == .int32(month))
        #expect(got["fs_day"] == .int32(day))
        #expect(got["fs_hour"] == .int32(hour))
        #expect(got["fs_minute"] == .int32(minute))
    }

    @Test func theZIsAZoneNotALiteral() {
        // The original parsed "…Z" in the session zone; ours is the same instant as "+00:00".
        let z = row(.orderStatusEvents, #"{"created_at":"2019-01-17T22:50:06.000Z"}"#)["created_at"]
        let plus = row(.orderStatusEvents, #"{"created_at":"2019-01-17T22:50:06.000+00:00"}"#)["created_at"]
        #expect(z == plus)
        #expect(z == .timestamp(1_547_765_406_000_000))
    }

    @Test func escapedStringsAreDecoded() {
        let got = row(.consumerEvents, #"{"created_at":"2018-04-05T14:49:18Z","customer_name":"Jo\u00e3o \"Z\" \\ \/ \n\t\ud83d\ude00","language":"\u0070t"}"#)
        #expect(got["customer_name"] == .string("João \"Z\" \\ / \n\t😀"))
        #expect(got["language"] == .string("pt"))
    }

    @Test func unpairedSurrogateEscapesBecomeTheReplacementCharacter() {
        let got = row(.consumerEvents, #"{"created_at":"2018-04-05T14:49:18Z","customer_name":"a\ud800b\udc00"}"#)
        #expect(got["customer_name"] == .string("a\u{FFFD}b\u{FFFD}"))
    }

    @Test func escapedFieldNamesMatch() {
        let got = row(.orderStatusEvents, #"{"created_at":"2019-01-25T01:05:07Z","status\u005fid":"s-2"}"#)
        #expect(got["status_id"] == .string("s-2"))
    }

    @Test func absentAndNullFieldsAreNullAndEmptyStringsStay() {
        let got = row(.restaurantEvents, #"{"created_at":"2017-01-20T13:14:48Z","id":"","enabled":null,"average_ticket":"","price_range":null}"#, key: nil)
        #expect(got["key"] == .null)
        #expect(got["id"] == .string(""))
        #expect(got["enabled"] == .null)
        #expect(got["average_ticket"] == .null)
        #expect(got["price_range"] == .null)
        #expect(got["merchant_city"] == .null)
    }

    @Test func numbersKeepTheirValuesAtTheEdges() {
        for (text, expected) in [("-0.0", -0.0), ("0", 0.0), ("1e3", 1000.0), ("123456789012345678901234", 1.2345678901234568e23), ("0.1", 0.1), ("-46.25", -46.25)] {
            let got = row(.orderEvents, #"{"order_created_at":"2019-01-17T22:50:06Z","order_total_amount":\#(text)}"#)
            guard case .double(let d)? = got["order_total_amount"] else { Issue.record("no double for \(text)"); continue }
            #expect(d == expected && d.sign == expected.sign, "\(text)")
        }
    }

    @Test func integralDoublesFitIntegerColumnsAndLargeIntegersStayExact() {
        let got = row(.restaurantEvents, #"{"created_at":"2017-01-20T13:14:48Z","delivery_time":50.0,"takeout_time":9007199254740993}"#)
        #expect(got["delivery_time"] == .int64(50))
        #expect(got["takeout_time"] == .int64(9_007_199_254_740_993))
    }

    @Test func unknownFieldsOfAnyShapeAreIgnored() {
        let got = row(.orderStatusEvents, #"{"extra":{"a":[1,{"b":null}],"c":"}"},"created_at":"2019-01-25T01:05:07Z","n":-1.5e-3,"value":"PLACED"}"#)
        #expect(got["value"] == .string("PLACED"))
    }

    @Test func emptyBatchHasTheSchemaAndNoRows() {
        let (batch, outcomes) = ingest(.consumerEvents, [])
        #expect(outcomes.isEmpty)
        #expect(batch.rowCount == 0)
        #expect(batch.schema == StreamType.consumerEvents.schema)
    }
}

extension String {
    func replacingNewlines() -> String { String(self.map { $0 == "\n" ? " " : $0 }) }
}
