import FSPublish

extension ServeError {
    /// A store client's failure as fs-serve answers it. A server that is down, refuses the
    /// password or fails a statement (table dropped, being altered) cannot answer now: 503, and
    /// the next request reconnects. A table that cannot be served as published is a bad store.
    init(_ error: any Error, store: String) {
        switch error {
        case let e as ServeError:
            self = e
        case let e as StoreError:
            switch e {
            case .unreachable, .authenticationFailed, .gaveUp, .statementFailed, .clientLibraryMissing:
                self = .storeUnavailable(store: store, reason: e.description)
            case .incompatibleTable, .foreignSource, .badConfiguration:
                self = .badStore(store: store, reason: e.description)
            }
        case let e as SQLiteError:
            // Not a database / corrupt: the file is there but is no store; anything else (missing,
            // locked past the busy timeout, unreadable) may pass.
            let reason = "\(e.operation) failed: \(e.message)"
            self = e.exitStatus == .dataError ? .badStore(store: store, reason: reason) : .storeUnavailable(store: store, reason: reason)
        default:
            self = .storeUnavailable(store: store, reason: "\(error)")
        }
    }
}
