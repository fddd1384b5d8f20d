import FSCore

/// Everything fs-serve can fail with. Start-up failures map to exit codes; request-time failures
/// map to HTTP statuses (`httpStatus`), never to a crash.
public enum ServeError: CategorizedError, Equatable {
    /// The store did not answer (connection refused, file gone, table missing): 503.
    case storeUnavailable(store: String, reason: String)
    /// The store answered with something that is not a published feature table: exit 65 / 500.
    case badStore(store: String, reason: String)
    /// The request is malformed or asks for something that is not served (names it): 422.
    case badRequest(String)
    /// The request body is larger than `--max-request-bytes`: 413.
    case tooLarge(limit: Int)
    /// The server could not bind or listen (address in use, permission): exit 69.
    case bindFailed(address: String, reason: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .storeUnavailable, .bindFailed: return .unavailable
        case .badStore: return .dataError
        case .badRequest, .tooLarge: return .usage
        }
    }

    /// The HTTP status a request that hit this error answers with.
    public var httpStatus: Int {
        switch self {
        case .storeUnavailable: return 503
        case .badStore, .bindFailed: return 500
        case .badRequest: return 422
        case .tooLarge: return 413
        }
    }

    public var description: String {
        switch self {
        case .storeUnavailable(let store, let reason): return "store \(store) unavailable: \(reason)"
        case .badStore(let store, let reason): return "store \(store): \(reason)"
        case .badRequest(let reason): return reason
        case .tooLarge(let limit): return "request body larger than \(limit) bytes (--max-request-bytes)"
        case .bindFailed(let address, let reason): return "cannot listen on \(address): \(reason)"
        }
    }
}
