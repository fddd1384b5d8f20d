import FSCore

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP answer, before it meets the wire.
public struct ServeResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String = "application/json", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
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
/// header, body) in, a `ServeResponse` out. The NIO handler is a thin adapter around `handle`,
/// and tests call it in-process.
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

    /// Answers one request. `authorization` is the raw `Authorization` header, if any.
    public func handle(method: String, target: String, authorization: String?, body: UnsafeRawBufferPointer) -> ServeResponse {
        let start = monotonicSeconds()
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        let route = Self.route(path)
        var keys = 0, notFound = 0
        let response: ServeResponse
        if route != .health, !isAuthorized(authorization) {
            response = ServeResponse(status: 401, body: ResponseJSON.error("missing or wrong bearer token"))
        } else {
            do {
                switch (route, method) {
                case (.onlineFeatures, "POST"):
                    response = try onlineFeatures(body, keys: &keys, notFound: &notFound)
                case (.features, "GET"):
                    response = try oneVector(path, notFound: &notFound)
                    keys = 1
                case (.health, "GET"):
                    response = health()
                case (.metrics, "GET"):
                    response = ServeResponse(status: 200, contentType: "text/plain; version=0.0.4",
                                             body: metrics.render(sources: sources, nowMicros: SystemWallClock().nowMicros()))
                case (.other, _):
                    response = ServeResponse(status: 404, body: ResponseJSON.error("no route \(method) \(path)"))
                default:
                    response = ServeResponse(status: 405, body: ResponseJSON.error("\(method) is not allowed on \(path)"))
                }
            } catch {
                response = ServeResponse(status: error.httpStatus, body: ResponseJSON.error(error.description))
            }
        }
        metrics.record(route: route, status: response.status, seconds: monotonicSeconds() - start, keys: keys, notFound: notFound)
        return response
    }

    static func route(_ path: String) -> ServeRoute {
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

    private func onlineFeatures(_ body: UnsafeRawBufferPointer, keys: inout Int, notFound: inout Int) throws(ServeError) -> ServeResponse {
        if body.count > limits.maxRequestBytes { throw .tooLarge(limit: limits.maxRequestBytes) }
        let request = try FeastRequest.parse(body, maxKeys: limits.maxKeys, defaultTable: sources.count == 1 ? sources[0].name : nil)
        let n = request.rowCount
        keys = n

        // Bind: tables in first-mention order, each feature to its column index.
        var tables: [String] = []
        var bound: [(table: Int, column: Int, name: String)] = []
        var layouts: [ServedLayout] = []
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
        var out = "{\"metadata\":{\"feature_names\":["
        var first = true
        for e in request.entities {
            if !first { out += "," }
            first = false
            ResponseJSON.string(e.name, to: &out)
        }
        for b in bound {
            if !first { out += "," }
            first = false
            ResponseJSON.string(b.name, to: &out)
        }
        out += "]},\"results\":["
        first = true
        for e in request.entities {
            if !first { out += "," }
            first = false
            out += "{\"values\":["
            for (i, v) in e.values.enumerated() { if i > 0 { out += "," }; ResponseJSON.write(v, to: &out) }
            out += "],\"statuses\":["
            for i in 0..<n { out += i > 0 ? ",\"PRESENT\"" : "\"PRESENT\"" }
            out += "],\"event_timestamps\":["
            for i in 0..<n { out += i > 0 ? ",\"" : "\""; out += ResponseJSON.epochText; out += "\"" }
            out += "]}"
        }
        var missing = Array(repeating: false, count: n)
        // Each row's event timestamp as text, once per table: every feature of the table repeats
        // it, and formatting it was ~3% of a request's CPU (perf, 1-key requests).
        let timeTexts: [[String]] = rowsByTable.map { rows in rows.map { $0?.time.map(ResponseJSON.timestampText) ?? ResponseJSON.epochText } }
        for b in bound {
            if !first { out += "," }
            first = false
            let rows = rowsByTable[b.table]
            out += "{\"values\":["
            for r in 0..<n {
                if r > 0 { out += "," }
                if let row = rows[r] { ResponseJSON.write(row.features[b.column], to: &out) } else { out += "null" }
            }
            out += "],\"statuses\":["
            for r in 0..<n {
                if r > 0 { out += "," }
                if let row = rows[r] {
                    out += row.features[b.column].isNull ? "\"NULL_VALUE\"" : "\"PRESENT\""
                } else {
                    out += "\"NOT_FOUND\""
                    missing[r] = true
                }
            }
            out += "],\"event_timestamps\":["
            for r in 0..<n {
                if r > 0 { out += "," }
                out += "\""
                out += timeTexts[b.table][r]
                out += "\""
            }
            out += "]}"
        }
        out += "]}"
        notFound = missing.lazy.filter { $0 }.count
        return ServeResponse(status: 200, body: out)
    }

    // MARK: GET /features/<table>/<key>

    private func oneVector(_ path: String, notFound: inout Int) throws(ServeError) -> ServeResponse {
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
            var out = "{\"status\":\"NOT_FOUND\",\"table\":"
            ResponseJSON.string(tableName, to: &out)
            out += "}"
            return ServeResponse(status: 404, body: out)
        }
        var out = "{"
        for (k, text) in zip(layout.keyColumns, keyTexts) {
            ResponseJSON.string(k, to: &out)
            out += ":"
            if let i = Int64(text!) { out += String(i) } else { ResponseJSON.string(text!, to: &out) }
            out += ","
        }
        ResponseJSON.string(layout.timeColumn, to: &out)
        out += ":"
        if let t = row.time { out += "\""; out += ResponseJSON.timestampText(t); out += "\"" } else { out += "null" }
        for (name, value) in zip(layout.featureColumns, row.features) {
            out += ","
            ResponseJSON.string(name, to: &out)
            out += ":"
            ResponseJSON.write(value, to: &out)
        }
        out += "}"
        return ServeResponse(status: 200, body: out)
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

    private func health() -> ServeResponse {
        var out = "{\"stores\":{"
        var allUp = true
        for (i, s) in sources.enumerated() {
            if i > 0 { out += "," }
            ResponseJSON.string(s.name, to: &out)
            switch s.checkHealth() {
            case .up: out += ":\"up\""
            case .down(let reason):
                allUp = false
                out += ":"
                ResponseJSON.string("down: \(reason)", to: &out)
            }
        }
        out += "},\"status\":\(allUp ? "\"ok\"" : "\"unavailable\"")}"
        return ServeResponse(status: allUp ? 200 : 503, body: out)
    }
}
