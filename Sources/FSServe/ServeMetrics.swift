import FSCore
import FSJobs
import NIOConcurrencyHelpers

/// The routes `/metrics` counts separately.
public enum ServeRoute: String, Sendable, CaseIterable {
    case onlineFeatures = "get-online-features"
    case features = "features"
    case health = "health"
    case metrics = "metrics"
    case other = "other"

    /// Position in `allCases`: the row of this route in `ServeMetrics`' count arrays.
    var index: Int {
        switch self {
        case .onlineFeatures: return 0
        case .features: return 1
        case .health: return 2
        case .metrics: return 3
        case .other: return 4
        }
    }
}

/// Request counters and latency histograms for `GET /metrics` (Prometheus text format 0.0.4).
///
/// One lock around plain integers: an uncontended lock costs tens of nanoseconds, well under
/// the microseconds a request takes, and keeps the counts of one request consistent. Counts
/// live in flat arrays indexed by route, status and bucket — no dictionary is hashed or
/// grown per request; statuses outside `statuses` (none fs-serve answers today) fall back to a
/// dictionary.
public final class ServeMetrics: @unchecked Sendable {
    /// Histogram bucket upper bounds, seconds: fine below a millisecond, where fs-serve answers.
    static let bounds: [Double] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1]
    /// The statuses fs-serve answers with, counted in `requests` by their index here.
    static let statuses: [Int] = [200, 400, 401, 404, 405, 413, 422, 500, 503]
    private static let routes = ServeRoute.allCases

    private let lock = NIOLock()
    /// routes × statuses.
    private var requests = [Int](repeating: 0, count: ServeRoute.allCases.count * statuses.count)
    private var otherStatuses: [ServeRoute: [Int: Int]] = [:]
    /// routes × bounds; a request slower than the last bound is only in `counts`.
    private var buckets = [Int](repeating: 0, count: ServeRoute.allCases.count * bounds.count)
    private var sums = [Double](repeating: 0, count: ServeRoute.allCases.count)
    private var counts = [Int](repeating: 0, count: ServeRoute.allCases.count)
    private var keys = 0
    private var notFound = 0
    private var storeErrors: [String: Int] = [:]

    public init() {}

    /// Records one answered request.
    public func record(route: ServeRoute, status: Int, seconds: Double, keys k: Int = 0, notFound nf: Int = 0) {
        let r = route.index
        let s = Self.statuses.firstIndex(of: status)
        let b = Self.bounds.firstIndex(where: { seconds <= $0 })
        lock.withLock {
            if let s { requests[r * Self.statuses.count + s] += 1 } else { otherStatuses[route, default: [:]][status, default: 0] += 1 }
            if let b { buckets[r * Self.bounds.count + b] += 1 }
            sums[r] += seconds
            counts[r] += 1
            keys += k
            notFound += nf
        }
    }

    /// Records a store failure seen while answering (the request answered 503).
    public func recordStoreError(table: String) {
        lock.withLock { storeErrors[table, default: 0] += 1 }
    }

    /// Requests answered so far with `status` on `route` (tests and the drain log).
    public func count(route: ServeRoute, status: Int) -> Int {
        lock.withLock {
            if let s = Self.statuses.firstIndex(of: status) { return requests[route.index * Self.statuses.count + s] }
            return otherStatuses[route]?[status] ?? 0
        }
    }

    /// The Prometheus text (FSJobs' `PrometheusText`, the one exposition writer). `sources` add
    /// per-table published version and lag (now − the time of the last publish, seconds).
    func render(sources: [any FeatureSource], nowMicros: Int64) -> String {
        var families = lock.withLock { requestFamilies() }
        var version = MetricFamily("fs_serve_published_version", .gauge, help: "Source table version the store last published.")
        var lag = MetricFamily("fs_serve_store_lag_seconds", .gauge, help: "Seconds since the store was last published to (Delta: last loaded).")
        for s in sources {
            guard let p = s.publishedPosition() else { continue }
            version.add(Double(p.version), [("table", s.name)])
            if let t = p.updatedAtMicros { lag.add(Double(max(0, nowMicros - t)) / 1e6, [("table", s.name)]) }
        }
        families += [version, lag]
        return PrometheusText.render(families)
    }

    /// The request counters and latency histograms; called with the lock held.
    private func requestFamilies() -> [MetricFamily] {
        var requestsTotal = MetricFamily("fs_serve_requests_total", .counter, help: "Requests answered, by route and HTTP status.")
        var duration = MetricFamily("fs_serve_request_duration_seconds", .histogram, help: "Time from a request's last byte to its answer.")
        for route in ServeRoute.allCases {
            var byStatus = otherStatuses[route] ?? [:]
            for (s, status) in Self.statuses.enumerated() where requests[route.index * Self.statuses.count + s] > 0 {
                byStatus[status] = requests[route.index * Self.statuses.count + s]
            }
            for (status, n) in byStatus.sorted(by: { $0.key < $1.key }) {
                requestsTotal.add(Double(n), [("route", route.rawValue), ("status", String(status))])
            }
        }
        for route in ServeRoute.allCases where counts[route.index] > 0 {
            let r = ("route", route.rawValue)
            var cumulative = 0
            for (i, bound) in Self.bounds.enumerated() {
                cumulative += buckets[route.index * Self.bounds.count + i]
                duration.samples.append(.init(suffix: "_bucket", labels: [r, ("le", "\(bound)")], value: Double(cumulative)))
            }
            let total = Double(counts[route.index])
            duration.samples += [
                .init(suffix: "_bucket", labels: [r, ("le", "+Inf")], value: total),
                .init(suffix: "_sum", labels: [r], value: sums[route.index]),
                .init(suffix: "_count", labels: [r], value: total),
            ]
        }
        var storeErrorsTotal = MetricFamily("fs_serve_store_errors_total", .counter, help: "Reads that failed because a store did not answer.")
        for (table, n) in storeErrors.sorted(by: { $0.key < $1.key }) { storeErrorsTotal.add(Double(n), [("table", table)]) }
        return [
            requestsTotal, duration,
            MetricFamily("fs_serve_keys_total", .counter, help: "Entity rows looked up.", samples: [.init(labels: [], value: Double(keys))]),
            MetricFamily("fs_serve_keys_not_found_total", .counter, help: "Entity rows a table did not hold (answered NOT_FOUND).",
                         samples: [.init(labels: [], value: Double(notFound))]),
            storeErrorsTotal,
        ]
    }
}
