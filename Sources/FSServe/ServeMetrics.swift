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
}

/// Request counters and latency histograms for `GET /metrics` (Prometheus text format 0.0.4).
///
/// One lock around plain integers: an uncontended lock costs tens of nanoseconds, well under
/// the microseconds a request takes, and keeps the counts of one request consistent.
public final class ServeMetrics: @unchecked Sendable {
    /// Histogram bucket upper bounds, seconds: fine below a millisecond, where fs-serve answers.
    static let bounds: [Double] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1]

    private let lock = NIOLock()
    private var requests: [ServeRoute: [Int: Int]] = [:]
    private var buckets: [ServeRoute: [Int]] = [:]
    private var sums: [ServeRoute: Double] = [:]
    private var counts: [ServeRoute: Int] = [:]
    private var keys = 0
    private var notFound = 0
    private var storeErrors: [String: Int] = [:]

    public init() {}

    /// Records one answered request.
    public func record(route: ServeRoute, status: Int, seconds: Double, keys k: Int = 0, notFound nf: Int = 0) {
        lock.withLock {
            requests[route, default: [:]][status, default: 0] += 1
            // In place: a copy out and back would allocate a new array on every request.
            if buckets[route] == nil { buckets[route] = Array(repeating: 0, count: Self.bounds.count) }
            if let i = Self.bounds.firstIndex(where: { seconds <= $0 }) { buckets[route]?[i] += 1 }
            sums[route, default: 0] += seconds
            counts[route, default: 0] += 1
            keys += k
            notFound += nf
        }
    }

    /// Records a store failure seen while answering (the request answered 503).
    public func recordStoreError(table: String) {
        lock.withLock { storeErrors[table, default: 0] += 1 }
    }

    /// Requests answered so far with `status` on `route` (tests and the drain log).
    public func count(route: ServeRoute, status: Int) -> Int { lock.withLock { requests[route]?[status] ?? 0 } }

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
            for (status, n) in (requests[route] ?? [:]).sorted(by: { $0.key < $1.key }) {
                requestsTotal.add(Double(n), [("route", route.rawValue), ("status", String(status))])
            }
        }
        for route in ServeRoute.allCases {
            guard let b = buckets[route] else { continue }
            let r = ("route", route.rawValue)
            var cumulative = 0
            for (i, bound) in Self.bounds.enumerated() {
                cumulative += b[i]
                duration.samples.append(.init(suffix: "_bucket", labels: [r, ("le", "\(bound)")], value: Double(cumulative)))
            }
            let total = Double(counts[route] ?? 0)
            duration.samples += [
                .init(suffix: "_bucket", labels: [r, ("le", "+Inf")], value: total),
                .init(suffix: "_sum", labels: [r], value: sums[route] ?? 0),
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
