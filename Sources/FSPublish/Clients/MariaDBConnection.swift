#if canImport(Glibc)
import Glibc
#endif
import CMariaDB
import FSCore

/// The parameters of one prepared execution, appended value by value into flat storage (one
/// 8-byte slot per parameter, one byte arena for text), then bound in one go — no per-value
/// allocation, and every pointer handed to MYSQL_BIND lives as long as the execution.
struct MySQLParameters {
    enum Kind: UInt8 { case null, int64, int32, double, boolean, text }
    private(set) var kinds: [Kind] = []
    private(set) var slots: [Int64] = []
    private(set) var arena: [UInt8] = []
    private(set) var textEnds: [Int] = []

    var count: Int { kinds.count }

    mutating func reserve(_ n: Int) { kinds.reserveCapacity(n); slots.reserveCapacity(n) }
    mutating func appendNull() { kinds.append(.null); slots.append(0) }
    mutating func append(_ v: Int64) { kinds.append(.int64); slots.append(v) }
    mutating func append(_ v: Int32) { kinds.append(.int32); slots.append(Int64(v)) }
    mutating func append(_ v: Double) { kinds.append(.double); slots.append(Int64(bitPattern: v.bitPattern)) }
    mutating func append(_ v: Bool) { kinds.append(.boolean); slots.append(v ? 1 : 0) }
    mutating func append(text s: String) { appendText { $0.append(contentsOf: s.utf8) } }
    /// A text parameter whose bytes `body` appends to the arena.
    mutating func appendText(_ body: (inout [UInt8]) -> Void) {
        let start = arena.count
        body(&arena)
        kinds.append(.text)
        slots.append(Int64(start))
        textEnds.append(arena.count)
    }
}

/// One MariaDB/MySQL connection through MariaDB Connector/C: the only file importing CMariaDB.
///
/// Text protocol (`mysql_real_query`) only for statements without values (DDL, fixed SQL);
/// anything carrying a value goes through a prepared statement (`mysql_stmt_*`) with bound
/// parameters. The connection speaks utf8mb4 and UTC.
final class MariaDBConnection {
    private var mysql: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    /// `host:port/db` for messages.
    let endpoint: String

    /// Connects with a connect/read/write timeout. Refused credentials → `.authenticationFailed`
    /// with the server's message (it names the user, never the password); unreachable →
    /// `.unreachable`. Maps to `mysql_init` + `mysql_options` + `mysql_real_connect`; freed by
    /// `close()` (`mysql_close`).
    init(host: String, port: Int, user: String, password: String?, database: String, timeout: Duration,
         allowsLocalInfile: Bool = true) throws {
        endpoint = "\(host):\(port)/\(database)"
        guard let m = mysql_init(nil) else { throw StoreError.unreachable(store: "mysql", endpoint: endpoint, reason: "mysql_init failed") }
        var seconds = UInt32(max(1, timeout.components.seconds))
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &seconds)
        var io = UInt32(max(30, timeout.components.seconds * 6))
        mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io)
        mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io)
        mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        // LOAD DATA LOCAL for `loadLocal`; with it off the client refuses the server's file request.
        var localInfile = UInt32(allowsLocalInfile ? 1 : 0)
        mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &localInfile)
        if mysql_real_connect(m, host, user, password, database, UInt32(port), nil, 0) == nil {
            let code = mysql_errno(m)
            let message = String(cString: mysql_error(m))
            mysql_close(m)
            throw Self.classify(code: code, message: message, endpoint: endpoint)
        }
        mysql = m
        try execute("SET time_zone = '+00:00'")
        try execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')")
    }

    deinit { close() }

    /// Closes prepared statements and the connection (`mysql_stmt_close`, `mysql_close`).
    func close() {
        for (_, s) in statements { mysql_stmt_close(s) }
        statements = [:]
        if let m = mysql { mysql_close(m) }
        mysql = nil
    }

    /// Runs a statement without parameters; returns its rows as text (NULL = nil) and the
    /// affected-row count. Maps to `mysql_real_query` + `mysql_store_result`.
    @discardableResult
    func execute(_ sql: String) throws -> (rows: [[String?]], affected: Int) {
        let m = try live()
        let rc = sql.withCString { mysql_real_query(m, $0, UInt(strlen($0))) }
        if rc != 0 { throw failure(code: mysql_errno(m), message: String(cString: mysql_error(m))) }
        guard let result = mysql_store_result(m) else {
            if mysql_field_count(m) != 0 { throw failure(code: mysql_errno(m), message: String(cString: mysql_error(m))) }
            return ([], Int(mysql_affected_rows(m)))
        }
        defer { mysql_free_result(result) }
        let fields = Int(mysql_num_fields(result))
        var rows: [[String?]] = []
        while let row = mysql_fetch_row(result) {
            let lengths = mysql_fetch_lengths(result)
            rows.append((0..<fields).map { j in
                guard let p = row[j] else { return nil }
                let n = Int(lengths?[j] ?? UInt(strlen(p)))
                return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
            })
        }
        return (rows, rows.count)
    }

    /// Executes `sql` with `parameters`; returns the affected-row count. With `keep` the
    /// statement stays prepared for the next call (the fixed-size statements); without it, it
    /// is closed after this one — the server caps prepared statements per instance
    /// (`max_prepared_stmt_count`), so one-off sizes must not pile up over a long --follow run.
    /// Maps to `mysql_stmt_prepare` / `mysql_stmt_bind_param` / `mysql_stmt_execute`.
    @discardableResult
    func execute(_ sql: String, _ parameters: MySQLParameters, keep: Bool = true) throws -> Int {
        let stmt = try prepared(sql)
        defer {
            if !keep, let s = statements.removeValue(forKey: sql) { mysql_stmt_close(s) }
        }
        precondition(Int(mysql_stmt_param_count(stmt)) == parameters.count, "\(parameters.count) parameters for \(mysql_stmt_param_count(stmt)) placeholders")
        let n = parameters.count
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: max(n, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(n, 1))
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: max(n, 1))
        let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: max(n, 1))
        defer { binds.deallocate(); lengths.deallocate(); nulls.deallocate() }
        var slots = parameters.slots
        let arena = parameters.arena
        let rc: Int32 = slots.withUnsafeMutableBufferPointer { slotBuf in
            arena.withUnsafeBufferPointer { arenaBuf in
                var textIndex = 0
                for i in 0..<n {
                    nulls[i] = 0
                    lengths[i] = 0
                    binds[i].is_null = nulls + i
                    binds[i].length = lengths + i
                    let slot = UnsafeMutableRawPointer(slotBuf.baseAddress! + i)
                    switch parameters.kinds[i] {
                    case .null:
                        nulls[i] = 1
                        binds[i].buffer_type = MYSQL_TYPE_NULL
                    case .int64:
                        binds[i].buffer_type = MYSQL_TYPE_LONGLONG
                        binds[i].buffer = slot
                    case .int32:
                        slot.storeBytes(of: Int32(truncatingIfNeeded: slotBuf[i]), as: Int32.self)
                        binds[i].buffer_type = MYSQL_TYPE_LONG
                        binds[i].buffer = slot
                    case .double:
                        binds[i].buffer_type = MYSQL_TYPE_DOUBLE
                        binds[i].buffer = slot
                    case .boolean:
                        slot.storeBytes(of: Int8(slotBuf[i]), as: Int8.self)
                        binds[i].buffer_type = MYSQL_TYPE_TINY
                        binds[i].buffer = slot
                    case .text:
                        let start = Int(slotBuf[i]), end = parameters.textEnds[textIndex]
                        textIndex += 1
                        binds[i].buffer_type = MYSQL_TYPE_STRING
                        binds[i].buffer = UnsafeMutableRawPointer(mutating: arenaBuf.baseAddress.map { UnsafeRawPointer($0 + start) } ?? UnsafeRawPointer(slot))
                        binds[i].buffer_length = UInt(end - start)
                        lengths[i] = UInt(end - start)
                    }
                }
                if n > 0, mysql_stmt_bind_param(stmt, binds) != 0 { return -1 }
                return mysql_stmt_execute(stmt)
            }
        }
        if rc != 0 {
            let code = mysql_stmt_errno(stmt)
            let message = String(cString: mysql_stmt_error(stmt))
            throw failure(code: code, message: message)
        }
        return Int(mysql_stmt_affected_rows(stmt))
    }

    /// Runs a `LOAD DATA LOCAL INFILE` statement whose "file" is produced in memory, piece by
    /// piece, by `next` (which appends the next piece to its argument and returns false once
    /// there is none): a local-infile handler (`mysql_set_local_infile_handler`; the file name in
    /// the statement is never opened; `mysql_set_local_infile_default` restores the default
    /// after) asks for pieces as the connector sends, so the server parses one piece while the
    /// next is written. Returns the affected rows and `mysql_warning_count`: with LOCAL the
    /// server turns bad values and duplicate keys into warnings, so the caller must check both.
    func loadLocal(_ sql: String, next: @escaping (inout [UInt8]) -> Bool) throws -> (affected: Int, warnings: Int) {
        let m = try live()
        let source = LocalInfileSource(next)
        let userdata = Unmanaged.passRetained(source).toOpaque()
        defer {
            mysql_set_local_infile_default(m)
            Unmanaged<LocalInfileSource>.fromOpaque(userdata).release()
        }
        mysql_set_local_infile_handler(m, { handle, _, userdata in
            handle?.pointee = userdata
            return 0
        }, { handle, buffer, length in
            guard let handle, let buffer else { return -1 }
            return Unmanaged<LocalInfileSource>.fromOpaque(handle).takeUnretainedValue().read(into: buffer, capacity: Int(length))
        }, { _ in }, { _, message, length in
            if let message, length > 0 { message.pointee = 0 }
            return 0
        }, userdata)
        let rc = sql.withCString { mysql_real_query(m, $0, UInt(strlen($0))) }
        if rc != 0 { throw failure(code: mysql_errno(m), message: String(cString: mysql_error(m))) }
        return (Int(mysql_affected_rows(m)), Int(mysql_warning_count(m)))
    }

    /// Whether a failed `loadLocal` means LOAD DATA LOCAL is switched off (the server's
    /// `local_infile`, or this client's option) rather than a failure of the data: server
    /// errors 1148 (not allowed) and 4166 (capability disabled), client error 2068 (rejected).
    static func isLocalInfileRefusal(_ error: StoreError) -> Bool {
        guard case .statementFailed(_, let reason) = error else { return false }
        return ["(error 1148)", "(error 4166)", "(error 2068)", "(error 3948)"].contains { reason.hasSuffix($0) }
    }

    /// Rolls back the open transaction, ignoring errors (the path after a failure).
    func rollbackQuietly() {
        guard let m = mysql else { return }
        _ = "ROLLBACK".withCString { mysql_real_query(m, $0, 8) }
    }

    private func prepared(_ sql: String) throws -> UnsafeMutablePointer<MYSQL_STMT> {
        if let s = statements[sql] { return s }
        let m = try live()
        guard let s = mysql_stmt_init(m) else { throw failure(code: mysql_errno(m), message: String(cString: mysql_error(m))) }
        let rc = sql.withCString { mysql_stmt_prepare(s, $0, UInt(strlen($0))) }
        if rc != 0 {
            let e = failure(code: mysql_stmt_errno(s), message: String(cString: mysql_stmt_error(s)))
            mysql_stmt_close(s)
            throw e
        }
        statements[sql] = s
        return s
    }

    private func live() throws -> UnsafeMutablePointer<MYSQL> {
        guard let m = mysql else { throw StoreError.unreachable(store: "mysql", endpoint: endpoint, reason: "connection closed") }
        return m
    }

    private func failure(code: UInt32, message: String) -> StoreError {
        Self.classify(code: code, message: "\(message) (error \(code))", endpoint: endpoint, isConnected: true)
    }

    /// Client errors 2002/2003/2005/2006/2013/2055 are the network (retriable); server errors
    /// 1044/1045/1698/1130 are refused credentials or host; 1927 a killed connection.
    static func classify(code: UInt32, message: String, endpoint: String, isConnected: Bool = false) -> StoreError {
        switch code {
        case 1044, 1045, 1698, 1130:
            return .authenticationFailed(store: "mysql", endpoint: endpoint, reason: message)
        case 2002, 2003, 2005, 2006, 2013, 2055, 1927, 1053:
            return .unreachable(store: "mysql", endpoint: endpoint, reason: message)
        default:
            return isConnected ? .statementFailed(store: "mysql", reason: message) : .unreachable(store: "mysql", endpoint: endpoint, reason: message)
        }
    }
}

/// The bytes `MariaDBConnection.loadLocal` hands to the server: pieces from the producer,
/// copied out by the infile handler in the connector's buffer-sized reads.
private final class LocalInfileSource {
    let next: (inout [UInt8]) -> Bool
    var piece: [UInt8] = []
    var offset = 0
    var isDrained = false

    init(_ next: @escaping (inout [UInt8]) -> Bool) { self.next = next }

    /// Copies the next bytes into `buffer`, asking the producer for a piece when the last one is
    /// used up; 0 at the end.
    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int32 {
        while offset == piece.count {
            if isDrained { return 0 }
            piece.removeAll(keepingCapacity: true)
            offset = 0
            isDrained = !next(&piece)
        }
        let n = min(capacity, piece.count - offset)
        piece.withUnsafeBytes { raw in UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + offset, byteCount: n) }
        offset += n
        return Int32(n)
    }
}
