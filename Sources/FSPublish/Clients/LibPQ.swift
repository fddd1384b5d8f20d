import CPostgres

/// libpq, loaded when the first PostgreSQL connection opens rather than at process start.
///
/// Linking libpq made the dynamic loader map and relocate it and its dependencies (Kerberos,
/// LDAP, GnuTLS, p11-kit, … 15 libraries that nothing else in fs uses) at every start of
/// fs-publish and fs-serve, whatever the target: about a third of fs-publish's start-up, paid by
/// a 50k-message Kafka publish as much as by a PostgreSQL one. `CPostgres` now carries libpq's
/// declarations and a table of function pointers (`fs_libpq`, filled by `dlopen`/`dlsym` in
/// its shim); `PostgresConnection` is the only caller. `ldd fs-publish` no longer lists libpq.
enum LibPQ {
    /// The resolved functions, or why libpq could not be loaded. Initialised once, on first
    /// use, by Swift's lazy global initialisation (thread-safe).
    private static let loaded: Result<fs_libpq, StoreError> = {
        var error: UnsafePointer<CChar>? = nil
        guard let table = fs_libpq_open(&error) else {
            let reason = error.map { String(cString: $0) } ?? "dlopen failed"
            return .failure(.clientLibraryMissing(store: "PostgreSQL", library: "libpq.so.5 (Debian package libpq5)", reason: reason))
        }
        return .success(table.pointee)
    }()

    /// libpq's functions; throws `StoreError.clientLibraryMissing` (exit 69) when the library
    /// or one of its functions is missing.
    static func functions() throws(StoreError) -> fs_libpq {
        try loaded.get()
    }
}
