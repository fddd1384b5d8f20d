@testable import FSServe
import Testing

/// The request scanner reads plain bodies to exactly what the JSON-tree parser reads, and hands
/// every other body to that parser, so fast or slow, each request gets the same answer.
@Suite struct FeastRequestScannerTests {
    static func scan(_ body: String, maxKeys: Int = 3) -> FeastRequest? {
        var b = body
        return b.withUTF8 { FeastRequestScanner.scan(UnsafeRawBufferPointer($0), maxKeys: maxKeys, defaultTable: "order_agg") }
    }

    static func tree(_ body: String, maxKeys: Int = 3) -> Result<FeastRequest, ServeError> {
        var b = body
        return b.withUTF8 { p in Result { () throws(ServeError) in try FeastRequest.parseTree(UnsafeRawBufferPointer(p), maxKeys: maxKeys, defaultTable: "order_agg") } }
    }

    static func parse(_ body: String, maxKeys: Int = 3) -> Result<FeastRequest, ServeError> {
        var b = body
        return b.withUTF8 { p in Result { () throws(ServeError) in try FeastRequest.parse(UnsafeRawBufferPointer(p), maxKeys: maxKeys, defaultTable: "order_agg") } }
    }

    static let plainBodies: [String] = [
        #"{"entities":{"customer_id":[1]},"features":["order_agg:a","order_agg:b","order_agg:c"]}"#,
        " \n\t{ \"features\" : [ \"order_agg:a\" ] ,\r\n \"entities\":{ \"customer_id\" : [ 1 , -2 , 0 ] } } \n",
        #"{"full_feature_names":true,"features":["t:a"],"entities":{"customer_id":[7]}}"#,
        #"{"entities":{"customer_id":[7]},"features":["t:a"],"full_feature_names":false}"#,
        #"{"entities":{"123":[1],"customer_id":[2]},"features":["a"]}"#,
        #"{"entities":{"customer_id":["abc","ü ✓ 😀",""]},"features":["order_agg:a"]}"#,
        #"{"entities":{"customer_id":[]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[999999999999999999,-999999999999999999,-0]},"features":["t:a:b",":c","d:"]}"#,
        #"{"entities":{"customer_id":[1,"1"],"region":["eu",2]},"features":["a","b"]}"#,
        #"{"entities":{"customer_id":[1],"customer_id":[2]},"features":["a"]}"#,
    ]

    @Test(arguments: plainBodies)
    func plainBodiesAreScannedToWhatTheTreeParserReads(_ body: String) throws {
        let scanned = try #require(Self.scan(body), "the scanner should read this body itself")
        #expect(scanned == (try Self.tree(body).get()))
    }

    static let unusualBodies: [String] = [
        #"{"entities":{"customer_\u0069d":[1]},"features":["a"]}"#,
        #"{"entities":{"customer_id":["a\"b"]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1]},"features":["order_agg:\u0061"]}"#,
        #"{"entities":{"customer_id":[1.0]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1e3]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1.5]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1234567890123456789]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[01]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[true,null]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[{}]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1]},"features":["a"],"extra":1}"#,
        #"{"entities":{"customer_id":[1]},"features":["a"],"feature_service":"s"}"#,
        #"{"entities":{"customer_id":[1]},"entities":{"customer_id":[2]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1]},"features":["a"],"full_feature_names":null}"#,
        #"{"entities":{"customer_id":[1,2]},"region":["eu"],"features":["a"]}"#,
        #"{"entities":{"customer_id":[1,2],"region":["eu"]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1,2,3,4]},"features":["a"]}"#,
        #"{"entities":{},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1]},"features":[]}"#,
        #"{"entities":{"customer_id":[1]},"features":[1]}"#,
        #"{"entities":{"customer_id":[1]}}"#,
        #"{"entities":{"customer_id":[1,]},"features":["a"]}"#,
        #"{"entities":{"customer_id":[1]},"features":["a"]} x"#,
        "{\"entities\":{\"customer_id\":[\"a\u{1}\"]},\"features\":[\"a\"]}",
        "[]", "{}", "{", "", "null",
    ]

    @Test(arguments: unusualBodies)
    func unusualBodiesFallBackToTheTreeParserAndGetItsAnswer(_ body: String) {
        #expect(Self.scan(body) == nil)
        #expect(Self.parse(body) == Self.tree(body))
    }

    @Test func escapedAndPlainSpellingsOfOneRequestAreTheSameRequest() throws {
        let plain = try Self.parse(#"{"entities":{"customer_id":["ab"]},"features":["order_agg:x"]}"#).get()
        let escaped = try Self.parse(#"{"entities":{"customer_\u0069d":["\u0061b"]},"features":["order_agg:\u0078"]}"#).get()
        #expect(plain == escaped)
    }
}
