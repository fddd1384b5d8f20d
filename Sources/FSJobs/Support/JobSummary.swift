import FSCore

/// How a run ended, as the summary line says it.
public enum JobStatus: String, Sendable, Equatable {
    /// Still going (the value a streaming job's counters hold until the loop ends).
    case running
    /// All the work asked for is done (a batch job, or a streaming job with --available-now).
    case completed
    /// A SIGTERM/SIGINT asked the job to stop; the batch in flight was committed.
    case stopped
}

/// What one job's summary adds to the common fields: its status, its wall time and its own
/// counters, in the order they are printed.
public protocol JobSummaryDetails: Sendable {
    var status: JobStatus { get }
    /// Wall time of the run, in seconds.
    var seconds: Double { get }
    /// The job's own fields, without `job`, `status` and `seconds`.
    var details: [(String, JSONValue)] { get }
}

/// The one `--summary` line every job prints on stdout at exit:
/// `{"job":"fs-ingest","status":"completed",…the job's counters…,"seconds":1.234}`.
///
/// One type, so scripts read every job's line the same way: the same keys for name, outcome
/// and wall time, whatever else the job counts.
public struct JobSummary: Sendable, CustomStringConvertible {
    public var job: String
    public var status: JobStatus
    public var seconds: Double
    public var details: [(String, JSONValue)]

    public init(job: String, _ summary: some JobSummaryDetails) {
        self.job = job
        self.status = summary.status
        self.seconds = summary.seconds
        self.details = summary.details
    }

    /// Seconds are rounded to milliseconds: finer digits are noise and make lines longer.
    public var json: JSONValue {
        .object([("job", .string(job)), ("status", .string(status.rawValue))] + details
                + [("seconds", .double((seconds * 1000).rounded() / 1000))])
    }

    public var description: String { json.description }
}
