import Dispatch

/// One statement run on a connection of its own while the job does something else — the
/// `CREATE TABLE` of a new MySQL target, while the job reads and reduces its input.
///
/// Why: creating an InnoDB table writes and syncs its files (30–60 ms on the bench machine),
/// and the first load cannot start before the rows are reduced anyway. Running the two in
/// series made a first publish that much slower than loading into an existing table.
///
/// The result is advisory: `wait` returns the statement's error instead of throwing it, and
/// the caller then runs the statement itself (`CREATE TABLE IF NOT EXISTS`: a no-op when the
/// background one succeeded), so a failure here is reported — and retried — exactly as if
/// there had been no background run.
final class MySQLBackgroundStatement: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the background block before `done` is signalled; read after `wait`.
    private var failure: (any Error)?
    private var isFinished = false

    /// Starts `statement` on a connection from `connect`, closed when the statement ends.
    init(_ statement: String, connect: @escaping @Sendable () throws -> MariaDBConnection) {
        DispatchQueue.global().async { [self] in
            do {
                let c = try connect()
                defer { c.close() }
                try c.execute(statement)
            } catch {
                failure = error
            }
            done.signal()
        }
    }

    /// Blocks until the statement has ended; its error, nil when it succeeded. Idempotent.
    @discardableResult
    func wait() -> (any Error)? {
        if !isFinished {
            done.wait()
            isFinished = true
        }
        return failure
    }
}
