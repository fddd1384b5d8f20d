import FSCore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP answer, before it meets the wire, with its body as text (tests and tools; the
/// server itself writes answers into a `ByteBuffer` with `FeatureService.respond`).
public struct ServeResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String = ServeAnswer.json, body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// Status and content type of an answer whose body `FeatureService.respond` wrote into a buffer.
public struct ServeAnswer: Sendable, Equatable {
    public static let json = "application/json"
    public static let prometheus = "text/plain; version=0.0.4"

    public var status: Int
    public var contentType: String

    public init(status: Int, contentType: String = ServeAnswer.json) {
        self.status = status
        self.contentType = contentType
    }
}

/// Limits on what one request may ask, checked before any store is touched.
public struct ServeLimits: Sendable, Equatable {
    /// Larger bodies are refused with 413 (before being read whole).
    public var maxRequestBytes: Int
    /// More entity rows than this in one request is a 422.
    public var maxKeys: Int

    public init(maxRequestBytes: Int = 1 << 20, maxKeys: Int = 1_000) {
        self.maxRequestBytes = maxRequestBytes
        self.maxKeys = maxKeys
    }
}

/// The API of fs-serve, independent of the HTTP stack: a request (method, target, bearer
/// header, body) in, an answer out — its body written into a `ByteBuffer` the caller owns, so
/// the HTTP handler can put the head in front of it and send one buffer. The NIO handler is a
/// thin adapter around `respond`, and tests call `handle`, which runs the same code.
///
/// ```
///  POST /get-online-features   Feast's request/response (NOT_FOUND per missing key)
///  GET  /features/<table>/<key>[/<key2>…]   one JSON object; 404 {"status":"NOT_FOUND"}
///  GET  /health                200 when every store answers, else 503 (no token needed)
///  GET  /metrics               Prometheus text
/// ```
/// Feature names are bound against each table's own columns before any read, so a name never
/// reaches a store as text; keys are read as parameters by the stores.
public final class FeatureService: Sendable {
    public let sources: [any FeatureSource]
    private let byName: [String: any FeatureSource]
    public let limits: ServeLimits
    private let expectedAuthorization: [UInt8]?
    public let metrics: ServeMetrics

    /// `authToken`: when set, every route but `/health` needs `Authorization: Bearer <token>`.
    public init(sources: [any FeatureSource], limits: ServeLimits = ServeLimits(), authToken: String? = nil,
                metrics: ServeMetrics = ServeMetrics()) {
        self.sources = sources
        var m: [String: any FeatureSource] = [:]
        for s in sources { m[s.name] = s }
        self.byName = m
        self.limits = limits
        self.expectedAuthorization = authToken.map { Array("Bearer \($0)".utf8) }
        self.metrics = metrics
    }

    /// Answers one request with its body as text: `respond` into a fresh buffer.
    public func handle(method: String, target: String, authorization: String?, body: UnsafeRawBufferPointer) -> ServeResponse {
        var out = ByteBufferAllocator().buffer(capacity: 512)
        let answer = respond(method: method, target: target, authorization: authorization, body: body, into: &out)
        return ServeResponse(status: answer.status, contentType: answer.contentType, body: String(buffer: out))
    }

    /// Answers one request, appending its body to `out`. `authorization` is the raw
    /// `Authorization` header, if any.
    public func respond(method: String, target: String, authorization: String?, body: UnsafeRawBufferPointer,
                        into out: inout ByteBuffer) -> ServeAnswer {
        let start = monotonicSeconds()
        // The query string is cut at the first `?` byte (a search by Character would walk
        // grapheme clusters).
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        let route = Self.route(path)
        var keys = 0, notFound = 0
        let bodyStart = out.writerIndex
        var answer: ServeAnswer
        if route != .health, !isAuthorized(authorization) {
            answer = ServeAnswer(status: 401)
            ResponseJSON.error("missing or wrong bearer token", to: &out)
        } else {
            do {
                switch (route, method) {
                case (.onlineFeatures, "POST"):
                    answer = try onlineFeatures(body, keys: &keys, notFound: &notFound, into: &out)
                case (.features, "GET"):
                    answer = try oneVector(String(path), notFound: &notFound, into: &out)
                    keys = 1
                case (.health, "GET"):
                    answer = health(into: &out)
                case (.metrics, "GET"):
                    answer = ServeAnswer(status: 200, contentType: ServeAnswer.prometheus)
                    out.writeString(metrics.render(sources: sources, nowMicros: SystemWallClock().nowMicros()))
                case (.other, _):
                    answer = ServeAnswer(status: 404)
                    ResponseJSON.error("no route \(method) \(path)", to: &out)
                default:
                    answer = ServeAnswer(status: 405)
                    ResponseJSON.error("\(method) is not allowed on \(path)", to: &out)
                }
            } catch {
                // Nothing of a failed answer stays: only the error is sent.
                out.moveWriterIndex(to: bodyStart)
                answer = ServeAnswer(status: error.httpStatus)
                ResponseJSON.error(error.description, to: &out)
            }
        }
        metrics.record(route: route, status: answer.status, seconds: monotonicSeconds() - start, keys: keys, notFound: notFound)
        return answer
    }

    static func route(_ path: Substring) -> ServeRoute {
        switch path {
        case "/get-online-features": return .onlineFeatures
        case "/health": return .health
        case "/metrics": return .metrics
        default: return path.hasPrefix("/features/") ? .features : .other
        }
    }

    /// Constant-time comparison of the header with `Bearer <token>`.
    private func isAuthorized(_ header: String?) -> Bool {
        guard let expected = expectedAuthorization else { return true }
        guard let header else { return false }
        let given = Array(header.utf8)
        var diff = given.count ^ expected.count
        for i in 0..<expected.count { diff |= Int((i < given.count ? given[i] : 0) ^ expected[i]) }
        return diff == 0
    }

    private func source(_ table: String) throws(ServeError) -> any FeatureSource {
        guard let s = byName[table] else {
            throw .badRequest("no table \"\(table)\" is served; served: \(sources.map(\.name).joined(separator: ", "))")
        }
        return s
    }

    /// Reads through a source, counting store failures for `/metrics`.
    private func read(_ s: any FeatureSource, _ keys: [ServedKey]) throws(ServeError) -> [ServedRow?] {
        do { return try s.read(keys: keys) } catch {
            if case .storeUnavailable = error { metrics.recordStoreError(table: s.name) }
            throw error
        }
    }

    // MARK: POST /get-online-features

    private func onlineFeatures(_ body: UnsafeRawBufferPointer, keys: inout Int, notFound: inout Int,
                                into out: inout ByteBuffer) throws(ServeError) -> ServeAnswer {
        if body.count > limits.maxRequestBytes { throw .tooLarge(limit: limits.maxRequestBytes) }
        let request = try FeastRequest.parse(body, maxKeys: limits.maxKeys, defaultTable: sources.count == 1 ? sources[0].name : nil)
        let n = request.rowCount
        keys = n

        // Bind: tables in first-mention order, each feature to its column index.
        var tables: [String] = []
        var bound: [(table: Int, column: Int, name: String)] = []
        var layouts: [ServedLayout] = []
        bound.reserveCapacity(request.features.count)
        for (table, feature) in request.features {
            let s = try source(table)
            let t: Int
            if let i = tables.firstIndex(of: table) { t = i } else {
                tables.append(table)
                layouts.append(try s.layout())
                t = tables.count - 1
            }
            guard let c = layouts[t].featureIndex(feature) else {
                throw .badRequest("table \(table) has no feature \"\(feature)\"; its features: \(layouts[t].featureColumns.joined(separator: ", "))")
            }
            bound.append((t, c, request.fullFeatureNames ? "\(table)__\(feature)" : feature))
        }

        // Read: one call per table, all of its keys at once (one snapshot).
        var rowsByTable: [[ServedRow?]] = []
        rowsByTable.reserveCapacity(tables.count)
        for (t, table) in tables.enumerated() {
            let layout = layouts[t]
            var columns: [[JSONValue]] = []
            for k in layout.keyColumns {
                guard let c = request.entities.first(where: { $0.name == k }) else {
                    throw .badRequest("table \(table) is keyed by \(layout.keyColumns.joined(separator: ", ")); the request has no entity \"\(k)\"")
                }
                columns.append(c.values)
            }
            let keyRows: [ServedKey] = (0..<n).map { r in columns.map { FeastRequest.keyValue($0[r]) } }
            rowsByTable.append(try read(try source(table), keyRows))
        }

        // Answer: entity columns first (as Feast does), then one result per feature.
        out.writeStaticString("{\"metadata\":{\"feature_names\":[")
        var first = true
        for e in request.entities {
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            ResponseJSON.string(e.name, to: &out)
        }
        for b in bound {
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            ResponseJSON.string(b.name, to: &out)
        }
        out.writeStaticString("]},\"results\":[")
        first = true
        for e in request.entities {
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            out.writeStaticString("{\"values\":[")
            for (i, v) in e.values.enumerated() {
                if i > 0 { out.writeInteger(UInt8(ascii: ",")) }
                ResponseJSON.write(v, to: &out)
            }
            out.writeStaticString("],\"statuses\":[")
            for i in 0..<n { out.writeStaticString(i > 0 ? ",\"PRESENT\"" : "\"PRESENT\"") }
            out.writeStaticString("],\"event_timestamps\":[")
            for i in 0..<n {
                out.writeStaticString(i > 0 ? ",\"" : "\"")
                out.writeStaticString(ResponseJSON.epochText)
                out.writeInteger(UInt8(ascii: "\""))
            }
            out.writeStaticString("]}")
        }
        for b in bound {
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            let rows = rowsByTable[b.table]
            out.writeStaticString("{\"values\":[")
            for r in 0..<n {
                if r > 0 { out.writeInteger(UInt8(ascii: ",")) }
                if let row = rows[r] { ResponseJSON.write(row.features[b.column], to: &out) } else { out.writeStaticString("null") }
            }
            out.writeStaticString("],\"statuses\":[")
            for r in 0..<n {
                if r > 0 { out.writeInteger(UInt8(ascii: ",")) }
                if let row = rows[r] {
                    out.writeStaticString(row.features[b.column].isNull ? "\"NULL_VALUE\"" : "\"PRESENT\"")
                } else {
                    out.writeStaticString("\"NOT_FOUND\"")
                }
            }
            out.writeStaticString("],\"event_timestamps\":[")
            // The event timestamp of a row repeats for each of its table's features; its text is
            // written from the integer each time (digits, no String), so nothing is cached.
            for r in 0..<n {
                out.writeStaticString(r > 0 ? ",\"" : "\"")
                if let t = rows[r]?.time { ResponseJSON.timestamp(t, to: &out) } else { out.writeStaticString(ResponseJSON.epochText) }
                out.writeInteger(UInt8(ascii: "\""))
            }
            out.writeStaticString("]}")
        }
        out.writeStaticString("]}")
        // An entity row counts as not found once, whichever of its tables missed it.
        notFound = (0..<n).lazy.filter { r in rowsByTable.contains { $0[r] == nil } }.count
        return ServeAnswer(status: 200)
    }

    // MARK: GET /features/<table>/<key>

    private func oneVector(_ path: String, notFound: inout Int, into out: inout ByteBuffer) throws(ServeError) -> ServeAnswer {
        let parts = path.dropFirst("/features/".count).split(separator: "/", omittingEmptySubsequences: false).map { Self.percentDecoded($0) }
        guard parts.count >= 2, let tableName = parts[0], !tableName.isEmpty else {
            throw .badRequest("use /features/<table>/<key> (one path segment per key column)")
        }
        let s = try source(tableName)
        let layout = try s.layout()
        let keyTexts = parts.dropFirst()
        guard keyTexts.count == layout.keyColumns.count, keyTexts.allSatisfy({ $0 != nil }) else {
            throw .badRequest("table \(tableName) is keyed by \(layout.keyColumns.joined(separator: ", ")): give one path segment per key column")
        }
        let key: ServedKey = keyTexts.map { .string($0!) }
        guard let row = try read(s, [key])[0] else {
            notFound = 1
            out.writeStaticString("{\"status\":\"NOT_FOUND\",\"table\":")
            ResponseJSON.string(tableName, to: &out)
            out.writeInteger(UInt8(ascii: "}"))
            return ServeAnswer(status: 404)
        }
        out.writeInteger(UInt8(ascii: "{"))
        for (k, text) in zip(layout.keyColumns, keyTexts) {
            ResponseJSON.string(k, to: &out)
            out.writeInteger(UInt8(ascii: ":"))
            if let i = Int64(text!) { ResponseJSON.decimal(i, to: &out) } else { ResponseJSON.string(text!, to: &out) }
            out.writeInteger(UInt8(ascii: ","))
        }
        ResponseJSON.string(layout.timeColumn, to: &out)
        out.writeInteger(UInt8(ascii: ":"))
        if let t = row.time {
            out.writeInteger(UInt8(ascii: "\""))
            ResponseJSON.timestamp(t, to: &out)
            out.writeInteger(UInt8(ascii: "\""))
        } else {
            out.writeStaticString("null")
        }
        for (name, value) in zip(layout.featureColumns, row.features) {
            out.writeInteger(UInt8(ascii: ","))
            ResponseJSON.string(name, to: &out)
            out.writeInteger(UInt8(ascii: ":"))
            ResponseJSON.write(value, to: &out)
        }
        out.writeInteger(UInt8(ascii: "}"))
        return ServeAnswer(status: 200)
    }

    /// `%XX` decoding of one path segment; nil when malformed or not UTF-8.
    static func percentDecoded(_ s: Substring) -> String? {
        guard s.contains("%") else { return String(s) }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    // MARK: GET /health

    private func health(into out: inout ByteBuffer) -> ServeAnswer {
        out.writeStaticString("{\"stores\":{")
        var allUp = true
        for (i, s) in sources.enumerated() {
            if i > 0 { out.writeInteger(UInt8(ascii: ",")) }
            ResponseJSON.string(s.name, to: &out)
            switch s.checkHealth() {
            case .up: out.writeStaticString(":\"up\"")
            case .down(let reason):
                allUp = false
                out.writeInteger(UInt8(ascii: ":"))
                ResponseJSON.string("down: \(reason)", to: &out)
            }
        }
        out.writeStaticString(allUp ? "},\"status\":\"ok\"}" : "},\"status\":\"unavailable\"}")
        return ServeAnswer(status: allUp ? 200 : 503)
    }
}
