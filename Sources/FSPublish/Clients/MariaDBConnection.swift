#if canImport(Glibc)
import Glibc
#endif
import CMariaDB
import FSCore

/// One MariaDB/MySQL connection through MariaDB Connector/C: the only file importing CMariaDB
/// (`MySQLParameters` and the bulk buffers below are its value carriers).
///
/// Text protocol (`mysql_real_query`) only for statements without values (DDL, fixed SQL);
/// anything carrying a value goes through a prepared statement (`mysql_stmt_*`) with bound
/// parameters. The connection speaks utf8mb4 and UTC.
final class MariaDBConnection {
    private var mysql: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    /// `host:port/db` for messages.
    let endpoint: String
    /// Whether the server runs one prepared statement over an array of parameter rows in one
    /// round trip (`executeBulk`): MariaDB servers (10.2 on) announce it as the extended
    /// capability MARIADB_CLIENT_STMT_BULK_OPERATIONS; MySQL servers have no such command.
    private(set) var supportsBulkExecution = false
    /// The server's `max_allowed_packet` in bytes, read on the first `executeBulk`: one bulk
    /// execution is one packet, which the server refuses above it.
    private var serverMaxPacket: Int?

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
        // MARIADB_CLIENT_STMT_BULK_OPERATIONS is bit 34 of the capabilities, so bit 2 of the
        // extended (upper) word; CLIENT_MYSQL (bit 0) marks a MySQL server.
        var capabilities: UInt = 0, extended: UInt = 0
        if mariadb_get_info(m, MARIADB_CONNECTION_SERVER_CAPABILITIES, &capabilities) == 0,
           mariadb_get_info(m, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &extended) == 0 {
            supportsBulkExecution = capabilities & 1 == 0 && extended & (1 << 2) != 0
        }
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

    /// Executes the one-row `INSERT … VALUES (?, …)` `sql` for rows `range` of `rows` (one
    /// parameter per column, in order), one execution per packet of at most 1 MiB; returns
    /// the inserted rows. Why: the server binds binary values straight into
    /// the row — no text to split and convert, which is about a third of its work under
    /// `LOAD DATA` — so the same rows cost it ~35 % less CPU.
    ///
    /// Values go column-wise (`STMT_ATTR_ARRAY_SIZE`): integers, doubles and booleans as
    /// arrays of their C type, strings as pointer and length arrays, dates and timestamps as
    /// `MYSQL_TIME` (UTC, as the session's zone is); NULL, NaN and ±Infinity through the
    /// indicator array (`STMT_INDICATOR_NULL`). The buffers are copies owned by one
    /// `BulkBuffers`, freed after each execution. Only when `supportsBulkExecution`.
    /// Maps to `mysql_stmt_attr_set(STMT_ATTR_ARRAY_SIZE)` + `mysql_stmt_bind_param` +
    /// `mysql_stmt_execute` (COM_STMT_BULK_EXECUTE).
    /// `maxPacketBytes` overrides the packet budget (tests: many executions for one batch).
    func executeBulk(_ sql: String, _ rows: RecordBatch, _ range: Range<Int>, maxPacketBytes: Int? = nil) throws -> Int {
        precondition(supportsBulkExecution, "executeBulk on a server without bulk operations")
        let stmt = try prepared(sql)
        precondition(Int(mysql_stmt_param_count(stmt)) == rows.columns.count, "\(rows.columns.count) columns for \(mysql_stmt_param_count(stmt)) placeholders")
        if serverMaxPacket == nil {
            serverMaxPacket = try execute("SELECT @@max_allowed_packet").rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 4 << 20
        }
        // One packet carries one execution: at most half the server's limit, and 1 MiB — the
        // connector builds each packet in one growing buffer, and above ~1 MiB its regrowth
        // and fresh pages cost the client ~15 % more CPU (50k rows: 90-109 ms task-clock with
        // 8 MiB packets, 74-86 ms with 1 MiB or 256 KiB; the server's CPU is the same).
        let budget = maxPacketBytes ?? max(64 << 10, min((serverMaxPacket ?? 4 << 20) / 2, 1 << 20))
        var inserted = 0
        var start = range.lowerBound
        while start < range.upperBound {
            let end = BulkBuffers.end(of: rows, from: start, limit: range.upperBound, byteBudget: budget)
            inserted += try executeBulkOnce(stmt, rows, start..<end)
            start = end
        }
        return inserted
    }

    private func executeBulkOnce(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, _ rows: RecordBatch, _ range: Range<Int>) throws -> Int {
        let buffers = BulkBuffers()
        let binds = try buffers.binds(rows, range)
        var arraySize = UInt32(range.count)
        defer {
            var none: UInt32 = 0
            mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &none)
        }
        if mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &arraySize) != 0 || mysql_stmt_bind_param(stmt, binds) != 0
            || mysql_stmt_execute(stmt) != 0 {
            throw failure(code: mysql_stmt_errno(stmt), message: String(cString: mysql_stmt_error(stmt)))
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

/// The column arrays of one bulk execution (`MariaDBConnection.executeBulk`): copies of the
/// batch's values in the C layouts Connector/C reads per row, and the `MYSQL_BIND`s pointing
/// at them. Everything is allocated here and freed together when the owner goes away, after
/// `mysql_stmt_execute` returned.
private final class BulkBuffers {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit { for p in allocations { p.deallocate() } }

    private func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: MemoryLayout<T>.alignment)
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    /// Bytes one row takes in the bulk packet, roughly: an indicator byte per value plus
    /// the value (strings: a length prefix and their bytes).
    private static func rowBytes(_ column: Column, _ i: Int) -> Int {
        switch column.values {
        case .boolean: return 2
        case .int32: return column.type == .date ? 6 : 5
        case .int64: return column.type == .timestamp ? 13 : 9
        case .double: return 9
        case .string(let s): return 10 + s.length(i)
        }
    }

    /// The end of the run of rows from `start` whose packet stays within `byteBudget`
    /// (at least one row, at most `limit`).
    static func end(of rows: RecordBatch, from start: Int, limit: Int, byteBudget: Int) -> Int {
        var bytes = 0
        var i = start
        while i < limit {
            var row = 0
            for column in rows.columns { row += rowBytes(column, i) }
            if i > start && bytes + row > byteBudget { break }
            bytes += row
            i += 1
        }
        return i
    }

    /// The binds of rows `range`, one per column.
    func binds(_ rows: RecordBatch, _ range: Range<Int>) throws -> UnsafeMutablePointer<MYSQL_BIND> {
        let n = range.count
        let binds = allocate(MYSQL_BIND.self, rows.columns.count)
        binds.initialize(repeating: MYSQL_BIND(), count: rows.columns.count)
        for (c, column) in rows.columns.enumerated() {
            var indicators: UnsafeMutablePointer<CChar>? = nil
            func markNull(_ k: Int) {
                if indicators == nil {
                    indicators = allocate(CChar.self, n)
                    indicators!.initialize(repeating: CChar(truncatingIfNeeded: STMT_INDICATOR_NONE.rawValue), count: n)
                }
                indicators![k] = CChar(truncatingIfNeeded: STMT_INDICATOR_NULL.rawValue)
            }
            if column.hasNulls { for k in 0..<n where column.isNull(range.lowerBound + k) { markNull(k) } }
            switch column.values {
            case .boolean(let v):
                let out = allocate(Int8.self, n)
                for k in 0..<n { out[k] = v[range.lowerBound + k] ? 1 : 0 }
                binds[c].buffer_type = MYSQL_TYPE_TINY
                binds[c].buffer = UnsafeMutableRawPointer(out)
            case .int32(let v) where column.type == .date:
                binds[c].buffer_type = MYSQL_TYPE_DATE
                binds[c].buffer = try times(n) { k, t in
                    let d = CivilDate(daysSinceEpoch: Int64(v[range.lowerBound + k]))
                    try Self.set(&t, d, hour: 0, minute: 0, second: 0, micro: 0, type: MYSQL_TIMESTAMP_DATE, column: rows.schema.fields[c].name)
                }
            case .int32(let v):
                let out = allocate(Int32.self, n)
                v.withUnsafeBufferPointer { out.initialize(from: $0.baseAddress! + range.lowerBound, count: n) }
                binds[c].buffer_type = MYSQL_TYPE_LONG
                binds[c].buffer = UnsafeMutableRawPointer(out)
            case .int64(let v) where column.type == .timestamp:
                binds[c].buffer_type = MYSQL_TYPE_DATETIME
                binds[c].buffer = try times(n) { k, t in
                    let f = UTCFields(micros: v[range.lowerBound + k])
                    try Self.set(&t, f.date, hour: f.hour, minute: f.minute, second: f.second, micro: f.micro, type: MYSQL_TIMESTAMP_DATETIME, column: rows.schema.fields[c].name)
                }
            case .int64(let v):
                let out = allocate(Int64.self, n)
                v.withUnsafeBufferPointer { out.initialize(from: $0.baseAddress! + range.lowerBound, count: n) }
                binds[c].buffer_type = MYSQL_TYPE_LONGLONG
                binds[c].buffer = UnsafeMutableRawPointer(out)
            case .double(let v):
                let out = allocate(Double.self, n)
                for k in 0..<n {
                    let d = v[range.lowerBound + k]
                    out[k] = d.isFinite ? d : 0
                    if !d.isFinite { markNull(k) }
                }
                binds[c].buffer_type = MYSQL_TYPE_DOUBLE
                binds[c].buffer = UnsafeMutableRawPointer(out)
            case .string(let s):
                let lo = s.offsets[range.lowerBound], hi = s.offsets[range.upperBound]
                let bytes = allocate(CChar.self, hi - lo)
                s.bytes.withUnsafeBufferPointer { src in
                    if hi > lo { UnsafeMutableRawPointer(bytes).copyMemory(from: src.baseAddress! + lo, byteCount: hi - lo) }
                }
                let pointers = allocate(UnsafeMutablePointer<CChar>?.self, n)
                let lengths = allocate(UInt.self, n)
                for k in 0..<n {
                    let i = range.lowerBound + k
                    pointers[k] = bytes + (s.offsets[i] - lo)
                    lengths[k] = UInt(s.offsets[i + 1] - s.offsets[i])
                }
                binds[c].buffer_type = MYSQL_TYPE_STRING
                binds[c].buffer = UnsafeMutableRawPointer(pointers)
                binds[c].length = lengths
            }
            binds[c].u.indicator = indicators
        }
        return binds
    }

    /// `MYSQL_TIME`s filled by `fill`, handed over as the pointer array Connector/C expects
    /// for temporal types in array binding.
    private func times(_ n: Int, _ fill: (Int, inout MYSQL_TIME) throws -> Void) rethrows -> UnsafeMutableRawPointer {
        let values = allocate(MYSQL_TIME.self, n)
        values.initialize(repeating: MYSQL_TIME(), count: n)
        let pointers = allocate(UnsafeMutablePointer<MYSQL_TIME>?.self, n)
        for k in 0..<n {
            try fill(k, &values[k])
            pointers[k] = values + k
        }
        return UnsafeMutableRawPointer(pointers)
    }

    /// One date or timestamp as `MYSQL_TIME`. Years outside 0…9999 have no DATE/DATETIME
    /// value: refused naming the column, as the text paths refuse them.
    private static func set(_ t: inout MYSQL_TIME, _ d: CivilDate, hour: Int, minute: Int, second: Int, micro: Int,
                            type: enum_mysql_timestamp_type, column: String) throws {
        guard (0...9999).contains(d.year) else {
            throw StoreError.statementFailed(store: "mysql", reason: "column \(column): \(d) is outside the years 0000-9999 a MySQL date holds")
        }
        t.year = UInt32(d.year)
        t.month = UInt32(d.month)
        t.day = UInt32(d.day)
        t.hour = UInt32(hour)
        t.minute = UInt32(minute)
        t.second = UInt32(second)
        t.second_part = UInt(micro)
        t.neg = 0
        t.time_type = type
    }
}
