import FSCore

/// Reads a duration flag with FSCore's one grammar (`DurationText`: `500ms`, `1.5s`,
/// `"10 minutes"`, `interval 1 hour`, `2 weeks`) and refuses what the flag cannot mean: a
/// malformed text, a negative length, or zero unless `allowZero` (a watermark of 0 is "no
/// delay"; a trigger interval or window of 0 is nothing). The message names the flag.
/// Returns microseconds.
package func durationFlag(_ text: String, flag: String, allowZero: Bool = false) throws(UsageError) -> Int64 {
    switch DurationText.parse(text) {
    case .success(let micros):
        guard micros > 0 || allowZero else {
            throw UsageError(flag: flag, message: "'\(text)' must be a positive duration (e.g. 500ms, 1.5s, \"10 minutes\")")
        }
        return micros
    case .failure(let error):
        let example = error.description.hasSuffix(")") ? "" : " (e.g. 500ms, 1.5s, \"10 minutes\", \"1 hour\", \"2 weeks\")"
        throw UsageError(flag: flag, message: error.description + example)
    }
}

/// A duration flag's value in FSCore's grammar as a `Duration`, or nil when it is not one (or
/// is negative): for callers that word their own message (fs-publish's flags).
package func parseDuration(_ text: String) -> Duration? {
    guard case .success(let micros) = DurationText.parse(text) else { return nil }
    return .microseconds(micros)
}
